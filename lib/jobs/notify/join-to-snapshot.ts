import { HOUR } from '../../core/clock';
import type { QuarantinedMessage } from '../../core/domain';
import { LIMITS } from '../../mail/compose';
import { SET_ASIDE } from '../isolate';
import { decideOutbound, senderInScope, senderOf, type SkipReason, type TenantDomains } from '../outbound';
import {
  graphDomainsNote,
  RELEASED_TO_SOMEONE_ELSE,
  releasedToSomeoneElse,
  skipReasonFor,
} from '../released-to';
import { snapshotLookups } from './look-up-snapshot';
import { batchSender } from './decide-and-send';
import type { MessageGate } from './message-gate';
import { withConcurrency } from '../../core/concurrency';
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

/** The pending releases of the messages whose sender is thought to be the same, decided together. */
interface SenderGroup {
  sender: string;
  messages: Map<string, Row[]>;
  oldest: string;
  /** Starts the lookups of the group's messages that need one (once); resolves when all are known. */
  lookUp: () => Promise<void>;
}

/**
 * Sender groups whose lookups go ahead of the group being decided: enough to keep the lookups in flight
 * while the first emails wait for their readers' settings, few enough that the table is still answering
 * lookups while the last emails are composed.
 */
export const GROUPS_LOOKED_UP_AHEAD = 48;

/**
 * Steps 3 and 4: joins each pending release to the snapshot, one partition query per distinct message,
 * each message at most once per run, and sends one email per sender. A row joined by an earlier run and
 * still waiting to be sent (a throttled email service, a failed send retried) carries what the join gave
 * it and is not looked up again.
 *
 * A release seen early in the quarantine status already names its message's sender, so the lookups go
 * sender by sender, the oldest release first: each sender's email is decided and sent as soon as that
 * sender's messages are known, while the next senders' lookups are in flight. Releases that name no
 * sender yet (from an audit record) are looked up first, as any sender may turn out to be theirs. The
 * sender told is always the one the snapshot gives; should it differ from the one the release named, that
 * message gets an email of its own. `gate` hears when the pass is done with each message.
 */
export async function joinAndSend(
  deps: NotifyDependencies,
  summary: NotifySummary,
  run: RunState,
  from: PendingFrom,
  gate?: MessageGate,
): Promise<void> {
  let stopped = false;
  let lookups: ReturnType<typeof snapshotLookups> | undefined;
  let sending: ReturnType<typeof batchSender> | undefined;
  try {
    const byMessage = await pendingByMessage(deps, summary, run, from);
    gate?.open(byMessage.keys());
    if (byMessage.size === 0) return;
    lookups = snapshotLookups(deps, summary, run);
    const groups = await senderGroups(run, byMessage, lookups);
    const domains = once(deps.tenantDomains);
    const sender = (sending = batchSender(
      deps,
      summary,
      run,
      groups.map((g) => g.sender),
      domains,
    ));
    for (const group of groups.slice(0, GROUPS_LOOKED_UP_AHEAD)) void group.lookUp();
    const inOrder = groups.map((group, index) => ({ group, ahead: groups[index + GROUPS_LOOKED_UP_AHEAD] }));
    await withConcurrency(inOrder, sender.inFlight, async ({ group, ahead }) => {
      if (stopped) return;
      try {
        void ahead?.lookUp();
        await group.lookUp();
        await sender.send(await decide(deps, summary, run, group.messages, domains));
        gate?.release(group.messages.keys());
      } catch (error) {
        stopped = true; // no further group starts; the pass fails with this error
        throw error;
      }
    });
  } catch (error) {
    gate?.fail(error);
    throw error;
  } finally {
    gate?.releaseAll();
    // Nothing the pass started outlives it: a lookup ahead or a settings read it no longer needs ends first.
    await Promise.allSettled([lookups?.settled(), sending?.settled()]);
  }
}

/** The pending rows of the pass by message; rows in flight or failed this run are left out. */
async function pendingByMessage(
  deps: NotifyDependencies,
  summary: NotifySummary,
  run: RunState,
  from: PendingFrom,
): Promise<Map<string, Row[]>> {
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
  return byMessage;
}

/**
 * The pending messages by sender, the sender with the oldest release first. The messages that name no
 * sender are looked up before anything is grouped; every other message is looked up with its group, a few
 * groups ahead of the one being decided, and each group waits only for its own.
 */
async function senderGroups(
  run: RunState,
  byMessage: Map<string, Row[]>,
  lookups: ReturnType<typeof snapshotLookups>,
): Promise<SenderGroup[]> {
  const needsLookup = (id: string, rows: Row[]) =>
    !run.snapshot.has(id) && rows.some((row) => !joinedBefore(row));
  await lookups.lookUp(
    [...byMessage]
      .filter(([id, rows]) => needsLookup(id, rows) && !rows.some((r) => r.sender))
      .map(([id]) => id),
  );
  const groups = new Map<string, SenderGroup>();
  for (const [id, rows] of byMessage) {
    const found = run.snapshot.get(id);
    const sender =
      Array.isArray(found) && found.length > 0
        ? joinedSender(found)
        : (rows.find((r) => r.sender)?.sender ?? '');
    const group = groups.get(sender) ?? {
      sender,
      messages: new Map(),
      oldest: rows[0].releasedAt,
      lookUp: async () => undefined,
    };
    group.messages.set(id, rows);
    for (const row of rows) if (row.releasedAt < group.oldest) group.oldest = row.releasedAt;
    groups.set(sender, group);
  }
  const ordered = [...groups.values()].sort((a, b) => a.oldest.localeCompare(b.oldest));
  for (const group of ordered) {
    const ids = [...group.messages].filter(([id, rows]) => needsLookup(id, rows)).map(([id]) => id);
    group.lookUp = once(() => {
      const lookedUp = lookups.lookUp(ids);
      lookedUp.catch(() => undefined); // heard when the group is worked on
      return lookedUp;
    });
  }
  return ordered;
}

/**
 * Decides each release of a sender group's messages (all looked up): a skip or a wait is recorded, the
 * rest become one email per sender.
 */
async function decide(
  deps: NotifyDependencies,
  summary: NotifySummary,
  run: RunState,
  byMessage: Map<string, Row[]>,
  tenantDomains: () => Promise<TenantDomains>,
): Promise<SenderBatch[]> {
  const { settings, clock } = deps;
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
      const domains = await tenantDomains();
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

/** The one canonical address that was checked is the one sent to; unusable text is kept for the report. */
function joinedSender(message: QuarantinedMessage[]): string {
  const first = message.find((m) => m.senderAddress) ?? message[0];
  return senderOf(message).sender ?? first.senderAddress.toLowerCase();
}

/** Calls `read` once, when first needed; every caller shares its answer. */
function once<T>(read: () => Promise<T>): () => Promise<T> {
  let answer: Promise<T> | undefined;
  return () => (answer ??= read());
}

function joinFields(message: QuarantinedMessage[]) {
  const first = message.find((m) => m.senderAddress) ?? message[0];
  const recipients = [...new Set(message.flatMap((m) => m.recipients))];
  return {
    sender: joinedSender(message),
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
