import type { Logger } from '../../core/log';
import type { NotifySummary } from './run-state';

export function logSummary(logger: Logger, s: NotifySummary): void {
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
