import { HOUR } from '../../core/clock';
import type { QuarantinedMessage } from '../../core/domain';
import { LIMITS } from '../../mail/compose';
import { SET_ASIDE } from '../isolate';
import { decideOutbound, senderInScope, senderOf, type SkipReason } from '../outbound';
import {
  graphDomainsNote,
  RELEASED_TO_SOMEONE_ELSE,
  releasedToSomeoneElse,
  skipReasonFor,
} from '../released-to';
import { lookUpSnapshot } from './look-up-snapshot';
import { freeStaleHold, remember, saveDecisions } from './release-rows';
import {
  unitKey,
  type NotifyDependencies,
  type NotifySummary,
  type Row,
  type RowChange,
  type RunState,
  type SenderBatch,
} from './run-state';
import { releaseReason } from '../../core/outcomes';

/** Where a join pass takes its pending rows from. */
export type PendingFrom =
  /** One scan of the table (the run's first pass): every row read is kept in the run's rows. */
  | 'table'
  /** The rows this run already holds (its first pass and the audit records since): no read at all. */
  | 'run';

/**
 * Step 3: join each pending release to the snapshot, one partition query per distinct message, each
 * message at most once per run. A row joined by an earlier run and still waiting to be sent (a throttled
 * email service, a failed send retried) carries what the join gave it and is not looked up again.
 */
export async function joinPendingReleases(
  deps: NotifyDependencies,
  summary: NotifySummary,
  run: RunState,
  from: PendingFrom,
): Promise<SenderBatch[]> {
  const { settings, clock } = deps;
  const byMessage = new Map<string, Row[]>();
  for await (const row of pendingRows(deps, run, from)) {
    if (run.failedThisRun.has(unitKey(row))) {
      summary.carriedOver += 1;
      continue;
    }
    // In flight (settled by step 1 of the next run), unless its notification is not in flight any more.
    if (row.notificationId && (from === 'run' || !(await freeStaleHold(deps, row)))) continue;
    const rows = byMessage.get(row.networkMessageId) ?? [];
    rows.push(row);
    byMessage.set(row.networkMessageId, rows);
  }
  if (byMessage.size === 0) return [];

  const toLookUp = [...byMessage]
    .filter(([id, rows]) => !run.snapshot.has(id) && rows.some((row) => !joinedBefore(row)))
    .map(([id]) => id);
  for (const [id, found] of await lookUpSnapshot(deps, summary, toLookUp)) run.snapshot.set(id, found);
  let domains: Awaited<ReturnType<NotifyDependencies['tenantDomains']>> | undefined;

  const batches = new Map<string, SenderBatch>();
  const writes: RowChange[] = [];
  const now = clock.now();
  const deadlineMs = settings.matchDeadlineHours * HOUR;
  for (const [networkMessageId, rows] of byMessage) {
    const message = run.snapshot.get(networkMessageId);
    if (message === SET_ASIDE) continue;
    if (message?.length === 0) {
      for (const row of rows) {
        if (now.getTime() - new Date(row.firstSeenAt).getTime() > deadlineMs) {
          writes.push({
            row,
            change: {
              status: 'unmatched',
              ...releaseReason(
                'not-in-snapshot',
                `the message was not found in the quarantine snapshot within ${settings.matchDeadlineHours} hours`,
              ),
            },
          });
          summary.unmatched += 1;
          deps.logger.warn('notify: release unmatched after the deadline', {
            networkMessageId,
            firstSeenAt: row.firstSeenAt,
          });
        } else {
          summary.pending += 1;
        }
      }
      continue;
    }

    let outboundReason: SkipReason | undefined;
    if (message) {
      domains ??= await deps.tenantDomains();
      summary.acceptedDomainsNote = graphDomainsNote(domains);
      const joined = joinFields(message);
      const decision = decideOutbound(message, domains);
      for (const row of rows) Object.assign(row, joined, { outbound: decision.outbound });
      outboundReason = skipReasonFor(decision.outbound ? undefined : decision.reason, domains);
    }
    for (const row of rows) {
      run.matched.add(unitKey(row));
      let reason = outboundReason;
      if (!reason && releasedToSomeoneElse(row.releasedTo, row.originalRecipients ?? []))
        reason = RELEASED_TO_SOMEONE_ELSE;
      if (!reason && row.isSystemRelease && !settings.notifySystemReleases) reason = 'system-release';
      if (!reason && !senderInScope(row.sender!, settings.pilot.allowedSenders)) reason = 'not-in-scope';
      if (reason) {
        writes.push({ row, change: { status: 'skipped', ...releaseReason(reason) } });
        summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
        continue;
      }
      const batch: SenderBatch = batches.get(row.sender!) ?? {
        sender: row.sender!,
        rows: [],
        messages: new Map(),
        oldest: row.releasedAt,
      };
      batch.rows.push(row);
      const entry = batch.messages.get(networkMessageId) ?? { rows: [] };
      entry.rows.push(row);
      batch.messages.set(networkMessageId, entry);
      if (row.releasedAt < batch.oldest) batch.oldest = row.releasedAt;
      batches.set(row.sender!, batch);
    }
  }
  await saveDecisions(deps, run, writes);
  return [...batches.values()].flatMap(splitLongBatch).sort((a, b) => a.oldest.localeCompare(b.oldest));
}

/** The pending rows a pass works on, each kept in the run's rows (and noted as read). */
async function* pendingRows(deps: NotifyDependencies, run: RunState, from: PendingFrom): AsyncIterable<Row> {
  if (from === 'run') {
    for (const row of [...run.rows.values()]) if (row.status === 'pending') yield row;
    return;
  }
  for await (const row of deps.releases.listPending()) {
    remember([row]);
    run.rows.set(unitKey(row), row);
    yield row;
  }
}

/**
 * A row an earlier run joined and decided to send (it then waited: throttled, capped, or a failed send
 * retried): it carries the sender, the recipients and the outbound decision, so the snapshot is not read
 * for it again.
 */
function joinedBefore(row: Row): boolean {
  return row.outbound === true && !!row.sender && Array.isArray(row.originalRecipients);
}

/** One email lists at most LIMITS.messagesShown messages: a sender with more gets several emails. */
function splitLongBatch(batch: SenderBatch): SenderBatch[] {
  const entries = [...batch.messages.entries()];
  if (entries.length <= LIMITS.messagesShown) return [batch];
  const parts: SenderBatch[] = [];
  for (let i = 0; i < entries.length; i += LIMITS.messagesShown) {
    const slice = entries.slice(i, i + LIMITS.messagesShown);
    const rows = slice.flatMap(([, entry]) => entry.rows);
    parts.push({
      sender: batch.sender,
      rows,
      messages: new Map(slice),
      oldest: rows.map((r) => r.releasedAt).sort()[0],
    });
  }
  return parts;
}

function joinFields(message: QuarantinedMessage[]) {
  const first = message.find((m) => m.senderAddress) ?? message[0];
  const recipients = [...new Set(message.flatMap((m) => m.recipients))];
  return {
    // The one canonical address that was checked is the one sent to; unusable text is kept for the report.
    sender: senderOf(message).sender ?? first.senderAddress.toLowerCase(),
    originalRecipients: recipients,
    subject: first.subject,
    receivedAt: first.receivedAt,
    expiresAt: first.expiresAt,
    type: first.type,
    policyType: first.policyType,
    policyName: first.policyName,
    direction: first.direction,
  };
}
