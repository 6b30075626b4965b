import { MINUTE } from '../core/clock';
import { readSuccessfulRun } from '../jobs/last-run';
import type { StateStore } from '../store/state-store';
import { readLastRun, type LastRunRecord } from './last-run-record';
import alertCatalogue from '../config/alerts.json';
import type { JobName } from './run-event';

/**
 * The alerts' thresholds (lib/config/alerts.json, which infra/app/alerts.bicep loads too), applied to the
 * last run recorded in the state table: `qrn doctor` says locally what the alerts would say in Azure.
 */
export const CONSECUTIVE_FAILURES_ALERT: number = alertCatalogue.consecutiveFailures;

export interface LastRunFinding {
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

export interface LastRunFacts {
  job: JobName;
  now: Date;
  /** lib/jobs/last-run.ts: when the job last completed a run. */
  lastSuccessAt?: string;
  lastRun?: LastRunRecord;
  /** ALERT_NO_SUCCESS_MINUTES. */
  noSuccessMinutes: number;
}

const LOOK =
  'Read the run events: Application Insights > Logs, traces | where message startswith "qrn.runEvent ".';

export function judgeLastRun(facts: LastRunFacts): LastRunFinding {
  const { job, lastRun, now } = facts;
  const problems: string[] = [];
  let fix: string | undefined;
  let status: LastRunFinding['status'] = 'pass';
  const ageMinutes = (iso: string) => Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / MINUTE));

  if (!facts.lastSuccessAt && !lastRun) {
    return {
      status: 'warn',
      detail: 'no run recorded yet',
      fix: `The timer runs every 15 minutes once deployed; \`qrn ${job}\` runs it once now.`,
    };
  }
  const successAge = facts.lastSuccessAt ? ageMinutes(facts.lastSuccessAt) : undefined;
  if (successAge === undefined || successAge > facts.noSuccessMinutes) {
    status = 'fail';
    problems.push(
      successAge === undefined
        ? 'no successful run recorded'
        : `no successful run for ${successAge} minutes (alert after ${facts.noSuccessMinutes}, ALERT_NO_SUCCESS_MINUTES)`,
    );
    fix = 'Is the function app running, and are its timers enabled? ' + LOOK;
  }
  if (lastRun && lastRun.consecutiveFailures >= CONSECUTIVE_FAILURES_ALERT) {
    status = 'fail';
    problems.push(`${lastRun.consecutiveFailures} failed runs in a row`);
    fix ??= `Fix the failure below, then run \`qrn ${job}\` once to see it pass. ${LOOK}`;
  }
  if (lastRun?.failureClass === 'permission' && lastRun.outcome !== 'completed') {
    status = 'fail';
    problems.push('a permission was refused');
    fix = 'The checks above name the missing role; `qrn permissions --principal-id <id>` grants them.';
  }
  if (
    lastRun?.auditQueryAgeMinutes !== null &&
    lastRun?.auditQueryAgeMinutes !== undefined &&
    lastRun.auditQueryAgeMinutes > lastRun.auditQueryStuckMinutes
  ) {
    status = 'fail';
    problems.push(
      `the audit log query has been open for ${lastRun.auditQueryAgeMinutes} minutes (AUDIT_QUERY_STUCK_MINUTES ${lastRun.auditQueryStuckMinutes})`,
    );
    fix ??= 'Check the Microsoft 365 service health for auditing; the next notify run replaces the query.';
  }
  if (status === 'pass' && lastRun && (lastRun.outcome === 'failed' || lastRun.outcome === 'partial')) {
    status = 'warn';
    problems.push(`last run ${lastRun.outcome}`);
  }
  if (status === 'pass' && lastRun && lastRun.failed + lastRun.setAside > 0) {
    status = 'warn';
    problems.push(
      `last run: ${lastRun.failed} notification(s) failed, ${lastRun.setAside} record(s) set aside`,
    );
    fix = `\`qrn report --status failed\` lists them.`;
  }

  const parts: string[] = [];
  if (lastRun) parts.push(`last run ${lastRun.outcome} ${ageMinutes(lastRun.at)} min ago`);
  if (successAge !== undefined) parts.push(`last success ${successAge} min ago`);
  if (lastRun?.failure && lastRun.outcome !== 'completed')
    parts.push(`${lastRun.failureClass ?? 'failure'}: ${lastRun.failure}`);
  const detail = [...problems, ...parts].join('; ');
  return status === 'pass' ? { status, detail } : { status, detail, fix };
}

/** Both jobs' findings, read from the state table. */
export async function lastRunFindings(
  state: StateStore,
  now: Date,
  noSuccessMinutes: number,
): Promise<{ job: JobName; finding: LastRunFinding }[]> {
  const findings: { job: JobName; finding: LastRunFinding }[] = [];
  for (const job of ['snapshot', 'notify'] as const) {
    try {
      const [success, lastRun] = await Promise.all([readSuccessfulRun(state, job), readLastRun(state, job)]);
      findings.push({
        job,
        finding: judgeLastRun({ job, now, lastSuccessAt: success?.completedAt, lastRun, noSuccessMinutes }),
      });
    } catch (error) {
      findings.push({
        job,
        finding: {
          status: 'fail',
          detail: `the state table could not be read: ${error instanceof Error ? error.message : String(error)}`,
          fix: 'See the storage check above.',
        },
      });
    }
  }
  return findings;
}
