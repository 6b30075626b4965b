import type { AuditSource } from '../../sources/audit/audit-source';
import { normaliseAuditRecord } from '../../sources/audit/records';
import { isolate, SET_ASIDE } from '../isolate';
import type { NotifyDependencies, NotifySummary } from './run-state';

/** Step 2: new audit records become release rows (de-duplicated by unit; re-read records are no-ops). */
export async function collectAuditReleases(
  deps: NotifyDependencies,
  source: AuditSource,
  summary: NotifySummary,
) {
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
