import { SettingsError, type Settings } from '../config/settings';
import { DAY, HOUR, MINUTE, systemClock, type Clock } from '../core/clock';
import type { Application } from '../composition';
import { readSuccessfulRun } from '../jobs/last-run';
import { SNAPSHOT_JOB } from '../jobs/snapshot';
import { AUDITING_OFF } from '../sources/audit/audit-source';
import {
  AUDITING_OFF_RETRY_MS,
  GRAPH_AUDIT_STATE_JOB,
  GRAPH_AUDIT_STATE_KEY,
  type GraphAuditQueryState,
} from '../sources/audit/graph-audit-query';
import type { ReleaseStatus } from '../store/releases-store';
import type { TenantRecord } from '../fleet/tenants-store';

/**
 * The app's health, for `GET /api/health`: ids, times, ages and counts only — no secrets, no addresses, no
 * subjects, no setting values.
 *
 * Unhealthy (503) when any of these holds:
 *   - a setting is missing or invalid (the app cannot start);
 *   - the storage account does not answer;
 *   - a job (snapshot, notify) has not completed a run for longer than ALERT_NO_SUCCESS_MINUTES (default an
 *     hour: four missed runs of a 15-minute timer), or never has;
 *   - the open audit log query is older than AUDIT_QUERY_STUCK_MINUTES plus an hour (the notify job should
 *     have replaced it by then).
 * Failed and unmatched releases are reported, not judged: they are data an administrator looks at
 * (`qrn report --status failed`), not a sign that the app is down.
 */

/** Unmatched and failed releases are counted over this window (the report shows older ones). */
export const COUNT_WINDOW_MS = 30 * DAY;
const STORAGE_TIMEOUT_MS = 10_000;

export interface HealthSource {
  /** Throws SettingsError when the settings are invalid. */
  settings(): Settings;
  application(): Promise<Application>;
  clock?: Clock;
}

export interface JobHealth {
  lastSuccessAt: string | null;
  ageMinutes: number | null;
  ok: boolean;
}

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  checkedAt: string;
  /** One short sentence per reason for "unhealthy". */
  problems: string[];
  settings: 'valid' | 'invalid';
  /** Names of the settings that are missing or invalid (never their values). */
  invalidSettings?: string[];
  storage: 'reachable' | 'unreachable' | 'not checked';
  jobs?: { snapshot: JobHealth; notify: JobHealth };
  auditQuery?:
    | { used: false }
    | {
        used: true;
        open: boolean;
        openAgeMinutes: number | null;
        lastSucceededAt: string | null;
        lastSucceededAgeMinutes: number | null;
        coveredUntil: string | null;
        /** Set while the tenant's auditing is off: since when, and when a query is tried again. */
        auditingOff: { since: string; nextAttemptAt: string } | null;
      };
  releases?: { pending: number; unmatched: number; failed: number; unmatchedAndFailedSince: string };
}

/** The names of the settings a SettingsError refuses (never their values). */
function invalidSettingNames(error: SettingsError): string[] {
  return [...new Set(error.problems.map((p) => p.split(/[\s:]/)[0]))];
}

/** The problem said for settings that cannot start the app. */
export function settingsInvalidProblem(error: SettingsError): string {
  return `settings invalid: ${invalidSettingNames(error).join(', ')}`;
}

/**
 * A job's health from its last successful run: not ok when it never ran, or not for longer than the "no
 * successful run" alert's threshold (ALERT_NO_SUCCESS_MINUTES), which is then the problem said.
 */
export function judgeJob(
  name: string,
  lastSuccessAt: string | null,
  now: Date,
  noSuccessMinutes: number,
): { health: JobHealth; problem?: string } {
  const age = lastSuccessAt ? now.getTime() - Date.parse(lastSuccessAt) : null;
  const ok = age !== null && age <= noSuccessMinutes * MINUTE;
  const problem =
    age === null
      ? `${name}: no successful run recorded`
      : `${name}: no successful run for ${Math.floor(age / MINUTE)} minutes`;
  return { health: { lastSuccessAt, ageMinutes: minutes(age), ok }, ...(ok ? {} : { problem }) };
}

/** `releaseCounts: false` leaves out the three counts of releases (the fleet page's status has no use for them). */
export async function checkHealth(
  source: HealthSource,
  options: { releaseCounts?: boolean } = {},
): Promise<HealthReport> {
  const clock = source.clock ?? systemClock;
  const report: HealthReport = {
    status: 'healthy',
    checkedAt: clock.now().toISOString(),
    problems: [],
    settings: 'valid',
    storage: 'not checked',
  };
  const finish = () => {
    report.status = report.problems.length === 0 ? 'healthy' : 'unhealthy';
    return report;
  };

  let settings: Settings;
  try {
    settings = source.settings();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    report.settings = 'invalid';
    report.invalidSettings = invalidSettingNames(error);
    report.problems.push(settingsInvalidProblem(error));
    return finish();
  }

  let app: Application;
  try {
    app = await withTimeout(source.application(), STORAGE_TIMEOUT_MS);
    await withTimeout(app.state.read('health', 'probe'), STORAGE_TIMEOUT_MS);
    report.storage = 'reachable';
  } catch {
    report.storage = 'unreachable';
    report.problems.push('storage unreachable');
    return finish();
  }
  const now = (source.clock ?? app.clock).now();
  report.checkedAt = now.toISOString();

  const job = async (name: string): Promise<JobHealth> => {
    const last = await readSuccessfulRun(app.state, name);
    const judged = judgeJob(name, last?.completedAt ?? null, now, settings.alerts.noSuccessMinutes);
    if (judged.problem) report.problems.push(judged.problem);
    return judged.health;
  };
  report.jobs = { snapshot: await job(SNAPSHOT_JOB), notify: await job('notify') };

  if (settings.releaseSources === 'quarantine') {
    report.auditQuery = { used: false };
  } else {
    const state = await app.state.read<GraphAuditQueryState>(GRAPH_AUDIT_STATE_JOB, GRAPH_AUDIT_STATE_KEY);
    const openAge = state?.open ? now.getTime() - Date.parse(state.open.createdAt) : null;
    const succeededAge = state?.lastSucceededAt ? now.getTime() - Date.parse(state.lastSucceededAt) : null;
    report.auditQuery = {
      used: true,
      open: state?.open !== undefined,
      openAgeMinutes: minutes(openAge),
      lastSucceededAt: state?.lastSucceededAt ?? null,
      lastSucceededAgeMinutes: minutes(succeededAge),
      coveredUntil: state?.coveredUntil ?? null,
      auditingOff: state?.auditingOff
        ? {
            since: state.auditingOff.since,
            nextAttemptAt: new Date(
              Date.parse(state.auditingOff.triedAt) + AUDITING_OFF_RETRY_MS,
            ).toISOString(),
          }
        : null,
    };
    if (state?.auditingOff) {
      report.problems.push(
        `${AUDITING_OFF} since ${state.auditingOff.since}: turn on unified audit log ingestion`,
      );
    }
    if (openAge !== null && openAge > settings.audit.stuckMinutes * MINUTE + HOUR) {
      report.problems.push(`audit query open for ${Math.floor(openAge / MINUTE)} minutes`);
    }
  }

  if (options.releaseCounts === false) return finish();
  const since = new Date(now.getTime() - COUNT_WINDOW_MS);
  const count = async (status: ReleaseStatus, from?: Date) => {
    let n = 0;
    for await (const _row of app.releases.list({ status, since: from })) n++;
    return n;
  };
  report.releases = {
    pending: await count('pending'),
    unmatched: await count('unmatched', since),
    failed: await count('failed', since),
    unmatchedAndFailedSince: since.toISOString(),
  };
  return finish();
}

/** A deployment's customer tenants, each checked as a deployment of its own (docs/architecture.md#many-tenants). */
export interface FleetHealthSource {
  tenants: { list(): Promise<TenantRecord[]> };
  /** What one customer tenant's health reads: its own settings and application (its own tables). */
  tenant(record: TenantRecord): HealthSource;
}

/** How many customer tenants are checked at once. */
const TENANTS_AT_ONCE = 8;

/**
 * Each customer tenant's health, then what the caller reads of it, a few tenants at a time; one tenant's
 * trouble is its own entry and never keeps the others from theirs.
 */
export async function forEachTenantHealth<T>(
  fleet: FleetHealthSource,
  clock: Clock | undefined,
  read: (record: TenantRecord, report: HealthReport, source: HealthSource) => Promise<T> | T,
): Promise<T[]> {
  const records = await fleet.tenants.list();
  const results: T[] = [];
  for (let i = 0; i < records.length; i += TENANTS_AT_ONCE) {
    const batch = records.slice(i, i + TENANTS_AT_ONCE).map(async (record) => {
      const source = { ...fleet.tenant(record), clock };
      return read(record, await checkHealth(source), source);
    });
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

function minutes(ms: number | null): number | null {
  return ms === null ? null : Math.max(0, Math.floor(ms / MINUTE));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
