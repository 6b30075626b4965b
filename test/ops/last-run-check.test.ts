import { judgeLastRun, CONSECUTIVE_FAILURES_ALERT, type LastRunFacts } from '../../lib/ops/last-run-check';
import type { LastRunRecord } from '../../lib/ops/last-run-record';

const NOW = new Date('2026-03-03T12:00:00Z');
const minutesAgo = (n: number) => new Date(NOW.getTime() - n * 60_000).toISOString();

function lastRun(change: Partial<LastRunRecord> = {}): LastRunRecord {
  return {
    at: minutesAgo(5),
    outcome: 'completed',
    durationMs: 30_000,
    consecutiveFailures: 0,
    failureClass: null,
    failure: null,
    failed: 0,
    setAside: 0,
    auditQueryAgeMinutes: null,
    auditQueryStuckMinutes: 180,
    ...change,
  };
}

function judge(change: Partial<LastRunFacts>) {
  return judgeLastRun({ job: 'notify', now: NOW, noSuccessMinutes: 60, ...change });
}

describe("qrn doctor: each job's last run, with the thresholds of the alerts", () => {
  it('GIVEN a run that completed 5 minutes ago THEN it passes', () => {
    expect(judge({ lastSuccessAt: minutesAgo(5), lastRun: lastRun() })).toEqual({
      status: 'pass',
      detail: 'last run completed 5 min ago; last success 5 min ago',
    });
  });

  it('GIVEN no run recorded THEN it warns and says how to run one, without failing a fresh deployment', () => {
    expect(judge({})).toMatchObject({
      status: 'warn',
      detail: 'no run recorded yet',
      fix: expect.stringMatching(/qrn notify/),
    });
  });

  it('GIVEN the last success exactly ALERT_NO_SUCCESS_MINUTES ago THEN it passes; one minute more THEN it fails', () => {
    expect(judge({ lastSuccessAt: minutesAgo(60), lastRun: lastRun({ at: minutesAgo(60) }) }).status).toBe(
      'pass',
    );
    const late = judge({ lastSuccessAt: minutesAgo(61), lastRun: lastRun({ at: minutesAgo(61) }) });
    expect(late).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^no successful run for 61 minutes \(alert after 60/),
    });
    expect(judge({ noSuccessMinutes: 90, lastSuccessAt: minutesAgo(61), lastRun: lastRun() }).status).toBe(
      'pass',
    );
  });

  it(`GIVEN ${CONSECUTIVE_FAILURES_ALERT - 1} failures in a row THEN it only warns; ${CONSECUTIVE_FAILURES_ALERT} THEN it fails`, () => {
    const failing = (n: number) =>
      judge({
        lastSuccessAt: minutesAgo(40),
        lastRun: lastRun({
          outcome: 'failed',
          consecutiveFailures: n,
          failureClass: 'service',
          failure: 'HTTP 503',
        }),
      });
    expect(failing(CONSECUTIVE_FAILURES_ALERT - 1)).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/last run failed.*service: HTTP 503/),
    });
    expect(failing(CONSECUTIVE_FAILURES_ALERT)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^3 failed runs in a row/),
      fix: expect.stringMatching(/qrn notify/),
    });
  });

  it('GIVEN one permission failure THEN it fails at once, with the command that grants permissions', () => {
    const finding = judge({
      lastSuccessAt: minutesAgo(20),
      lastRun: lastRun({
        outcome: 'partial',
        consecutiveFailures: 1,
        failureClass: 'permission',
        failure: 'audit log: HTTP 403',
      }),
    });
    expect(finding).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^a permission was refused/),
      fix: expect.stringMatching(/qrn permissions/),
    });
  });

  it('GIVEN the audit query open longer than AUDIT_QUERY_STUCK_MINUTES THEN it fails; at the limit THEN it passes', () => {
    const open = (age: number) =>
      judge({ lastSuccessAt: minutesAgo(5), lastRun: lastRun({ auditQueryAgeMinutes: age }) });
    expect(open(180).status).toBe('pass');
    expect(open(181)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /audit log query has been open for 181 minutes \(AUDIT_QUERY_STUCK_MINUTES 180\)/,
      ),
    });
  });

  it('GIVEN notifications failed or records set aside in the last run THEN it warns and points at the report', () => {
    const finding = judge({ lastSuccessAt: minutesAgo(5), lastRun: lastRun({ failed: 2, setAside: 1 }) });
    expect(finding).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/2 notification\(s\) failed, 1 record\(s\) set aside/),
      fix: expect.stringMatching(/qrn report --status failed/),
    });
  });
});
