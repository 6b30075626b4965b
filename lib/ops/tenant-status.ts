import type { Application } from '../composition';
import { fleetPeriods, FLEET_PERIOD_DAYS, parseConsoleQuery, scannedRows } from '../console/view';
import type { TenantStatus } from '../fleet/tenants-store';
import { checkHealth, judgeJob } from '../health/health';

/**
 * A customer tenant's status for the fleet page, measured at the end of its run (docs/architecture.md#many-tenants):
 * its health without the release counts (a few point reads), and the counts of the console's periods
 * from one scan of the longest. The page then reads every tenant's status with the one query that lists
 * the tenants, instead of a health check and a scan per tenant per page.
 */
export async function measureTenantStatus(app: Application, troubles: string[]): Promise<TenantStatus> {
  const report = await checkHealth(
    { settings: () => app.settings, application: async () => app, clock: app.clock },
    { releaseCounts: false },
  );
  const now = new Date(report.checkedAt);
  const lastRuns = {
    snapshot: report.jobs?.snapshot.lastSuccessAt ?? null,
    notify: report.jobs?.notify.lastSuccessAt ?? null,
  };
  // The jobs' ages are judged when the page is read; the other problems stay as this run saw them.
  const ages = new Set(
    (['snapshot', 'notify'] as const).map(
      (job) => judgeJob(job, lastRuns[job], now, app.settings.alerts.noSuccessMinutes).problem,
    ),
  );
  const longest = Math.max(...FLEET_PERIOD_DAYS);
  const rows = await scannedRows(
    app.releases,
    parseConsoleQuery(new URLSearchParams({ period: `${longest}` })),
    now,
  );
  return {
    recordedAt: report.checkedAt,
    lastRuns,
    problems: [...report.problems.filter((p) => !ages.has(p)), ...troubles.map((t) => `last run: ${t}`)],
    periods: fleetPeriods(rows, now, app.settings.schedules.notify),
  };
}
