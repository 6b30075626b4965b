import type { Clock } from '../core/clock';
import { boundedText, hashedKey } from './keys';
import type { StateStore } from './state-store';

/**
 * What a run set aside instead of stopping on it (docs/architecture.md#set-aside): a record, row, batch
 * or send that failed for a reason of its own. The run goes on with the rest; the doctor and the report
 * list these so an administrator sees them. Kept in the state table under one job; the key is a hash of
 * what was set aside, so the same thing failing again updates one entry (and counts the times).
 */
export type SetAsideKind = 'audit record' | 'message' | 'release' | 'batch';

export interface SetAsideEntry {
  kind: SetAsideKind;
  /** An id, never personal data: an audit record id, a NetworkMessageId, a notification id. */
  ref: string;
  reason: string;
  firstAt: string;
  lastAt: string;
  times: number;
}

const JOB = 'set-aside';

export async function setAside(
  state: Pick<StateStore, 'read' | 'write'>,
  clock: Clock,
  kind: SetAsideKind,
  ref: string,
  error: unknown,
): Promise<void> {
  const key = hashedKey(`${kind}\n${ref}`);
  const now = clock.now().toISOString();
  const before = await state.read<SetAsideEntry>(JOB, key);
  const reason = boundedText(errorText(error), 300);
  await state.write<SetAsideEntry>(JOB, key, {
    kind,
    ref: boundedText(ref, 200),
    reason,
    firstAt: before?.firstAt ?? now,
    lastAt: now,
    times: (before?.times ?? 0) + 1,
  });
}

export async function listSetAside(state: StateStore): Promise<SetAsideEntry[]> {
  return (await state.list<SetAsideEntry>(JOB))
    .map((e) => e.value)
    .sort((a, b) => b.lastAt.localeCompare(a.lastAt));
}

/**
 * True when an error belongs to the input being handled, so setting that input aside is right: a bad
 * value (a thrown RangeError or TypeError) or a store refusing this entity (400, 413). An outage (network,
 * 5xx, throttling) is not: it must stop the step, so nothing is marked done that was not.
 */
export function isPoison(error: unknown): boolean {
  // fetch reports a network failure as a TypeError with the socket error as its cause: an outage.
  if (error instanceof TypeError && (error as { cause?: unknown }).cause !== undefined) return false;
  if (error instanceof RangeError || error instanceof TypeError || error instanceof SyntaxError) return true;
  const status = (error as { statusCode?: unknown })?.statusCode;
  return status === 400 || status === 413;
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  // One line: the reason is shown in a terminal and a table cell.
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}
