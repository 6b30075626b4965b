import type { NotificationRecord } from '../../store/notifications-store';
import type { ReleaseRow } from '../../store/releases-store';
import { isolate, SET_ASIDE } from '../isolate';
import type { NotifyDependencies, Row } from './run-state';

/**
 * The writes a run makes to release rows: marking units notified, freeing held ones, putting an
 * abandoned notification's units back in the queue, recording failures (docs/architecture.md#exactly-once).
 */

export async function markUnitsNotified(deps: NotifyDependencies, record: NotificationRecord, known?: Row[]) {
  for (const unit of record.units) {
    const row =
      known?.find((r) => r.networkMessageId === unit.networkMessageId && r.releasedTo === unit.releasedTo) ??
      (await deps.releases.get(unit.networkMessageId, unit.releasedTo));
    if (!row || row.status === 'notified') continue;
    await save(deps, row, {
      status: 'notified',
      reason: record.deliveredTo === record.sender ? undefined : `redirected to ${record.deliveredTo}`,
      notificationId: record.id,
      notifiedAt: record.sentAt ?? deps.clock.now().toISOString(),
    });
  }
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
    const row = await deps.releases.get(unit.networkMessageId, unit.releasedTo);
    if (row && row.status === 'pending' && row.notificationId === record.id) rows.push(row);
  }
  if (failure) return (await recordFailure(deps, rows, failure, false)).failed;
  // An uncertain send counted its attempt when it failed: out of attempts, its units fail now.
  const spent = rows.filter((r) => (r.sendAttempts ?? 0) >= deps.settings.email.maxAttempts);
  for (const row of spent) {
    await save(deps, row, {
      status: 'failed',
      reason: `send failed after ${row.sendAttempts} attempts: ${record.lastError ?? 'no answer'}`,
      notificationId: undefined,
    });
  }
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
  for (const row of rows) {
    await save(deps, row, clearNotification ? { reason, notificationId: undefined } : { reason });
  }
}

export async function recordFailure(
  deps: NotifyDependencies,
  rows: Row[],
  reason: string,
  permanent: boolean,
) {
  let failed = 0;
  let retrying = 0;
  for (const row of rows) {
    const attempts = (row.sendAttempts ?? 0) + 1;
    if (permanent || attempts >= deps.settings.email.maxAttempts) {
      await save(deps, row, {
        status: 'failed',
        reason: `send failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`,
        sendAttempts: attempts,
        notificationId: undefined,
      });
      failed += 1;
    } else {
      await save(deps, row, {
        reason: `send failed (attempt ${attempts}), will retry: ${reason}`,
        sendAttempts: attempts,
        notificationId: undefined,
      });
      retrying += 1;
    }
  }
  return { failed, retrying };
}

/** Applies a change to a release row and writes it, keeping the in-memory row and its ETag current. */
export async function save(deps: NotifyDependencies, row: Row, change: Partial<ReleaseRow>): Promise<void> {
  const apply = (target: Row) => {
    Object.assign(target, change, { updatedAt: deps.clock.now().toISOString() });
    for (const key of Object.keys(change) as (keyof ReleaseRow)[]) {
      if (change[key] === undefined) delete target[key];
    }
  };
  apply(row);
  const saved = await isolate(deps, {}, 'release', row.networkMessageId, () => deps.releases.update(row));
  if (saved === SET_ASIDE) return;
  let etag = saved;
  if (etag === undefined) {
    // Changed since read (an audit record completed it meanwhile): apply the change to the fresh row.
    const fresh = await deps.releases.get(row.networkMessageId, row.releasedTo);
    if (!fresh) return;
    apply(fresh);
    etag = await deps.releases.update(fresh);
    Object.assign(row, fresh);
  }
  row.etag = etag;
}
