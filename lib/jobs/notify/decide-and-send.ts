import { cleanLine, composeNotification, type Reader, type ReleasedMessageSummary } from '../../mail/compose';
import { senderInScope, type TenantDomains } from '../outbound';
import { notificationId, type NotificationRecord, type ReleaseUnit } from '../../store/notifications-store';
import { acceptedDelivery, nextAttempt } from '../delivery-status';
import { isolate } from '../isolate';
import {
  markUnitsNotified,
  markWaiting,
  recordFailure,
  saveAll,
  saveDecisions,
  saveRows,
} from './release-rows';
import {
  unitKey,
  type NotifyDependencies,
  type NotifySummary,
  type RowChange,
  type RunState,
  type SenderBatch,
} from './run-state';
import { releaseReason } from '../../core/outcomes';

/**
 * Sender groups recorded at once in a dry run. Nothing goes to the email service then, so order and
 * throttling do not matter and each batch's rows and notification are its own. Real sends go one at a
 * time, oldest first, so a throttled service, the cap or a lost lease stops exactly the ones after it; the
 * email service's own limits (tens a minute) make more at once pointless.
 */
export const DRY_RUN_BATCHES_IN_FLIGHT = 8;

/** Senders whose mailbox settings one cache query reads (lib/sources/mailbox-settings.ts). */
const READERS_PER_QUERY = 14;

/**
 * Step 4: sends the emails of a pass, one per sender batch, as the join hands them over: one group of
 * senders at a time for real sends (in the order the join decides them, oldest release first), eight for
 * a dry run; capped per run, and a throttled channel stops sending until the next run. Each batch on its
 * own: one that fails for a reason of its own is set aside, and the rest still go.
 *
 * The readers' settings are read for `senders` (the pass's senders in the join's order) a share at a time,
 * one cache query per 14: the first share while the first senders' messages are looked up, each next one
 * only once an email of the share before is composed (a dry run reads it a share ahead), so a run stopped
 * by throttling after two emails does not read a thousand. A sender outside the tenant's domains is not read
 * (no email goes to one); one the join did not foresee is read on its own.
 */
export function batchSender(
  deps: NotifyDependencies,
  summary: NotifySummary,
  run: RunState,
  senders: readonly string[],
  tenantDomains: () => Promise<TenantDomains>,
) {
  const dryRun = deps.settings.pilot.dryRun;
  const size = dryRun ? DRY_RUN_BATCHES_IN_FLIGHT * READERS_PER_QUERY : READERS_PER_QUERY;
  let shares: Promise<{ of: Map<string, number>; senders: string[] }> | undefined;
  const reads = new Map<number, Promise<Map<string, Reader>>>();
  const share = async (k: number): Promise<Map<string, Reader> | undefined> => {
    shares ??= tenantDomains().then((domains) => {
      const mayBeTold = senders.filter(
        (s) => s && domains.isAccepted(s) && senderInScope(s, deps.settings.pilot.allowedSenders),
      );
      return { of: new Map(mayBeTold.map((s, i) => [s, Math.floor(i / size)])), senders: mayBeTold };
    });
    const known = await shares;
    if (k * size >= known.senders.length) return undefined;
    let read = reads.get(k);
    if (!read) {
      read = deps.readers!(known.senders.slice(k * size, (k + 1) * size));
      read.catch(() => undefined); // heard by the batches that wait for it
      reads.set(k, read);
    }
    return read;
  };
  const readerOf = async (sender: string): Promise<Reader | undefined> => {
    if (!deps.readers || run.stopReason) return undefined;
    await share(0);
    const k = (await shares!).of.get(sender);
    if (k === undefined) return (await deps.readers([sender])).get(sender);
    // A dry run never stops early: the next share is read while this one's emails are composed.
    if (dryRun) share(k + 1).catch(() => undefined);
    return (await share(k))?.get(sender);
  };
  // The first share is read while the first senders' messages are looked up.
  if (deps.readers && !run.stopReason && senders.length > 0) share(0).catch(() => undefined);
  return {
    /** Resolves once every settings read started has ended, however it ended. */
    async settled(): Promise<void> {
      await Promise.allSettled([shares, ...reads.values()]);
    },
    /** Sender groups worked on at once. */
    inFlight: dryRun ? DRY_RUN_BATCHES_IN_FLIGHT : 1,
    /** Sends a group's batches in order; those left for the next run say why, all at once. */
    async send(batches: readonly SenderBatch[]): Promise<void> {
      const waiting: RowChange[] = [];
      for (const batch of batches) {
        const reader = await readerOf(batch.sender);
        const ref = `${batch.rows.length} release(s), first message ${batch.rows[0]?.networkMessageId}`;
        await isolate(deps, summary, 'batch', ref, () =>
          sendBatch(deps, batch, reader, summary, run, waiting),
        );
      }
      await saveDecisions(deps, run, waiting);
    },
  };
}

async function sendBatch(
  deps: NotifyDependencies,
  batch: SenderBatch,
  reader: Reader | undefined,
  summary: NotifySummary,
  run: RunState,
  waiting: RowChange[],
): Promise<void> {
  const { settings, clock, logger } = deps;
  const dryRun = settings.pilot.dryRun;
  const capReached = `the cap of ${settings.email.maxPerRun} emails per run was reached`;
  if (!run.stopReason && !dryRun && run.sendsClaimed >= settings.email.maxPerRun) run.stopReason = capReached;
  // A send is claimed before anything is awaited, so that sends in flight never pass the cap together.
  let claimed = !run.stopReason && !dryRun;
  if (claimed) run.sendsClaimed += 1;
  const unclaim = () => {
    if (claimed) run.sendsClaimed -= 1;
    claimed = false;
  };
  if (!run.stopReason && !(await run.stillLeased())) run.stopReason = 'the run lost its lease';
  // A send claimed within the cap still goes; a lost lease or throttling stops it.
  if (run.stopReason && !(claimed && run.stopReason === capReached)) {
    unclaim();
    const reason = releaseReason('waiting-to-send', `waiting to be sent: ${run.stopReason}`);
    for (const row of batch.rows) waiting.push({ row, change: reason });
    summary.carriedOver += batch.rows.length;
    return;
  }

  const units: ReleaseUnit[] = batch.rows.map((r) => ({
    networkMessageId: r.networkMessageId,
    releasedTo: r.releasedTo,
  }));
  const id = notificationId(batch.sender, units);
  const content = composeNotification(await describeBatch(deps, batch), settings.email, reader);
  summary.emailsComposed += 1;
  const deliveredTo = settings.pilot.redirectTo ?? batch.sender;
  // Recorded before sending, so a crash after the send is found and checked, not repeated.
  let current: NotificationRecord = {
    sender: batch.sender,
    id,
    operationId: id,
    state: dryRun ? 'dry-run' : 'sending',
    units,
    deliveredTo,
    channel: deps.channel.name,
    createdAt: clock.now().toISOString(),
    ...(dryRun ? {} : { attempts: [id] }),
  };
  if (!(await deps.notifications.create(current))) {
    const existing = await deps.notifications.get(batch.sender, id);
    if (!existing) return unclaim(); // gone again a moment ago: the next run sends it
    if (existing.state === 'sent' || existing.state === 'complete') {
      // Sent before, its rows not yet marked (a crash between the two): mark them, never resend.
      unclaim();
      await markUnitsNotified(deps, existing);
      summary.notified += batch.rows.length;
      return;
    }
    if (!dryRun) {
      Object.assign(
        existing,
        { state: 'sending', deliveredTo, channel: deps.channel.name },
        nextAttempt(existing),
      );
      if (!(await deps.notifications.update(existing))) return unclaim(); // another run took it
    }
    current = existing;
  }

  if (dryRun) {
    const change = { status: 'skipped' as const, ...releaseReason('dry-run'), notificationId: id };
    await saveDecisions(
      deps,
      run,
      batch.rows.map((row) => ({ row, change })),
    );
    summary.skipped['dry-run'] = (summary.skipped['dry-run'] ?? 0) + batch.rows.length;
    return;
  }
  await saveAll(deps, batch.rows, { notificationId: id, ...releaseReason('sending') });

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
    current.operationId,
  );

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
    return;
  }
  unclaim();

  // A transient failure (a timeout, a lost answer, a 5xx) may hide a send the service took: where the
  // channel can tell, the notification stays 'sending' with its units held, and the next run asks the
  // channel (step 1) before sending anything again. Never resend blindly.
  const uncertain = outcome.kind === 'failed' && !outcome.permanent && deps.channel.supportsStatus;
  current.state = uncertain ? 'sending' : 'abandoned';
  current.lastError = outcome.kind === 'throttled' ? 'throttled' : outcome.reason;
  await deps.notifications.update(current);
  if (outcome.kind === 'throttled') {
    // The row says only that the service is throttling (the same sentence run after run, so a waiting row
    // is not rewritten); when to retry is the log's to say.
    run.stopReason = 'the email service is throttling';
    logger.warn('notify: the email channel is throttling; the rest waits for the next run', {
      retryAfterSeconds: outcome.retryAfterSeconds,
    });
    await markWaiting(deps, batch.rows, `waiting to be sent: ${run.stopReason}`, true);
    summary.carriedOver += batch.rows.length;
    return;
  }
  for (const row of batch.rows) run.failedThisRun.add(unitKey(row));
  if (uncertain) {
    await saveRows(
      deps,
      batch.rows.map((row) => {
        const attempts = (row.sendAttempts ?? 0) + 1;
        return {
          row,
          change: {
            ...releaseReason(
              'send-unconfirmed',
              `send failed (attempt ${attempts}); the next run asks the email service whether it went out: ${outcome.reason}`,
            ),
            sendAttempts: attempts,
          },
        };
      }),
    );
    summary.carriedOver += batch.rows.length;
    logger.warn(
      'notify: a send may not have gone out; the next run asks the email service before any resend',
      {
        notification: id,
        releases: batch.rows.length,
      },
    );
    return;
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
        : { kind: 'administrator', tool: rows.find((r) => r.releasedThrough)?.releasedThrough };
    const earliest = rows.reduce((a, b) => (b.releasedAt < a.releasedAt ? b : a));
    messages.push({
      subject: first.subject ?? '',
      originalRecipients: first.originalRecipients ?? [],
      releasedTo: rows.map((r) => r.releasedTo).filter(Boolean),
      quarantinedAt: first.receivedAt,
      releasedAt: earliest.releasedAt,
      // Only the audit record knows the exact time; the quarantine status shows when it was first seen.
      releasedAtExact: earliest.sources.includes('audit'),
      releaser,
      type: first.type,
      policyType: first.policyType,
      policyName: first.policyName,
      followUp: told.length > 0,
    });
  }
  return { sender: batch.sender, messages, followUp: messages.every((m) => m.followUp) };
}
