import { HOUR } from '../../core/clock';
import type { QuarantinedMessage } from '../../core/domain';
import { LIMITS } from '../../mail/compose';
import { SET_ASIDE } from '../isolate';
import { decideOutbound, senderInScope, senderOf } from '../outbound';
import {
  graphDomainsNote,
  RELEASED_TO_SOMEONE_ELSE,
  releasedToSomeoneElse,
  skipReasonFor,
} from '../released-to';
import { lookUpSnapshot } from './look-up-snapshot';
import { freeStaleHold, save } from './release-rows';
import {
  unitKey,
  type NotifyDependencies,
  type NotifySummary,
  type Row,
  type RunState,
  type SenderBatch,
} from './run-state';
import { describeReleaseReason } from '../../core/outcomes';

/** Step 3: join each pending release to the snapshot (one partition query per distinct message). */
export async function joinPendingReleases(
  deps: NotifyDependencies,
  summary: NotifySummary,
  run: RunState,
): Promise<SenderBatch[]> {
  const { settings, clock } = deps;
  const byMessage = new Map<string, Row[]>();
  for await (const row of deps.releases.listPending()) {
    if (run.failedThisRun.has(unitKey(row))) {
      summary.carriedOver += 1;
      continue;
    }
    // In flight (settled by step 1 of the next run), unless its notification is not in flight any more.
    if (row.notificationId && !(await freeStaleHold(deps, row))) continue;
    const rows = byMessage.get(row.networkMessageId) ?? [];
    rows.push(row);
    byMessage.set(row.networkMessageId, rows);
  }
  if (byMessage.size === 0) return [];

  const domains = await deps.tenantDomains();
  summary.acceptedDomainsNote = graphDomainsNote(domains);
  const batches = new Map<string, SenderBatch>();
  const now = clock.now();
  const deadlineMs = settings.matchDeadlineHours * HOUR;

  const snapshot = await lookUpSnapshot(deps, summary, [...byMessage.keys()]);
  for (const [networkMessageId, rows] of byMessage) {
    const message = snapshot.get(networkMessageId)!;
    if (message === SET_ASIDE) continue;
    if (message.length === 0) {
      for (const row of rows) {
        if (now.getTime() - new Date(row.firstSeenAt).getTime() > deadlineMs) {
          await save(deps, row, {
            status: 'unmatched',
            reason: `the message was not found in the quarantine snapshot within ${settings.matchDeadlineHours} hours`,
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

    for (const row of rows) run.matched.add(unitKey(row));
    const joined = joinFields(message);
    const decision = decideOutbound(message, domains);
    for (const row of rows) {
      Object.assign(row, joined, { outbound: decision.outbound });
      let reason = skipReasonFor(decision.outbound ? undefined : decision.reason, domains);
      if (!reason && releasedToSomeoneElse(row.releasedTo, joined.originalRecipients))
        reason = RELEASED_TO_SOMEONE_ELSE;
      if (!reason && row.isSystemRelease && !settings.notifySystemReleases) reason = 'system-release';
      if (!reason && !senderInScope(joined.sender, settings.pilot.allowedSenders)) reason = 'not-in-scope';
      if (reason) {
        await save(deps, row, { status: 'skipped', reason: describeReleaseReason(reason) });
        summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
        continue;
      }
      const batch: SenderBatch = batches.get(joined.sender) ?? {
        sender: joined.sender,
        rows: [],
        messages: new Map(),
        oldest: row.releasedAt,
      };
      batch.rows.push(row);
      const entry = batch.messages.get(networkMessageId) ?? { message, rows: [] };
      entry.rows.push(row);
      batch.messages.set(networkMessageId, entry);
      if (row.releasedAt < batch.oldest) batch.oldest = row.releasedAt;
      batches.set(joined.sender, batch);
    }
  }
  return [...batches.values()].flatMap(splitLongBatch).sort((a, b) => a.oldest.localeCompare(b.oldest));
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
