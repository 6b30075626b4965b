import { randomUUID } from 'node:crypto';
import type { Settings } from '../config/settings';
import type { Clock } from '../core/clock';
import { DAY, HOUR, MINUTE } from '../core/clock';
import type { QuarantinedMessage } from '../core/domain';
import type { Logger } from '../core/log';
import { describeReleaseReason, type JobOutcome } from '../core/outcomes';
import type { EmailChannel } from '../mail/channel';
import {
  cleanLine,
  composeNotification,
  LIMITS,
  type Reader,
  type ReleasedMessageSummary,
} from '../mail/compose';
import type { AuditCollectResult, AuditSource } from '../sources/audit/audit-source';
import { normaliseAuditRecord } from '../sources/audit/records';
import {
  notificationId,
  type NotificationRecord,
  type NotificationsStore,
  type ReleaseUnit,
} from '../store/notifications-store';
import type { ReleaseRow, ReleasesStore } from '../store/releases-store';
import type { StateStore } from '../store/state-store';
import { acceptedDelivery, checkDeliveries, nextAttempt, type DeliverySummary } from './delivery-status';
import { recordSuccessfulRun } from './last-run';
import {
  graphDomainsNote,
  RELEASED_TO_SOMEONE_ELSE,
  releasedToSomeoneElse,
  skipReasonFor,
} from './released-to';
import { isolate, SET_ASIDE } from './isolate';
import { decideOutbound, senderInScope, senderOf, type SkipReason, type TenantDomains } from './outbound';

export interface NotifyDependencies {
  settings: Settings;
  clock: Clock;
  logger: Logger;
  state: StateStore;
  releases: ReleasesStore;
  notifications: NotificationsStore;
  quarantine: { findByNetworkMessageId(networkMessageId: string): Promise<QuarantinedMessage[]> };
  tenantDomains: () => Promise<TenantDomains>;
  /** Undefined when RELEASE_SOURCES is 'quarantine'. */
  auditSource?: AuditSource;
  channel: EmailChannel;
  /** Each sender's language and time zone (lib/sources/mailbox-settings.ts); English and UTC without it. */
  readers?: (senders: string[]) => Promise<Map<string, Reader>>;
}

export interface NotifySummary {
  outcome: Exclude<JobOutcome, 'failed'>;
  audit?: Pick<AuditCollectResult, 'state' | 'queryId' | 'recordsRead' | 'pages'> &
    Partial<Pick<AuditCollectResult, 'queryAgeMinutes' | 'notes'>> & { error?: string };
  recordsIgnored: Record<string, number>;
  newReleases: number;
  completedReleases: number;
  duplicateRecords: number;
  matched: number;
  notified: number;
  skipped: Partial<Record<SkipReason, number>>;
  pending: number;
  unmatched: number;
  failed: number;
  carriedOver: number;
  emailsSent: number;
  emailsComposed: number;
  recovered: number;
  /** Set when the accepted domains came from Graph /domains: subdomain senders are not recognised. */
  acceptedDomainsNote?: string;
  /** Final statuses of accepted sends read this run (ACS). */
  deliveries?: DeliverySummary;
  /** Records, messages, rows or batches that failed on their own and were set aside (see the doctor). */
  setAside?: number;
  /** Settled rows deleted past RELEASES_RETENTION_DAYS (at most once a day); undefined when not due. */
  purged?: { releases: number; notifications: number };
  durationMs: number;
}

const LEASE_MS = 15 * MINUTE;

type Row = ReleaseRow & { etag?: string };

/** What the passes of one run share. */
interface RunState {
  stillLeased: () => Promise<boolean>;
  /** Why sending stopped for the rest of this run (cap, throttling, lost lease). */
  stopReason?: string;
  /** Units joined to the snapshot this run. */
  matched: Set<string>;
  /** Units whose send failed this run: retried by a later run, not by this one's second pass. */
  failedThisRun: Set<string>;
}

const unitKey = (row: { networkMessageId: string; releasedTo: string }) =>
  `${row.networkMessageId}|${row.releasedTo}`;

/** A sender's releases that are ready to be told, grouped into one email. */
interface SenderBatch {
  sender: string;
  rows: Row[];
  messages: Map<string, { message: QuarantinedMessage[]; rows: Row[] }>;
  oldest: string;
}

/**
 * The notify job: reads new releases from the audit source, joins every pending release to the
 * snapshot, decides who may be told, and sends one email per sender, exactly once (docs/architecture.md:
 * #audit-reading, #outbound, #exactly-once, #release-sources).
 */
export async function runNotify(deps: NotifyDependencies): Promise<NotifySummary> {
  const started = deps.clock.now();
  const summary: NotifySummary = {
    outcome: 'completed',
    recordsIgnored: {},
    newReleases: 0,
    completedReleases: 0,
    duplicateRecords: 0,
    matched: 0,
    notified: 0,
    skipped: {},
    pending: 0,
    unmatched: 0,
    failed: 0,
    carriedOver: 0,
    emailsSent: 0,
    emailsComposed: 0,
    recovered: 0,
    durationMs: 0,
  };

  const lease = await deps.state.acquireLease('notify', randomUUID(), LEASE_MS);
  if (!lease) {
    summary.outcome = 'busy';
    deps.logger.info('notify: another run holds the lease; nothing done');
    return summary;
  }
  try {
    const run: RunState = { stillLeased: () => lease.renew(), matched: new Set(), failedThisRun: new Set() };
    await finishInterruptedNotifications(deps, summary);
    summary.deliveries = await checkDeliveries({ ...deps, maxAttempts: deps.settings.email.maxAttempts });
    if (deps.auditSource) {
      // Releases already known (seen early in the quarantine status, or carried over) go out first:
      // their senders should not wait for an audit query that can take many minutes.
      await sendEach(deps, await joinPendingReleases(deps, summary, run), summary, run);
      await collectAuditReleases(deps, deps.auditSource, summary);
      // What is still waiting is counted by the last pass only.
      summary.pending = 0;
      summary.carriedOver = 0;
    }
    await sendEach(deps, await joinPendingReleases(deps, summary, run), summary, run);
    summary.matched = run.matched.size;
    await purgeIfDue(deps, summary);
    await recordSuccessfulRun(deps.state, 'notify', deps.clock.now()); // for GET /api/health
  } finally {
    await lease.release();
    summary.durationMs = deps.clock.now().getTime() - started.getTime();
    logSummary(deps.logger, summary);
  }
  return summary;
}

/** Step 1: a crash may have left a notification recorded but not confirmed. Settle each one first. */
async function finishInterruptedNotifications(
  deps: NotifyDependencies,
  summary: NotifySummary,
): Promise<void> {
  for (const record of await deps.notifications.listUnfinished()) {
    if (record.state === 'sending') {
      // Ask the channel whether the send reached it before deciding anything: never resend blindly.
      let state: Awaited<ReturnType<EmailChannel['status']>>;
      try {
        state = await deps.channel.status(record.operationId);
      } catch (error) {
        // Cannot tell now: leave it recorded as sending (its units stay held) and ask again next run.
        deps.logger.warn('notify: could not read the status of an interrupted notification; will ask again', {
          notification: record.id,
          error: error instanceof Error ? error.message : String(error),
        });
        continue;
      }
      if (state === 'accepted' || state === 'succeeded') {
        record.state = 'sent';
        record.sentAt = record.sentAt ?? deps.clock.now().toISOString();
        Object.assign(record, acceptedDelivery(deps.channel));
      } else {
        // 'unknown': the channel never got it (or, for Graph, cannot say): the units go back to the queue.
        // 'failed': the channel refused it after accepting; retried like a failed send.
        record.state = 'abandoned';
        // A known failure is sent again under a new operation id; an id never seen may be used again.
        if (state === 'failed') record.delivery = 'resend';
        record.lastError =
          state === 'failed' ? 'the email channel reported the send failed' : record.lastError;
        if (!(await deps.notifications.update(record))) continue;
        summary.failed += await releaseUnits(
          deps,
          record,
          state === 'failed' ? 'the email channel reported the send failed' : undefined,
        );
        deps.logger.warn(
          'notify: an interrupted notification never reached the channel; it will be sent again',
          {
            notification: record.id,
            channelState: state,
          },
        );
        continue;
      }
      if (!(await deps.notifications.update(record))) continue;
    }
    // 'sent': mark the units notified, then the notification complete.
    await markUnitsNotified(deps, record);
    record.state = 'complete';
    delete record.etag;
    await deps.notifications.update(record);
    summary.recovered += 1;
  }
}

/** Step 2: new audit records become release rows (de-duplicated by unit; re-read records are no-ops). */
async function collectAuditReleases(deps: NotifyDependencies, source: AuditSource, summary: NotifySummary) {
  try {
    const result = await source.collect(async (records) => {
      for (const raw of records) {
        const normalised = normaliseAuditRecord(raw);
        if ('ignored' in normalised) {
          summary.recordsIgnored[normalised.ignored] = (summary.recordsIgnored[normalised.ignored] ?? 0) + 1;
          continue;
        }
        const outcome = await isolate(deps, summary, 'audit record', normalised.release.id, () =>
          deps.releases.record(normalised.release, deps.clock.now()),
        );
        if (outcome === SET_ASIDE) continue;
        if (outcome === 'new') summary.newReleases += 1;
        else if (outcome === 'completed') summary.completedReleases += 1;
        else summary.duplicateRecords += 1;
      }
    });
    summary.audit = {
      state: result.state,
      queryId: result.queryId,
      recordsRead: result.recordsRead,
      pages: result.pages,
      queryAgeMinutes: result.queryAgeMinutes,
      notes: result.notes,
    };
  } catch (error) {
    // The audit log being unavailable must not stop releases already known (or seen in the quarantine).
    const message = error instanceof Error ? error.message : String(error);
    summary.audit = { state: 'failed', recordsRead: 0, pages: 0, error: message };
    deps.logger.error('notify: the audit source failed; releases already known are still processed', {
      error: message,
    });
  }
}

/** Step 3: join each pending release to the snapshot (one partition query per distinct message). */
async function joinPendingReleases(
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

  for (const [networkMessageId, rows] of byMessage) {
    const message = await isolate(deps, summary, 'message', networkMessageId, () =>
      deps.quarantine.findByNetworkMessageId(networkMessageId),
    );
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

/** Each batch on its own: one that fails for a reason of its own is set aside, and the rest still go. */
async function sendEach(
  deps: NotifyDependencies,
  batches: SenderBatch[],
  summary: NotifySummary,
  run: RunState,
) {
  for (const batch of batches) {
    const ref = `${batch.rows.length} release(s), first message ${batch.rows[0]?.networkMessageId}`;
    await isolate(deps, summary, 'batch', ref, () => sendNotifications(deps, [batch], summary, run));
  }
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

/** Step 4: one email per sender, capped per run; a throttled channel stops sending until the next run. */
async function sendNotifications(
  deps: NotifyDependencies,
  batches: SenderBatch[],
  summary: NotifySummary,
  run: RunState,
): Promise<void> {
  const { settings, clock, logger } = deps;
  const readers =
    deps.readers && batches.length > 0 ? await deps.readers(batches.map((b) => b.sender)) : undefined;
  for (const batch of batches) {
    if (!run.stopReason && summary.emailsSent >= settings.email.maxPerRun && !settings.pilot.dryRun) {
      run.stopReason = `the cap of ${settings.email.maxPerRun} emails per run was reached`;
    }
    if (!run.stopReason && !(await run.stillLeased())) run.stopReason = 'the run lost its lease';
    if (run.stopReason) {
      await markWaiting(deps, batch.rows, `waiting to be sent: ${run.stopReason}`);
      summary.carriedOver += batch.rows.length;
      continue;
    }

    const units: ReleaseUnit[] = batch.rows.map((r) => ({
      networkMessageId: r.networkMessageId,
      releasedTo: r.releasedTo,
    }));
    const id = notificationId(batch.sender, units);
    const existing = await deps.notifications.get(batch.sender, id);
    if (existing && (existing.state === 'sent' || existing.state === 'complete')) {
      // Sent before, its rows not yet marked (a crash between the two): mark them, never resend.
      await markUnitsNotified(deps, existing);
      summary.notified += batch.rows.length;
      continue;
    }

    const content = composeNotification(
      await describeBatch(deps, batch),
      settings.email,
      readers?.get(batch.sender),
    );
    summary.emailsComposed += 1;
    const deliveredTo = settings.pilot.redirectTo ?? batch.sender;
    const record: NotificationRecord = {
      sender: batch.sender,
      id,
      operationId: id,
      state: settings.pilot.dryRun ? 'dry-run' : 'sending',
      units,
      deliveredTo,
      channel: deps.channel.name,
      createdAt: clock.now().toISOString(),
    };

    if (settings.pilot.dryRun) {
      if (!existing) await deps.notifications.create(record);
      for (const row of batch.rows)
        await save(deps, row, {
          status: 'skipped',
          reason: describeReleaseReason('dry-run'),
          notificationId: id,
        });
      summary.skipped['dry-run'] = (summary.skipped['dry-run'] ?? 0) + batch.rows.length;
      continue;
    }

    // Record before sending, so a crash after the send is found and checked, not repeated.
    if (existing) {
      Object.assign(
        existing,
        { state: 'sending', deliveredTo, channel: deps.channel.name },
        nextAttempt(existing),
      );
      if (!(await deps.notifications.update(existing))) continue;
    } else if (!(await deps.notifications.create({ ...record, attempts: [id] }))) {
      continue; // another run recorded it a moment ago
    }
    for (const row of batch.rows) await save(deps, row, { notificationId: id, reason: 'sending' });

    const subject = settings.pilot.redirectTo
      ? `[Pilot, for ${cleanLine(batch.sender, 254)}] ${content.subject}`
      : content.subject;
    const outcome = await deps.channel.send(
      {
        to: deliveredTo,
        subject,
        plainText: content.plainText,
        html: content.html,
        inlineAttachments: content.inlineAttachments,
      },
      existing?.operationId ?? id,
    );
    const current = (await deps.notifications.get(batch.sender, id)) ?? record;

    if (outcome.kind === 'accepted') {
      current.state = 'sent';
      current.sentAt = clock.now().toISOString();
      Object.assign(current, acceptedDelivery(deps.channel));
      await deps.notifications.update(current);
      await markUnitsNotified(deps, current, batch.rows);
      current.state = 'complete';
      delete current.etag;
      await deps.notifications.update(current);
      summary.emailsSent += 1;
      summary.notified += batch.rows.length;
      continue;
    }

    // A transient failure (a timeout, a lost answer, a 5xx) may hide a send the service took: where the
    // channel can tell, the notification stays 'sending' with its units held, and the next run asks the
    // channel (step 1) before sending anything again. Never resend blindly.
    const uncertain = outcome.kind === 'failed' && !outcome.permanent && deps.channel.supportsStatus;
    current.state = uncertain ? 'sending' : 'abandoned';
    current.lastError = outcome.kind === 'throttled' ? 'throttled' : outcome.reason;
    await deps.notifications.update(current);
    if (outcome.kind === 'throttled') {
      run.stopReason = `the email service is throttling${
        outcome.retryAfterSeconds !== undefined ? ` (retry after ${outcome.retryAfterSeconds} s)` : ''
      }`;
      logger.warn('notify: the email channel is throttling; the rest waits for the next run', {
        retryAfterSeconds: outcome.retryAfterSeconds,
      });
      await markWaiting(deps, batch.rows, `waiting to be sent: ${run.stopReason}`, true);
      summary.carriedOver += batch.rows.length;
      continue;
    }
    for (const row of batch.rows) run.failedThisRun.add(unitKey(row));
    if (uncertain) {
      for (const row of batch.rows) {
        const attempts = (row.sendAttempts ?? 0) + 1;
        await save(deps, row, {
          reason: `send failed (attempt ${attempts}); the next run asks the email service whether it went out: ${outcome.reason}`,
          sendAttempts: attempts,
        });
      }
      summary.carriedOver += batch.rows.length;
      logger.warn(
        'notify: a send may not have gone out; the next run asks the email service before any resend',
        {
          notification: id,
          releases: batch.rows.length,
        },
      );
      continue;
    }
    const failures = await recordFailure(deps, batch.rows, outcome.reason, outcome.permanent);
    summary.failed += failures.failed;
    summary.carriedOver += failures.retrying;
    logger.warn('notify: a send failed', {
      notification: id,
      permanent: outcome.permanent,
      failedReleases: failures.failed,
      retryingReleases: failures.retrying,
    });
  }
}

/** The composer's view of a sender's batch; a message some of whose recipients were told before is a follow-up. */
async function describeBatch(deps: NotifyDependencies, batch: SenderBatch) {
  const messages: (ReleasedMessageSummary & { followUp: boolean })[] = [];
  for (const [networkMessageId, { rows }] of batch.messages) {
    const first = rows[0];
    // Only a message released before to another of its recipients can be a follow-up. When this batch
    // releases every recipient the snapshot lists, no other unit can exist (a release names the message's
    // own recipients, or none for a message without any), so its releases partition is not read: the
    // join stays at one table query per released message, however many messages a run handles.
    const releasedNow = new Set(rows.map((r) => r.releasedTo));
    const othersPossible = (first.originalRecipients ?? []).some((r) => !releasedNow.has(r));
    const told = othersPossible
      ? (await deps.releases.listForMessage(networkMessageId)).filter((r) => r.status === 'notified')
      : [];
    const releaser: ReleasedMessageSummary['releaser'] = rows.some((r) => r.releasedBy && !r.isSystemRelease)
      ? { kind: 'person', name: rows.find((r) => r.releasedBy && !r.isSystemRelease)!.releasedBy! }
      : rows.every((r) => r.isSystemRelease)
        ? { kind: 'system' }
        : { kind: 'administrator' };
    messages.push({
      subject: first.subject ?? '',
      originalRecipients: first.originalRecipients ?? [],
      releasedTo: rows.map((r) => r.releasedTo).filter(Boolean),
      quarantinedAt: first.receivedAt,
      releasedAt: rows.map((r) => r.releasedAt).sort()[0],
      releaser,
      type: first.type,
      policyType: first.policyType,
      policyName: first.policyName,
      followUp: told.length > 0,
    });
  }
  return { sender: batch.sender, messages, followUp: messages.every((m) => m.followUp) };
}

async function markUnitsNotified(deps: NotifyDependencies, record: NotificationRecord, known?: Row[]) {
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
async function freeStaleHold(deps: NotifyDependencies, row: Row): Promise<boolean> {
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
async function releaseUnits(
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

async function markWaiting(deps: NotifyDependencies, rows: Row[], reason: string, clearNotification = false) {
  for (const row of rows) {
    await save(deps, row, clearNotification ? { reason, notificationId: undefined } : { reason });
  }
}

async function recordFailure(deps: NotifyDependencies, rows: Row[], reason: string, permanent: boolean) {
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
async function save(deps: NotifyDependencies, row: Row, change: Partial<ReleaseRow>): Promise<void> {
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

/**
 * Once a day: the releases and notifications tables hold addresses and subjects, so settled rows go
 * after RELEASES_RETENTION_DAYS. A failure is logged and tried again the next day; it never fails the run.
 */
async function purgeIfDue(deps: NotifyDependencies, summary: NotifySummary): Promise<void> {
  const now = deps.clock.now();
  try {
    const last = await deps.state.read<{ lastPurgeAt: string }>('notify', 'purge');
    if (last && now.getTime() - Date.parse(last.lastPurgeAt) < DAY) return;
    const before = new Date(now.getTime() - deps.settings.releasesRetentionDays * DAY);
    summary.purged = {
      releases: await deps.releases.purgeSettledBefore(before),
      notifications: await deps.notifications.purgeFinishedBefore(before),
    };
    await deps.state.write('notify', 'purge', { lastPurgeAt: now.toISOString(), ...summary.purged });
  } catch (error) {
    deps.logger.warn('notify: purge of old releases failed; it is tried again next run', {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

function logSummary(logger: Logger, s: NotifySummary): void {
  logger.info('notify: run summary', {
    outcome: s.outcome,
    auditQuery: s.audit?.state,
    recordsRead: s.audit?.recordsRead,
    recordsIgnored: s.recordsIgnored,
    newReleases: s.newReleases,
    completedReleases: s.completedReleases,
    duplicateRecords: s.duplicateRecords,
    matched: s.matched,
    notified: s.notified,
    skipped: s.skipped,
    pending: s.pending,
    unmatched: s.unmatched,
    failed: s.failed,
    carriedOver: s.carriedOver,
    emailsSent: s.emailsSent,
    recovered: s.recovered,
    deliveries: s.deliveries,
    acceptedDomains: s.acceptedDomainsNote,
    setAside: s.setAside,
    purged: s.purged,
    durationMs: s.durationMs,
  });
}
