import type { StateStore } from '../store/state-store';
import type { FailureClass } from '../sources/failure-class';
import type { JobName, RunEvent, RunOutcome } from './run-event';

/**
 * Each job's last run, success or failure, kept in the state table (PartitionKey = job, RowKey = lastRun)
 * so that `qrn doctor` applies the alerts' thresholds locally. The time of the last success stays where
 * lib/jobs/last-run.ts keeps it (the health endpoint reads it too).
 */
export const LAST_RUN_KEY = 'lastRun';

export interface LastRunRecord {
  at: string;
  outcome: RunOutcome;
  durationMs: number;
  consecutiveFailures: number;
  failureClass: FailureClass | null;
  failure: string | null;
  /** The failure class and time of the most recent failed or partial run (kept after a success). */
  lastFailureAt?: string;
  failed: number;
  setAside: number;
  auditQueryAgeMinutes: number | null;
  auditQueryStuckMinutes: number;
}

export async function readLastRun(state: StateStore, job: JobName): Promise<LastRunRecord | undefined> {
  return state.read<LastRunRecord>(job, LAST_RUN_KEY);
}

export async function recordLastRun(
  state: StateStore,
  event: RunEvent,
  finishedAt: Date,
  previous: LastRunRecord | undefined,
): Promise<void> {
  const failing = event.outcome === 'failed' || event.outcome === 'partial';
  await state.write<LastRunRecord>(event.job, LAST_RUN_KEY, {
    at: finishedAt.toISOString(),
    outcome: event.outcome,
    durationMs: event.durationMs,
    consecutiveFailures: event.consecutiveFailures ?? (failing ? 1 : 0),
    failureClass: event.failureClass,
    failure: event.failure,
    lastFailureAt: failing ? finishedAt.toISOString() : previous?.lastFailureAt,
    failed: event.failed,
    setAside: event.setAside,
    auditQueryAgeMinutes: event.auditQueryAgeMinutes,
    auditQueryStuckMinutes: event.auditQueryStuckMinutes,
  });
}
