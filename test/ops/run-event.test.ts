import type { NotifySummary } from '../../lib/jobs/notify';
import type { SnapshotSummary } from '../../lib/jobs/snapshot';
import {
  buildRunEvent,
  RUN_EVENT_PREFIX,
  runEventLine,
  type RunEvent,
  type RunEventInput,
} from '../../lib/ops/run-event';
import { ExchangeApiError } from '../../lib/sources/exchange/admin-api';
import { newPagingStats } from '../../lib/sources/exchange/paging';
import { classifyFailure } from '../../lib/sources/failure-class';

const STARTED = new Date('2026-03-03T10:00:00Z');
const FINISHED = new Date('2026-03-03T10:00:42Z');
const SETTINGS = { logPersonalData: false, audit: { stuckMinutes: 180 } };

function event(result: RunEventInput['result'], previousFailures: number | null = 0, settings = SETTINGS) {
  return buildRunEvent({ result, startedAt: STARTED, finishedAt: FINISHED, previousFailures, settings });
}

function snapshotSummary(change: Partial<SnapshotSummary> = {}): SnapshotSummary {
  return {
    outcome: 'completed',
    pages: 2,
    rowsFetched: 1200,
    rowsWritten: 1198,
    paging: newPagingStats(),
    skipped: { 'identity-unparsable': 2 },
    wireWarnings: {},
    rowsTruncated: 0,
    releasesSeenEarly: {
      pages: 1,
      releasedRows: 5,
      changedRows: 3,
      newReleases: 3,
      paging: newPagingStats(),
      identityLookups: 0,
      identityLookupsWaiting: 0,
      leftToAudit: 0,
    },
    durationMs: 41_000,
    ...change,
  };
}

function notifySummary(change: Partial<NotifySummary> = {}): NotifySummary {
  return {
    outcome: 'completed',
    audit: { state: 'succeeded', queryId: 'q-1', recordsRead: 14, pages: 1, notes: [] },
    recordsIgnored: { 'not a release': 4, 'no NetworkMessageId': 1 },
    newReleases: 7,
    completedReleases: 2,
    duplicateRecords: 0,
    matched: 8,
    notified: 6,
    skipped: { inbound: 1, 'sender-outside': 0 },
    pending: 1,
    unmatched: 0,
    failed: 1,
    carriedOver: 2,
    emailsSent: 4,
    emailsComposed: 4,
    recovered: 0,
    durationMs: 42_000,
    ...change,
  };
}

/** Every field the alerts may read, with its type: a field renamed or dropped fails here too. */
const FIELDS: Record<keyof RunEvent, string> = {
  job: 'string',
  outcome: 'string',
  startedAt: 'string',
  durationMs: 'number',
  fetched: 'number',
  stored: 'number',
  releasesSeen: 'number',
  told: 'number',
  skipped: 'object',
  failed: 'number',
  carriedOver: 'number',
  setAside: 'number',
  auditQueryAgeMinutes: 'number|null',
  auditQueryStuckMinutes: 'number',
  failureClass: 'string|null',
  failure: 'string|null',
  consecutiveFailures: 'number|null',
};

function expectShape(e: RunEvent) {
  expect(Object.keys(e).sort()).toEqual(Object.keys(FIELDS).sort());
  for (const [field, type] of Object.entries(FIELDS)) {
    const value = (e as unknown as Record<string, unknown>)[field];
    const actual = value === null ? 'null' : typeof value;
    expect({ field, ok: type.split('|').includes(actual) }).toEqual({ field, ok: true });
  }
}

describe('run event: a completed run', () => {
  it('GIVEN a completed snapshot WHEN its event is built THEN it carries the counts, no failure, and resets the failure count', () => {
    const e = event({ job: 'snapshot', summary: snapshotSummary() }, 2);
    expectShape(e);
    expect(e).toEqual({
      job: 'snapshot',
      outcome: 'completed',
      startedAt: '2026-03-03T10:00:00.000Z',
      durationMs: 42_000,
      fetched: 1200,
      stored: 1198,
      releasesSeen: 3,
      told: 0,
      skipped: { 'identity-unparsable': 2 },
      failed: 0,
      carriedOver: 0,
      setAside: 2,
      auditQueryAgeMinutes: null,
      auditQueryStuckMinutes: 180,
      failureClass: null,
      failure: null,
      consecutiveFailures: 0,
    });
  });

  it('GIVEN a completed notify run WHEN its event is built THEN told, skipped by reason, failed, carried over and set aside are counted', () => {
    const e = event({ job: 'notify', summary: notifySummary() });
    expectShape(e);
    expect(e).toMatchObject({
      job: 'notify',
      outcome: 'completed',
      fetched: 14,
      stored: 7,
      releasesSeen: 9,
      told: 6,
      skipped: { inbound: 1 },
      failed: 1,
      carriedOver: 2,
      // "no NetworkMessageId" cannot be used; "not a release" is simply not ours.
      setAside: 1,
      auditQueryAgeMinutes: null,
      failureClass: null,
      consecutiveFailures: 0,
    });
  });

  it('GIVEN a notify run that set aside a poison record and a failing send WHEN its event is built THEN they count as set aside beside the unusable audit records', () => {
    const e = event({ job: 'notify', summary: notifySummary({ setAside: 2 }) });
    expect(e).toMatchObject({ outcome: 'completed', setAside: 3 });
  });

  it('GIVEN a notify run whose audit query is still running WHEN its event is built THEN the open query age is reported and the query counts as carried over', () => {
    const e = event({
      job: 'notify',
      summary: notifySummary({
        audit: {
          state: 'running',
          queryId: 'q-2',
          recordsRead: 0,
          pages: 0,
          queryAgeMinutes: 200,
          notes: [],
        },
      }),
    });
    expect(e).toMatchObject({
      outcome: 'completed',
      auditQueryAgeMinutes: 200,
      auditQueryStuckMinutes: 180,
      carriedOver: 3,
    });
  });

  it('GIVEN a run that found another run holding the lease WHEN its event is built THEN it is skipped and the failure count is unchanged', () => {
    const e = event({ job: 'notify', summary: notifySummary({ outcome: 'busy' }) }, 2);
    expect(e).toMatchObject({ outcome: 'skipped', failureClass: null, consecutiveFailures: 2 });
  });
});

describe('run event: a partial run', () => {
  it('GIVEN the audit log refusing with 403 WHEN the notify event is built THEN the run is partial, of class permission, and counts as a failure in a row', () => {
    const e = event(
      {
        job: 'notify',
        summary: notifySummary({
          audit: {
            state: 'failed',
            recordsRead: 0,
            pages: 0,
            notes: ['creating a query: HTTP 403 Authorization_RequestDenied: Insufficient privileges'],
          },
        }),
      },
      1,
    );
    expectShape(e);
    expect(e).toMatchObject({
      outcome: 'partial',
      failureClass: 'permission',
      failure: 'audit log: creating a query: HTTP 403 Authorization_RequestDenied: Insufficient privileges',
      consecutiveFailures: 2,
    });
  });

  it('GIVEN the audit log throttling WHEN the notify event is built THEN the run is partial, of class throttling', () => {
    const e = event({
      job: 'notify',
      summary: notifySummary({ audit: { state: 'throttled', recordsRead: 0, pages: 0, notes: [] } }),
    });
    expect(e).toMatchObject({ outcome: 'partial', failureClass: 'throttling' });
  });

  it('GIVEN the audit query API answering 404 WHEN the notify event is built THEN the run is partial, of class service', () => {
    const e = event({
      job: 'notify',
      summary: notifySummary({
        audit: { state: 'failed', recordsRead: 0, pages: 0, notes: ['creating a query: HTTP 404 NotFound'] },
      }),
    });
    expect(e).toMatchObject({ outcome: 'partial', failureClass: 'service' });
  });

  it('GIVEN the snapshot whose released-messages query failed WHEN its event is built THEN the run is partial with the reason', () => {
    const e = event({
      job: 'snapshot',
      summary: snapshotSummary({
        releasesSeenEarly: {
          pages: 0,
          releasedRows: 0,
          changedRows: 0,
          newReleases: 0,
          paging: newPagingStats(),
          identityLookups: 0,
          identityLookupsWaiting: 0,
          leftToAudit: 0,
          error: 'HTTP 503',
        },
      }),
    });
    expect(e).toMatchObject({
      outcome: 'partial',
      failureClass: 'service',
      failure: 'released-messages query: HTTP 503',
    });
  });
});

describe('run event: a failed run, by class', () => {
  const exchange = (kind: ConstructorParameters<typeof ExchangeApiError>[1]['kind'], status?: number) =>
    new ExchangeApiError(`Exchange said no (${kind})`, { kind, status, cmdlet: 'Get-QuarantineMessage' });

  it.each([
    ['Exchange 403 (no directory role)', 'permission', exchange('missing-directory-role', 403)],
    ['Exchange 401 (no Exchange.ManageAsApp)', 'permission', exchange('missing-app-role', 401)],
    [
      'Table Storage 403 AuthorizationPermissionMismatch',
      'permission',
      Object.assign(new Error('This request is not authorized'), {
        statusCode: 403,
        code: 'AuthorizationPermissionMismatch',
      }),
    ],
    [
      'no credential to sign in with',
      'permission',
      Object.assign(new Error('no credential'), { name: 'CredentialUnavailableError' }),
    ],
    ['Exchange 429 after retries', 'throttling', exchange('unavailable', 429)],
    ['Graph 429', 'throttling', Object.assign(new Error('Too many requests'), { statusCode: 429 })],
    ['Exchange 503 after retries', 'service', exchange('unavailable', 503)],
    ['Exchange unreachable', 'service', exchange('network')],
    [
      'ACS 404 (domain unlinked)',
      'service',
      Object.assign(new Error('The ACS domain is not linked'), { statusCode: 404 }),
    ],
    ['a lost lease', 'service', new Error('the snapshot lease expired and another run took it over')],
    ['Exchange answering outside its envelope', 'data', exchange('unexpected-answer', 200)],
    [
      'Table Storage 400 (a poison record)',
      'data',
      Object.assign(new Error('One of the request inputs is not valid'), { statusCode: 400 }),
    ],
    ['unparsable JSON', 'data', new SyntaxError('Unexpected token < in JSON')],
  ])(
    'GIVEN a job that throws: %s WHEN its event is built THEN the run failed with class %s',
    (_case, expected, error) => {
      expect(classifyFailure(error)).toBe(expected);
      const e = event({ job: 'notify', error }, 2);
      expectShape(e);
      expect(e).toMatchObject({ outcome: 'failed', failureClass: expected, consecutiveFailures: 3 });
    },
  );

  it('GIVEN a failed snapshot summary WHEN its event is built THEN the class kept by the job is used, not guessed from the text', () => {
    const e = event({
      job: 'snapshot',
      summary: snapshotSummary({ outcome: 'failed', error: 'Exchange refused', failureClass: 'permission' }),
    });
    expect(e).toMatchObject({
      outcome: 'failed',
      failureClass: 'permission',
      failure: 'Exchange refused',
      consecutiveFailures: 1,
    });
  });

  it('GIVEN a state table that could not be read WHEN a failed event is built THEN the failure count is null, not a guess', () => {
    expect(event({ job: 'snapshot', error: new Error('x') }, null).consecutiveFailures).toBeNull();
  });
});

describe('run event: personal data and the line', () => {
  const error = new Error('ACS refused the email to alice@contoso.com: mailbox full');

  it('GIVEN LOG_PERSONAL_DATA off WHEN a failure names an address THEN the event carries no address', () => {
    const e = event({ job: 'notify', error });
    expect(e.failure).toBe('ACS refused the email to [address]: mailbox full');
    expect(runEventLine(e)).not.toMatch(/@/);
  });

  it('GIVEN LOG_PERSONAL_DATA on WHEN a failure names an address THEN the address is kept', () => {
    const e = event({ job: 'notify', error }, 0, { ...SETTINGS, logPersonalData: true });
    expect(e.failure).toBe('ACS refused the email to alice@contoso.com: mailbox full');
  });

  it('GIVEN a very long failure WHEN the event is built THEN its text is bounded', () => {
    expect(event({ job: 'notify', error: new Error('x'.repeat(5000)) }).failure!.length).toBeLessThanOrEqual(
      500,
    );
  });

  it('GIVEN an event WHEN written as a line THEN it is the fixed prefix and the event as JSON, on one line', () => {
    const e = event({ job: 'snapshot', summary: snapshotSummary() });
    const line = runEventLine(e);
    expect(line.startsWith(RUN_EVENT_PREFIX)).toBe(true);
    expect(line).not.toMatch(/\n/);
    expect(JSON.parse(line.slice(RUN_EVENT_PREFIX.length))).toEqual(e);
  });
});
