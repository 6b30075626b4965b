import type { RunOutcome } from '../core/outcomes';
import type { NotifySummary } from '../jobs/notify';
import type { SnapshotSummary } from '../jobs/snapshot';
import { classifyFailure, type FailureClass } from '../sources/failure-class';
import alertCatalogue from '../config/alerts.json';
import { AUDITING_OFF } from '../sources/audit/audit-source';

/**
 * One structured event per run of a job, for the administrators' alerts (infra/app/alerts.bicep) and the
 * local host. Built by a pure function from the job's summary (or the error it threw).
 *
 * Why a log line and not an SDK: on Flex Consumption the Functions host already forwards every
 * `context.log`/`context.info` line of the Node v4 model to Application Insights `traces`. A line with a fixed
 * prefix and a JSON body is read by KQL with `parse_json`, costs no dependency (the OpenTelemetry distro
 * would add megabytes to a deployment zip that must stay small) and looks the same on a terminal.
 *
 * Counts and ids only: subjects and addresses appear (in `failure`) only when LOG_PERSONAL_DATA is on.
 */

export type JobName = 'snapshot' | 'notify';

/** Short codes an alert and the doctor can decide on (lib/core/outcomes.ts lists them). */
export type { RunOutcome };

export interface RunEvent {
  job: JobName;
  outcome: RunOutcome;
  startedAt: string;
  durationMs: number;
  /** Rows read from Exchange (snapshot) or audit records read (notify). */
  fetched: number;
  /** Rows stored (snapshot) or new releases recorded (notify). */
  stored: number;
  /** Releases learned this run: from the quarantine's status (snapshot) or the audit log (notify). */
  releasesSeen: number;
  /** Release units whose sender was told. */
  told: number;
  /** Skipped, by reason (rows the snapshot could not key; releases not to be told). */
  skipped: Record<string, number>;
  /** Release units whose notification failed for good this run. */
  failed: number;
  /** Work left for the next run (sends held back, an unfinished audit query). */
  carriedOver: number;
  /** Records, rows or batches that could not be stored or used, set aside with their reason. */
  setAside: number;
  /** Age of the audit log query left open after this run; null when none is open. */
  auditQueryAgeMinutes: number | null;
  /** AUDIT_QUERY_STUCK_MINUTES, so that an alert compares the age with the app's own setting. */
  auditQueryStuckMinutes: number;
  /** Set for a failed or partial run. */
  failureClass: FailureClass | null;
  /** What failed, in the app's words (addresses redacted unless LOG_PERSONAL_DATA is on). */
  failure: string | null;
  /** Failed or partial runs of this job in a row, this one included; null when the state table was unreadable. */
  consecutiveFailures: number | null;
}

/** The fixed prefix of a run event's line; the alert queries select on it (lib/config/alerts.json). */
export const RUN_EVENT_PREFIX: string = alertCatalogue.eventPrefix;

export type RunResult =
  | { job: 'snapshot'; summary: SnapshotSummary }
  | { job: 'notify'; summary: NotifySummary }
  | { job: JobName; error: unknown };

export interface RunEventInput {
  result: RunResult;
  startedAt: Date;
  finishedAt: Date;
  /** consecutiveFailures of this job's previous run; null when unknown. */
  previousFailures: number | null;
  settings: { logPersonalData: boolean; audit: { stuckMinutes: number } };
}

const FAILURE_TEXT_LIMIT = 500;

/** Audit records that could not be used (as opposed to records that are simply not releases). */
const UNUSABLE_AUDIT_RECORDS = new Set([
  'unreadable record',
  'not an object',
  'bad JSON in auditData',
  'no record id',
  'no NetworkMessageId',
]);

export function buildRunEvent(input: RunEventInput): RunEvent {
  const { result, settings } = input;
  const event: RunEvent = {
    job: result.job,
    outcome: 'completed',
    startedAt: input.startedAt.toISOString(),
    durationMs: Math.max(0, input.finishedAt.getTime() - input.startedAt.getTime()),
    fetched: 0,
    stored: 0,
    releasesSeen: 0,
    told: 0,
    skipped: {},
    failed: 0,
    carriedOver: 0,
    setAside: 0,
    auditQueryAgeMinutes: null,
    auditQueryStuckMinutes: settings.audit.stuckMinutes,
    failureClass: null,
    failure: null,
    consecutiveFailures: null,
  };
  let trouble: { error: unknown; class?: FailureClass } | undefined;
  if ('error' in result) {
    event.outcome = 'failed';
    trouble = { error: result.error };
  } else if (result.job === 'snapshot') {
    trouble = fromSnapshot(result.summary, event);
  } else {
    trouble = fromNotify(result.summary, event);
  }
  if (trouble) {
    event.failureClass = trouble.class ?? classifyFailure(trouble.error);
    event.failure = failureText(trouble.error, settings.logPersonalData);
  }
  event.consecutiveFailures = nextFailureCount(event.outcome, input.previousFailures);
  return event;
}

/** Failed and partial runs count up; a completed run resets; a skipped run leaves the count as it was. */
export function nextFailureCount(outcome: RunOutcome, previous: number | null): number | null {
  if (outcome === 'completed') return 0;
  if (outcome === 'skipped') return previous;
  return previous === null ? null : previous + 1;
}

function fromSnapshot(
  s: SnapshotSummary,
  event: RunEvent,
): { error: unknown; class?: FailureClass } | undefined {
  event.fetched = s.rowsFetched;
  event.stored = s.rowsWritten;
  event.releasesSeen = s.releasesSeenEarly?.newReleases ?? 0;
  event.skipped = { ...s.skipped };
  // A row that cannot be keyed is not stored: it is set aside (counted by reason in `skipped`).
  event.setAside = sum(s.skipped);
  if (s.outcome === 'busy') {
    event.outcome = 'skipped';
    return undefined;
  }
  if (s.outcome === 'failed') {
    event.outcome = 'failed';
    // The summary keeps the thrown error's class: its message alone may not tell.
    return { error: s.error ?? 'snapshot failed', class: s.failureClass };
  }
  if (s.releasesSeenEarly?.error !== undefined) {
    event.outcome = 'partial';
    return { error: `released-messages query: ${s.releasesSeenEarly.error}` };
  }
  return undefined;
}

function fromNotify(s: NotifySummary, event: RunEvent): { error: unknown; class?: FailureClass } | undefined {
  event.fetched = s.audit?.recordsRead ?? 0;
  event.stored = s.newReleases;
  event.releasesSeen = s.newReleases + s.completedReleases;
  event.told = s.notified;
  event.skipped = Object.fromEntries(Object.entries(s.skipped).filter(([, n]) => (n ?? 0) > 0)) as Record<
    string,
    number
  >;
  event.failed = s.failed;
  event.carriedOver = s.carriedOver + (s.audit?.state === 'succeeded' || !s.audit ? 0 : 1);
  // Audit records that cannot be used, and the records, messages, rows and sends the run set aside.
  event.setAside =
    Object.entries(s.recordsIgnored)
      .filter(([reason]) => UNUSABLE_AUDIT_RECORDS.has(reason))
      .reduce((total, [, n]) => total + n, 0) + (s.setAside ?? 0);
  event.auditQueryAgeMinutes = s.audit?.queryAgeMinutes ?? null;
  if (s.outcome === 'busy') {
    event.outcome = 'skipped';
    return undefined;
  }
  if (s.audit?.state === 'throttled') {
    event.outcome = 'partial';
    return { error: auditTrouble(s.audit) ?? 'the audit log answered 429 (throttled)', class: 'throttling' };
  }
  if (s.audit?.state === 'auditing-off') {
    // A setting of the tenant, not a fault of the app: its own class, so an alert can say what to do.
    event.outcome = 'partial';
    return { error: auditTrouble(s.audit) ?? `audit log: ${AUDITING_OFF}`, class: 'auditing-off' };
  }
  if (s.audit?.state === 'failed') {
    event.outcome = 'partial';
    // A refusal whose missing grant is known is a permission, whatever its words.
    return {
      error: auditTrouble(s.audit) ?? 'the audit log query failed',
      class: s.audit.permissionGap ? 'permission' : undefined,
    };
  }
  return undefined;
}

function auditTrouble(audit: NonNullable<NotifySummary['audit']>): string | undefined {
  if (audit.error !== undefined) return `audit log: ${audit.error}`;
  const notes = audit.notes?.filter((n) => n.length > 0) ?? [];
  return notes.length > 0 ? `audit log: ${notes.join('; ')}` : undefined;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, n) => total + n, 0);
}

const ADDRESS = /[^\s@<>()",;:'[\]]+@[^\s@<>()",;:'[\]]+\.[^\s@<>()",;:'[\]]+/g;

function failureText(error: unknown, personalData: boolean): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  const safe = personalData ? text : text.replace(ADDRESS, '[address]');
  return safe.length > FAILURE_TEXT_LIMIT ? `${safe.slice(0, FAILURE_TEXT_LIMIT - 1)}…` : safe;
}

/** The line the host forwards to Application Insights `traces` (and the local host prints). */
export function runEventLine(event: RunEvent): string {
  return RUN_EVENT_PREFIX + JSON.stringify(event);
}
