import type { EmailChannel } from '../../mail/channel';
import { acceptedDelivery } from '../delivery-status';
import { markUnitsNotified, releaseUnits } from './release-rows';
import type { NotifyDependencies, NotifySummary } from './run-state';

/** Step 1: a crash may have left a notification recorded but not confirmed. Settle each one first. */
export async function recoverUncertainSends(deps: NotifyDependencies, summary: NotifySummary): Promise<void> {
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
