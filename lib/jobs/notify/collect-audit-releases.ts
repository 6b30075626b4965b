import type { ReleaseEvent } from '../../core/domain';
import type { AuditSource } from '../../sources/audit/audit-source';
import { normaliseAuditRecord } from '../../sources/audit/records';
import { permissionGap } from '../../sources/failure-class';
import { boundedText } from '../../store/keys';
import { mergeEvent, newReleaseRow, type RecordOutcome, type ReleaseWrite } from '../../store/releases-store';
import { limiter } from '../../core/concurrency';
import type { MessageGate } from './message-gate';
import { isolate, SET_ASIDE } from '../isolate';
import { SNAPSHOT_LOOKUPS_IN_FLIGHT } from './look-up-snapshot';
import { readRow, remember } from './release-rows';
import { unitKey, type NotifyDependencies, type NotifySummary, type Row, type RunState } from './run-state';

/**
 * Step 2: new audit records become release rows (de-duplicated by unit; re-read records are no-ops). The
 * query is asked for while the releases already known are decided (`knownReleases`), and waited for only
 * after that. A message's records are recorded once that pass is done with the message (`gate`), so the
 * two never change the same row at once, and every other message's meanwhile.
 */
export async function collectAuditReleases(
  deps: NotifyDependencies,
  source: AuditSource,
  summary: NotifySummary,
  run: RunState,
  knownReleases: Promise<unknown> = Promise.resolve(),
  gate?: MessageGate,
) {
  try {
    const result = await source.collect(async (records) => {
      const events: ReleaseEvent[] = [];
      for (const raw of records) {
        const normalised = normaliseAuditRecord(raw);
        if ('ignored' in normalised) {
          summary.recordsIgnored[normalised.ignored] = (summary.recordsIgnored[normalised.ignored] ?? 0) + 1;
          continue;
        }
        events.push(...normalised.releases);
      }
      await recordReleases(deps, summary, run, events, gate);
    }, knownReleases);
    summary.audit = {
      state: result.state,
      queryId: result.queryId,
      recordsRead: result.recordsRead,
      pages: result.pages,
      queryAgeMinutes: result.queryAgeMinutes,
      notes: result.notes,
      ...(result.auditingOff ? { auditingOff: result.auditingOff } : {}),
      ...(result.permissionGap ? { permissionGap: result.permissionGap } : {}),
    };
  } catch (error) {
    // The audit log being unavailable must not stop releases already known (or seen in the quarantine).
    const message = error instanceof Error ? error.message : String(error);
    const gap = permissionGap(error);
    summary.audit = {
      state: 'failed',
      recordsRead: 0,
      pages: 0,
      error: message,
      ...(gap ? { permissionGap: gap } : {}),
    };
    deps.logger.error('notify: the audit source failed; releases already known are still processed', {
      error: message,
    });
  }
}

/**
 * Records a page of release events (docs/architecture.md#exactly-once), message by message as the first
 * pass lets go of each (`gate`), a bounded number at once; the page is handed back once every message is
 * recorded.
 */
async function recordReleases(
  deps: NotifyDependencies,
  summary: NotifySummary,
  run: RunState,
  events: readonly ReleaseEvent[],
  gate?: MessageGate,
) {
  const now = deps.clock.now();
  const byMessage = new Map<string, ReleaseEvent[]>();
  for (const event of events) {
    const same = byMessage.get(event.networkMessageId) ?? [];
    same.push(event);
    byMessage.set(event.networkMessageId, same);
  }
  const slot = limiter(SNAPSHOT_LOOKUPS_IN_FLIGHT);
  const recorded = await Promise.allSettled(
    [...byMessage.values()].map(async (messageEvents) => {
      await gate?.settled(messageEvents[0].networkMessageId);
      await slot(() => recordMessage(deps, summary, run, messageEvents, now));
    }),
  );
  const failure = recorded.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

/**
 * Records one message's release events: a unit this run already holds is completed in memory; otherwise
 * the message's rows are read once (one partition query); then its new and completed rows are written in
 * one transaction. When that transaction lost a race or was refused, the message is recorded event by
 * event, each event on its own (a bad one is set aside).
 */
async function recordMessage(
  deps: NotifyDependencies,
  summary: NotifySummary,
  run: RunState,
  events: readonly ReleaseEvent[],
  now: Date,
) {
  const keyOf = (event: ReleaseEvent) =>
    unitKey({ networkMessageId: event.networkMessageId, releasedTo: boundedText(event.releasedTo ?? '') });
  const networkMessageId = events[0].networkMessageId;
  let readable = true;
  if (events.some((e) => !run.rows.has(keyOf(e)))) {
    try {
      const rows = await deps.releases.listForMessage(networkMessageId);
      remember(rows);
      for (const row of rows) if (!run.rows.has(unitKey(row))) run.rows.set(unitKey(row), row);
    } catch {
      readable = false; // recorded event by event below: an outage is thrown there
    }
  }

  const outcomes: { event: ReleaseEvent; key: string; outcome: RecordOutcome }[] = [];
  const created = new Set<Row>();
  const changed = new Set<Row>();
  const oneByOne: ReleaseEvent[] = readable ? [] : [...events];
  for (const event of readable ? events : []) {
    const key = keyOf(event);
    const row = run.rows.get(key);
    if (!row) {
      const fresh: Row = newReleaseRow(event, boundedText(event.releasedTo ?? ''), now);
      run.rows.set(key, fresh);
      created.add(fresh);
      outcomes.push({ event, key, outcome: 'new' });
      continue;
    }
    const merged = mergeEvent(row, event);
    if (!merged) {
      outcomes.push({ event, key, outcome: 'duplicate' });
      continue;
    }
    Object.assign(row, merged, { updatedAt: now.toISOString() });
    if (!created.has(row)) changed.add(row);
    outcomes.push({ event, key, outcome: 'completed' });
  }

  const writes: ReleaseWrite[] = [
    ...[...created].map((row) => ({ row, create: true })),
    ...[...changed].map((row) => ({ row, etag: row.etag })),
  ];
  const written = writes.length > 0 ? await deps.releases.writeMany(writes) : [];
  const failedUnits = new Set<string>();
  written.forEach((outcome, k) => {
    const row = writes[k].row as Row;
    if ('etag' in outcome) {
      row.etag = outcome.etag;
      remember([row]);
    } else {
      failedUnits.add(unitKey(row));
      run.rows.delete(unitKey(row));
    }
  });
  for (const { event, key, outcome } of outcomes) {
    if (failedUnits.has(key)) oneByOne.push(event);
    else count(summary, outcome);
  }

  for (const event of oneByOne) {
    const outcome = await isolate(deps, summary, 'audit record', event.id, () =>
      deps.releases.record(event, now),
    );
    if (outcome === SET_ASIDE) continue;
    count(summary, outcome);
    const row = await readRow(deps, event.networkMessageId, boundedText(event.releasedTo ?? ''));
    if (row) run.rows.set(keyOf(event), row);
  }
}

function count(summary: NotifySummary, outcome: RecordOutcome) {
  if (outcome === 'new') summary.newReleases += 1;
  else if (outcome === 'completed') summary.completedReleases += 1;
  else summary.duplicateRecords += 1;
}
