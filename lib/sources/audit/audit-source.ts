import type { PermissionGap } from '../../fleet/tenant-fixes';

/**
 * Where the notify job learns releases from the unified audit log. The Graph audit log query API is
 * the first source; the Management Activity API can come later behind the same interface.
 */
export interface AuditSource {
  /**
   * Advances the source by at most one step of remote work (for Graph: create or poll one query, and
   * read it once it has succeeded) and hands over the raw records it read, page by page.
   *
   * `onRecords` receives raw records (normalise them with `normaliseAuditRecord`); they are handed over
   * before the source marks their window covered, so a crash re-reads records rather than losing them.
   * The same record can therefore arrive again, in this run or a later one: de-duplicate by record id.
   * An error thrown by `onRecords` propagates and leaves the source's state where it was.
   *
   * Remote failures (throttling, a service error) do not throw: they are carried to the next run and
   * reported in the result.
   *
   * `othersFirst`, when given, is work of the caller's that runs meanwhile: the source asks what it can
   * at once, but waits between polls only once that work has settled.
   */
  collect(
    onRecords: (records: unknown[]) => Promise<void>,
    othersFirst?: Promise<unknown>,
  ): Promise<AuditCollectResult>;
}

export type AuditQueryState =
  /** A new query was created this run and has not finished yet: carried over. */
  | 'created'
  /** A failed, cancelled, lost or stuck query was replaced by a new one, not finished yet: carried over. */
  | 'recreated'
  /** A query from an earlier run is still running: carried over. */
  | 'running'
  /** A query finished and every page of it was handed over. */
  | 'succeeded'
  /** Graph answered 429 even after the client's retries: carried over. */
  | 'throttled'
  /** Graph answered an error this run cannot work around (see notes): carried over. */
  | 'failed'
  /**
   * The tenant has unified audit logging turned off (AuditingDisabledTenant): nothing to read until an
   * administrator turns it on; releases seen in the quarantine's status are still told.
   */
  | 'auditing-off';

export interface AuditCollectResult {
  state: AuditQueryState;
  /** The query this run worked on (created, polled or read). */
  queryId?: string;
  queryAgeMinutes?: number;
  /** Raw records handed to `onRecords` this run. */
  recordsRead: number;
  pages: number;
  /** The event-time window of the query this run worked on (ISO UTC). */
  windowStart?: string;
  windowEnd?: string;
  /** True when work is left for the next run (an open query, a throttled create, a failed read). */
  carriedOver: boolean;
  /** Queries created this run: 0 or 1. */
  queriesCreated: number;
  /** Windows waiting for their own query (after a split for isRecordCountLimitExceeded). */
  pendingWindows: number;
  /** Everything this source has read is complete up to this time (ISO UTC), when known. */
  coveredUntil?: string;
  /** Short, address-free remarks for the run summary ("query failed: recreated", "split window", …). */
  notes: string[];
  /** Set while the tenant's auditing is off: since when, and when a query creation is tried again. */
  auditingOff?: { since: string; nextAttemptAt: string };
  /** A refusal's missing grant, from its status or Entra's code (the notes say it in words). */
  permissionGap?: PermissionGap;
}

/** What an AuditingDisabledTenant answer means, and its fix (said by the run, the doctor and the health). */
export const AUDITING_OFF = 'unified audit logging is turned off for the tenant (AuditingDisabledTenant)';
export const AUDITING_OFF_FIX =
  'turn on unified audit log ingestion (Microsoft Purview portal > Audit > "Start recording user and admin ' +
  'activity", or Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true in Exchange Online ' +
  "PowerShell); meanwhile releases seen in the quarantine's own status are still told";
