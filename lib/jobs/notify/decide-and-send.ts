import { cleanLine, composeNotification, type ReleasedMessageSummary } from '../../mail/compose';
import { notificationId, type NotificationRecord, type ReleaseUnit } from '../../store/notifications-store';
import { acceptedDelivery, nextAttempt } from '../delivery-status';
import { isolate } from '../isolate';
import { markUnitsNotified, markWaiting, recordFailure, save } from './release-rows';
import {
  unitKey,
  type NotifyDependencies,
  type NotifySummary,
  type RunState,
  type SenderBatch,
} from './run-state';
import { describeReleaseReason } from '../../core/outcomes';

/** Each batch on its own: one that fails for a reason of its own is set aside, and the rest still go. */
export async function sendEachBatch(
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
