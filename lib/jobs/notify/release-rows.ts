import { releaseReason } from '../../core/outcomes';
import type { NotificationRecord } from '../../store/notifications-store';
import { applyReleaseChange, type ReleaseRow } from '../../store/releases-store';
import { isolate, SET_ASIDE } from '../isolate';
import type { NotifyDependencies, Row, RowChange, RunState } from './run-state';

/**
 * The writes a run makes to release rows: marking units notified, freeing held ones, putting an
 * abandoned notification's units back in the queue, recording failures (docs/architecture.md#exactly-once).
 */

export async function markUnitsNotified(deps: NotifyDependencies, record: NotificationRecord, known?: Row[]) {
  const rows: Row[] = [];
  for (const unit of record.units) {
    const row =
      known?.find((r) => r.networkMessageId === unit.networkMessageId && r.releasedTo === unit.releasedTo) ??
      (await readRow(deps, unit.networkMessageId, unit.releasedTo));
    if (row && row.status !== 'notified') rows.push(row);
  }
  await saveAll(deps, rows, {
    status: 'notified',
    ...(record.deliveredTo === record.sender
      ? { reason: undefined, reasonCode: undefined }
      : releaseReason('redirected', `redirected to ${record.deliveredTo}`)),
    notificationId: record.id,
    notifiedAt: record.sentAt ?? deps.clock.now().toISOString(),
  });
}

/**
 * A pending row can still name a notification that is no longer in flight: a crash between marking the
 * notification abandoned and releasing its rows (throttled, failed, or found unknown by step 1) leaves it
 * so, and nothing would ever free it. Free it when its notification is gone or abandoned; mark it
 * notified when its notification was sent. True when the row may be sent now.
 */
export async function freeStaleHold(deps: NotifyDependencies, row: Row): Promise<boolean> {
  const record = row.sender ? await deps.notifications.get(row.sender, row.notificationId!) : undefined;
  if (record && (record.state === 'sending' || record.state === 'sent')) return false;
  if (record && record.state === 'complete') {
    await markUnitsNotified(deps, record);
    return false;
  }
  await save(deps, row, { notificationId: undefined });
  return true;
}

/**
 * Puts an abandoned notification's units back in the queue (or fails them once out of attempts).
 * Returns how many failed.
 */
export async function releaseUnits(
  deps: NotifyDependencies,
  record: NotificationRecord,
  failure?: string,
): Promise<number> {
  const rows: Row[] = [];
  for (const unit of record.units) {
    const row = await readRow(deps, unit.networkMessageId, unit.releasedTo);
    if (row && row.status === 'pending' && row.notificationId === record.id) rows.push(row);
  }
  if (failure) return (await recordFailure(deps, rows, failure, false)).failed;
  // An uncertain send counted its attempt when it failed: out of attempts, its units fail now.
  const spent = rows.filter((r) => (r.sendAttempts ?? 0) >= deps.settings.email.maxAttempts);
  await saveRows(
    deps,
    spent.map((row) => ({
      row,
      change: {
        status: 'failed',
        ...releaseReason(
          'send-failed',
          `send failed after ${row.sendAttempts} attempts: ${record.lastError ?? 'no answer'}`,
        ),
        notificationId: undefined,
      },
    })),
  );
  const waiting = rows.filter((r) => !spent.includes(r));
  await markWaiting(deps, waiting, 'waiting to be sent again after an interrupted run', true);
  return spent.length;
}

export async function markWaiting(
  deps: NotifyDependencies,
  rows: Row[],
  reason: string,
  clearNotification = false,
) {
  const waiting = releaseReason('waiting-to-send', reason);
  await saveAll(deps, rows, clearNotification ? { ...waiting, notificationId: undefined } : waiting);
}

export async function recordFailure(
  deps: NotifyDependencies,
  rows: Row[],
  reason: string,
  permanent: boolean,
) {
  let failed = 0;
  let retrying = 0;
  const changes = rows.map((row): RowChange => {
    const attempts = (row.sendAttempts ?? 0) + 1;
    if (permanent || attempts >= deps.settings.email.maxAttempts) {
      failed += 1;
      return {
        row,
        change: {
          status: 'failed',
          ...releaseReason(
            'send-failed',
            `send failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`,
          ),
          sendAttempts: attempts,
          notificationId: undefined,
        },
      };
    }
    retrying += 1;
    return {
      row,
      change: {
        ...releaseReason('send-retry', `send failed (attempt ${attempts}), will retry: ${reason}`),
        sendAttempts: attempts,
        notificationId: undefined,
      },
    };
  });
  await saveRows(deps, changes);
  return { failed, retrying };
}

/**
 * What each row held when it was last read or written, without its ETag and time stamp: a change that
 * leaves a row as it is stored is not written (a release waiting run after run for a throttled email
 * service costs no write per run).
 */
const stored = new WeakMap<Row, string>();

function contentOf(row: Row): string {
  const { etag: _etag, updatedAt: _updatedAt, storedRowKey: _key, ...content } = row;
  return JSON.stringify(content, Object.keys(content).sort());
}

/** Notes rows as they were read from the store, so unchanged ones are not written again. */
export function remember<T extends Row>(rows: Iterable<T>): void {
  for (const row of rows) stored.set(row, contentOf(row));
}

/** One row, noted as read; undefined when it does not exist. */
export async function readRow(deps: NotifyDependencies, networkMessageId: string, releasedTo: string) {
  const row = await deps.releases.get(networkMessageId, releasedTo);
  if (row) remember([row]);
  return row;
}

/** Applies the same change to each row and writes the rows that changed (see `saveRows`). */
export async function saveAll(deps: NotifyDependencies, rows: readonly Row[], change: Partial<ReleaseRow>) {
  await saveRows(
    deps,
    rows.map((row) => ({ row, change })),
  );
}

/**
 * Applies each change to its row and writes the rows that changed: one entity-group transaction per
 * message, guarded by each row's ETag, keeping the in-memory rows and their ETags current. A message
 * whose transaction lost a race (an audit record completed a row meanwhile) or was refused is written
 * row by row: a lost race re-reads the row and applies the change to it; a row refused for a reason of
 * its own is set aside (docs/architecture.md#set-aside); an outage is thrown.
 */
export async function saveRows(deps: NotifyDependencies, changes: readonly RowChange[]): Promise<void> {
  const writes: RowChange[] = [];
  for (const item of changes) {
    applyReleaseChange(item.row, item.change, deps.clock.now());
    if (stored.get(item.row) !== contentOf(item.row)) writes.push(item);
  }
  if (writes.length === 0) return;
  const outcomes = await deps.releases.writeMany(writes.map(({ row }) => ({ row, etag: row.etag })));
  const oneByOne: RowChange[] = [];
  outcomes.forEach((outcome, k) => {
    if ('etag' in outcome) {
      writes[k].row.etag = outcome.etag;
      remember([writes[k].row]);
    } else oneByOne.push(writes[k]);
  });
  for (const { row, change } of oneByOne) await saveOne(deps, row, change);
}

/**
 * Records decisions that start no send: skips, dry runs, reasons for waiting. Before the run reads the
 * audit log they are applied in memory only and written after it (`writeHeldDecisions`): an audit record
 * that completes a decided row then writes the row with its decision, one write where there were two
 * (docs/architecture.md#exactly-once). A run stopped in between leaves those rows pending, and the next
 * run decides them again; nothing is sent on them, so nothing can be told twice.
 */
export async function saveDecisions(deps: NotifyDependencies, run: RunState, changes: readonly RowChange[]) {
  if (!run.heldDecisions) return saveRows(deps, changes);
  for (const { row, change } of changes) applyReleaseChange(row, change, deps.clock.now());
  run.heldDecisions.push(...changes);
}

/** Writes the decisions held while the audit log was read, each row only if it still differs from what is stored. */
export async function writeHeldDecisions(deps: NotifyDependencies, run: RunState): Promise<void> {
  const held = run.heldDecisions ?? [];
  run.heldDecisions = undefined;
  await saveRows(deps, held);
}

/** Applies a change to a release row and writes it (see `saveRows`). */
export async function save(deps: NotifyDependencies, row: Row, change: Partial<ReleaseRow>): Promise<void> {
  await saveRows(deps, [{ row, change }]);
}

/** One row's write, already changed in memory: on a lost race, the change is applied to the fresh row. */
async function saveOne(deps: NotifyDependencies, row: Row, change: Partial<ReleaseRow>): Promise<void> {
  const saved = await isolate(deps, {}, 'release', row.networkMessageId, () => deps.releases.update(row));
  if (saved === SET_ASIDE) return;
  let etag = saved;
  if (etag === undefined) {
    // Changed since read (an audit record completed it meanwhile): apply the change to the fresh row.
    const fresh = await deps.releases.get(row.networkMessageId, row.releasedTo);
    if (!fresh) return;
    applyReleaseChange(fresh, change, deps.clock.now());
    etag = await deps.releases.update(fresh);
    Object.assign(row, fresh);
  }
  row.etag = etag;
  remember([row]);
}
