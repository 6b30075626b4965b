import type { Clock } from '../core/clock';
import { DAY } from '../core/clock';
import type { Logger } from '../core/log';
import { releaseReason, releaseReasonOf, type DecidedReason } from '../core/outcomes';
import type { DeliveryReport, EmailChannel } from '../mail/channel';
import { attemptOperationId, type NotificationRecord } from '../store/notifications-store';
import { applyReleaseChange, type ReleaseRow } from '../store/releases-store';
import type { NotificationsPort, ReleasesPort } from './notify/ports';

/**
 * Accepted is not delivered (docs/architecture.md#exactly-once): ACS answers 202 to a send and may end
 * the operation `Failed` later. Each notify run reads the final status of accepted operations, a bounded
 * number per run (docs/wire-contract.md, ACS Email):
 *
 * - Succeeded: delivered; its releases say so, with the time the status was read.
 * - Failed because the recipient cannot receive mail (suppressed, invalid): failed, with ACS's reason.
 * - Failed otherwise: its releases go back to the queue and are sent again under a NEW operation id
 *   (a reused id may be answered with the failed operation), up to MAX_SEND_ATTEMPTS attempts.
 * - NotStarted/Running: asked again next run.
 * - 404 or a state nobody documented: never a reason to send again (the send was accepted, and a second
 *   one could deliver twice); after a bounded number of such answers it is recorded as unconfirmed.
 *
 * Graph sendMail has no operation to ask about: its notifications are not tracked here.
 */

export const DELIVERY_CHECKS_PER_RUN = 20;
/** Lookups answering nothing known before an accepted send is recorded as unconfirmed (never resent). */
export const MAX_UNKNOWN_ANSWERS = 12;
/** An accepted operation still not final after this long is recorded as unconfirmed. */
export const DELIVERY_TRACKING_MS = 3 * DAY;

export interface DeliverySummary {
  checked: number;
  delivered: number;
  resending: number;
  failed: number;
  unconfirmed: number;
  stillWaiting: number;
  /** Lookups that could not be made now (network, 5xx): asked again next run. */
  lookupErrors: number;
}

export interface DeliveryStatusDeps {
  notifications: Pick<NotificationsPort, 'listAwaitingDelivery' | 'update'>;
  releases: Pick<ReleasesPort, 'get' | 'update'>;
  channel: EmailChannel;
  clock: Clock;
  logger: Logger;
  maxAttempts: number;
  checksPerRun?: number;
}

/** ACS's words for a recipient that cannot receive mail: sending again cannot help. */
const CANNOT_RECEIVE =
  /suppress|invalid\s*recipient|recipient\s*(address\s*)?(is\s*)?invalid|invalid\s*(email\s*)?address|(mailbox|recipient|user)\s*(does\s*not|doesn't)\s*exist|no\s*such\s*(user|mailbox)|blocked\s*recipient/i;

export function recipientCannotReceive(error: DeliveryReport['error']): boolean {
  return CANNOT_RECEIVE.test(`${error?.code ?? ''} ${error?.message ?? ''}`);
}

function failureText(error: DeliveryReport['error']): string {
  const parts = [error?.code, error?.message].filter(Boolean);
  return parts.length > 0 ? parts.join(': ') : 'no reason given';
}

/** Reads the final status of accepted operations and acts on it. */
export async function checkDeliveries(deps: DeliveryStatusDeps): Promise<DeliverySummary> {
  const summary: DeliverySummary = {
    checked: 0,
    delivered: 0,
    resending: 0,
    failed: 0,
    unconfirmed: 0,
    stillWaiting: 0,
    lookupErrors: 0,
  };
  if (!deps.channel.deliveryStatus) return summary;
  const records = await deps.notifications.listAwaitingDelivery(deps.checksPerRun ?? DELIVERY_CHECKS_PER_RUN);
  for (const record of records) {
    if (record.channel !== deps.channel.name) continue; // sent by a channel this run cannot ask
    let report: DeliveryReport;
    try {
      summary.checked += 1;
      report = await deps.channel.deliveryStatus(record.operationId);
    } catch (error) {
      summary.lookupErrors += 1;
      deps.logger.warn('notify: could not read the final status of a sent notification; will ask again', {
        notification: record.id,
        error: error instanceof Error ? error.message : String(error),
      });
      continue;
    }
    await settle(deps, record, report, summary);
  }
  return summary;
}

async function settle(
  deps: DeliveryStatusDeps,
  record: NotificationRecord,
  report: DeliveryReport,
  summary: DeliverySummary,
): Promise<void> {
  const now = deps.clock.now().toISOString();
  if (report.state === 'succeeded') {
    record.delivery = 'delivered';
    record.deliveredAt = now;
    if (!(await deps.notifications.update(record))) return;
    await updateUnits(deps, record, (row) =>
      row.status === 'notified' && row.notificationId === record.id
        ? { deliveredAt: now, ...withDelivered(row, now) }
        : undefined,
    );
    summary.delivered += 1;
    return;
  }
  if (report.state === 'in-progress' || report.state === 'unknown') {
    const age = Date.parse(now) - Date.parse(record.sentAt ?? record.createdAt);
    if (report.state === 'unknown') record.unknownAnswers = (record.unknownAnswers ?? 0) + 1;
    if ((record.unknownAnswers ?? 0) >= MAX_UNKNOWN_ANSWERS || age > DELIVERY_TRACKING_MS) {
      // Accepted, and never a known final state: not sent again (that could deliver twice).
      record.delivery = 'unconfirmed';
      record.lastError = `ACS accepted the email but never reported its delivery (${report.raw ?? 'still running'})`;
      summary.unconfirmed += 1;
      deps.logger.warn('notify: an accepted email never reached a known final state; not sent again', {
        notification: record.id,
        answer: report.raw,
      });
    } else {
      summary.stillWaiting += 1;
    }
    await deps.notifications.update(record);
    return;
  }

  // Failed after its 202.
  const reason = failureText(report.error);
  const permanent = recipientCannotReceive(report.error);
  const attempts = record.attempts?.length ?? 1;
  const outOfAttempts = attempts >= deps.maxAttempts;
  record.state = 'abandoned';
  record.delivery = permanent || outOfAttempts ? 'failed' : 'resend';
  record.lastError = `ACS accepted the email, then reported it Failed: ${reason}`;
  if (!(await deps.notifications.update(record))) return;
  await updateUnits(deps, record, (row) => {
    if (row.notificationId !== record.id || (row.status !== 'notified' && row.status !== 'pending')) {
      return undefined;
    }
    if (permanent || outOfAttempts) {
      return {
        status: 'failed',
        ...releaseReason(
          'delivery-failed',
          permanent
            ? `ACS could not deliver the email, the recipient cannot receive mail: ${reason}`
            : `ACS could not deliver the email after ${attempts} attempts: ${reason}`,
        ),
        notifiedAt: undefined,
        sendAttempts: attempts,
      };
    }
    return {
      status: 'pending',
      ...releaseReason(
        'delivery-retry',
        `ACS could not deliver the email (attempt ${attempts}); sending again under a new operation id: ${reason}`,
      ),
      notificationId: undefined,
      notifiedAt: undefined,
      sendAttempts: attempts,
    };
  });
  if (record.delivery === 'failed') summary.failed += 1;
  else summary.resending += 1;
  deps.logger.warn('notify: an accepted email ended Failed', {
    notification: record.id,
    permanent,
    attempts,
    resend: record.delivery === 'resend',
  });
}

/** A delivered row's reason: what it said (a redirect keeps its code), then the delivery. */
function withDelivered(row: ReleaseRow, at: string): DecidedReason {
  const delivered = `delivered (ACS confirmed it by ${at})`;
  return row.reason
    ? releaseReason(row.reasonCode ?? releaseReasonOf(row.reason) ?? 'other', `${row.reason}; ${delivered}`)
    : releaseReason('delivered', delivered);
}

/** Applies a change to each release row of the notification, re-reading on a lost race. */
async function updateUnits(
  deps: DeliveryStatusDeps,
  record: NotificationRecord,
  change: (row: ReleaseRow) => Partial<ReleaseRow> | undefined,
): Promise<void> {
  for (const unit of record.units) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const row = await deps.releases.get(unit.networkMessageId, unit.releasedTo);
      if (!row) break;
      const patch = change(row);
      if (!patch) break;
      applyReleaseChange(row, patch, deps.clock.now());
      if ((await deps.releases.update(row)) !== undefined) break;
    }
  }
}

/**
 * The operation id of the next send of a notification already recorded: a new one after a known failure
 * (ACS may answer a reused id with the failed operation), the same one otherwise (an id the service never
 * saw may be used again, and one it did see is then answered with the earlier operation, not sent twice).
 * Every id is kept in `attempts`, recorded before its send.
 */
export function nextAttempt(record: NotificationRecord): Pick<
  NotificationRecord,
  'operationId' | 'attempts'
> & {
  delivery: undefined;
  unknownAnswers: undefined;
} {
  const attempts = record.attempts ?? [record.operationId];
  const operationId =
    record.delivery === 'resend' ? attemptOperationId(record.id, attempts.length + 1) : record.operationId;
  return {
    operationId,
    attempts: attempts.includes(operationId) ? attempts : [...attempts, operationId],
    delivery: undefined,
    unknownAnswers: undefined,
  };
}

/** What an accepted send records: tracked until its final status where the channel can tell. */
export function acceptedDelivery(channel: EmailChannel): Pick<NotificationRecord, 'delivery'> {
  return channel.deliveryStatus ? { delivery: 'awaiting' } : {};
}
