import type { Settings } from '../../config/settings';
import type { Clock } from '../../core/clock';
import type { QuarantinedMessage } from '../../core/domain';
import type { Logger } from '../../core/log';
import type { EmailChannel } from '../../mail/channel';
import type { Reader } from '../../mail/compose';
import type { AuditCollectResult, AuditSource } from '../../sources/audit/audit-source';
import type { ReleaseRow } from '../../store/releases-store';
import type { DeliverySummary } from '../delivery-status';
import type { SkipReason, TenantDomains } from '../outbound';
import type { NotificationsPort, QuarantineLookup, ReleasesPort, StatePort } from './ports';
import type { JobOutcome } from '../../core/outcomes';
import type { SET_ASIDE } from '../isolate';

/** What a notify run is given (lib/composition.ts builds it). */
export interface NotifyDependencies {
  settings: Settings;
  clock: Clock;
  logger: Logger;
  state: StatePort;
  releases: ReleasesPort;
  notifications: NotificationsPort;
  quarantine: QuarantineLookup;
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
    Partial<Pick<AuditCollectResult, 'queryAgeMinutes' | 'notes' | 'auditingOff' | 'permissionGap'>> & {
      error?: string;
    };
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

export type Row = ReleaseRow & { etag?: string };

/** A change to one release row. */
export interface RowChange {
  row: Row;
  change: Partial<ReleaseRow>;
}

/** What the passes of one run share. */
export interface RunState {
  stillLeased: () => Promise<boolean>;
  /** Emails accepted this run, and those being sent now: what the per-run cap counts. */
  sendsClaimed: number;
  /** Why sending stopped for the rest of this run (cap, throttling, lost lease). */
  stopReason?: string;
  /** Units joined to the snapshot this run. */
  matched: Set<string>;
  /** Units whose send failed this run: retried by a later run, not by this one's second pass. */
  failedThisRun: Set<string>;
  /** Every release row this run has read or written, by unit: read once per run, kept current. */
  rows: Map<string, Row>;
  /** The snapshot rows of each message looked up this run (empty when not found). */
  snapshot: Map<string, QuarantinedMessage[] | typeof SET_ASIDE>;
  /**
   * Decisions that start no send (skips, dry runs, waiting reasons), made before this run reads the audit
   * log and held in memory until it has (see `holdDecisions` in release-rows.ts); undefined otherwise.
   */
  heldDecisions?: RowChange[];
}

export const unitKey = (row: { networkMessageId: string; releasedTo: string }) =>
  `${row.networkMessageId}|${row.releasedTo}`;

/** A sender's releases that are ready to be told, grouped into one email. */
export interface SenderBatch {
  sender: string;
  rows: Row[];
  messages: Map<string, { rows: Row[] }>;
  oldest: string;
}

/** A run's summary before any pass has counted anything. */
export function emptySummary(): NotifySummary {
  return {
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
}
