import type { StatePort } from './notify/ports';

/**
 * When each job last completed a run, kept in the state table (PartitionKey = job, RowKey = lastSuccess),
 * for the health endpoint. A run that failed or found another run holding the lease records nothing.
 */
export const LAST_SUCCESS_KEY = 'lastSuccess';

export interface SuccessfulRun {
  completedAt: string;
}

export async function recordSuccessfulRun(
  state: Pick<StatePort, 'write'>,
  job: string,
  at: Date,
): Promise<void> {
  await state.write<SuccessfulRun>(job, LAST_SUCCESS_KEY, { completedAt: at.toISOString() });
}

export async function readSuccessfulRun(
  state: Pick<StatePort, 'read'>,
  job: string,
): Promise<SuccessfulRun | undefined> {
  return state.read<SuccessfulRun>(job, LAST_SUCCESS_KEY);
}
