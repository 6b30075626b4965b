import { DAY } from '../../core/clock';
import type { NotifyDependencies, NotifySummary } from './run-state';

/**
 * Once a day: the releases and notifications tables hold addresses and subjects, so settled rows go
 * after RELEASES_RETENTION_DAYS. A failure is logged and tried again the next day; it never fails the run.
 */
export async function purgeSettledIfDue(deps: NotifyDependencies, summary: NotifySummary): Promise<void> {
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
