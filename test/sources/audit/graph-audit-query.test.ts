import { randomBytes } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { DAY, HOUR, MINUTE, ManualClock } from '../../../lib/core/clock';
import { MemoryLogger } from '../../../lib/core/log';
import { buildReleaseRecord } from '../../../lib/simulator/audit';
import { startSimulator, type Simulator } from '../../../lib/simulator';
import type { AuditCollectResult } from '../../../lib/sources/audit/audit-source';
import {
  GRAPH_AUDIT_STATE_JOB,
  GRAPH_AUDIT_STATE_KEY,
  GraphAuditQuerySource,
  type GraphAuditQueryState,
} from '../../../lib/sources/audit/graph-audit-query';
import { normaliseAuditRecord } from '../../../lib/sources/audit/records';
import { createGraphClient } from '../../../lib/sources/graph-client';
import { StateStore } from '../../../lib/store/state-store';
import { ensureTables, openTables } from '../../../lib/store/tables';
import type { Route } from '../../../lib/simulator/contract';
import { serveRoutes, type ServedRoutes } from '../../support/serve-routes';
import { testCertificate } from '../../support/simulator';

/**
 * The audit source against the simulated Graph audit log query API and a state table in Azurite, with one
 * manual clock for both: runs are 15 minutes apart, as the notify timer's.
 */

const RUN_EVERY = 15 * MINUTE;
const START = '2026-03-02T12:00:00Z';
const START_ISO = '2026-03-02T12:00:00.000Z';

interface Harness {
  sim: Simulator;
  clock: ManualClock;
  logger: MemoryLogger;
  state: StateStore;
  /** Raw records handed over, over all runs. */
  records: Record<string, unknown>[];
  /** One notify run's audit step (a new source each time, as a new function invocation would build). */
  run(options?: {
    pollSeconds?: number;
    lookbackHours?: number;
    onRecords?: () => Promise<void>;
    othersFirst?: Promise<unknown>;
  }): Promise<AuditCollectResult>;
  stored(): Promise<GraphAuditQueryState | undefined>;
  /** Adds an admin release record of a fresh message at `at`, visible at `visibleAt` (default: at once). */
  releaseAt(at: number, visibleAt?: number): string;
  /** Distinct record ids handed over. */
  ids(): Set<string>;
  queryCreates(version?: string): number;
}

let current: Harness | undefined;

async function harness(options: { auditApiVersion?: 'v1.0' | 'beta' } = {}): Promise<Harness> {
  const clock = new ManualClock(START);
  const certificate = await testCertificate();
  // Tokens live by the simulator's clock, which these tests move by days.
  const sim = await startSimulator({ clock, certificate, tokenLifetimeMs: 365 * DAY });
  const credential = new ClientSecretCredential(sim.tenantId, sim.clientId, sim.clientSecret, {
    authorityHost: sim.urls.login,
    disableInstanceDiscovery: true,
  });
  const connectionString = process.env.TEST_TABLES_CONNECTION_STRING;
  if (!connectionString)
    throw new Error('TEST_TABLES_CONNECTION_STRING is not set (jest globalSetup starts Azurite)');
  const tables = openTables(
    { kind: 'connectionString', connectionString },
    'aud' + randomBytes(5).toString('hex'),
    credential,
  );
  await ensureTables(tables);
  const state = new StateStore(tables.state, clock);
  const logger = new MemoryLogger();
  const records: Record<string, unknown>[] = [];
  const h: Harness = {
    sim,
    clock,
    logger,
    state,
    records,
    run: async (o = {}) => {
      const source = new GraphAuditQuerySource({
        graph: createGraphClient(sim.urls.graph, credential),
        state,
        clock,
        logger,
        settings: {
          graphApiUrl: sim.urls.graph,
          auditApiVersion: options.auditApiVersion ?? 'v1.0',
          audit: {
            lookbackHours: o.lookbackHours ?? 24,
            pollSeconds: o.pollSeconds ?? 240,
            stuckMinutes: 180,
          },
        },
      });
      return source.collect(async (page) => {
        if (o.onRecords) await o.onRecords();
        records.push(...(page as Record<string, unknown>[]));
      }, o.othersFirst);
    },
    stored: () => state.read<GraphAuditQueryState>(GRAPH_AUDIT_STATE_JOB, GRAPH_AUDIT_STATE_KEY),
    releaseAt: (at, visibleAt) => {
      const record = buildReleaseRecord({
        tenantId: sim.tenantId,
        networkMessageId: randomUuid(),
        releaseTo: 'buyer@fabrikam.example',
        by: 'adele.vance@contoso.com',
        atMs: at,
      });
      sim.scenario.addRawAuditRecord(record, new Date(visibleAt ?? at));
      return record.id as string;
    },
    ids: () => new Set(records.map((r) => String(r.id))),
    queryCreates: (version) =>
      sim.scenario
        .requests('graph')
        .filter(
          (r) =>
            r.method === 'POST' &&
            r.path.endsWith('/security/auditLog/queries') &&
            r.status === 201 &&
            (version === undefined || r.path.startsWith(`/${version}/`)),
        ).length,
  };
  current = h;
  return h;
}

function randomUuid(): string {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const at = (h: Harness, offsetMs: number) => h.clock.now().getTime() + offsetMs;

afterEach(async () => {
  await current?.sim.close();
  current = undefined;
});

describe('GIVEN a query that takes longer than one run may wait', () => {
  it('THEN it is carried over, read by the next run, and only one query is created in all', async () => {
    const h = await harness();
    const id = h.releaseAt(at(h, -2 * HOUR));
    h.sim.scenario.configureAuditQueries({ notStartedMs: 5 * MINUTE, runningMs: 5 * MINUTE });

    const first = await h.run();
    expect(first).toMatchObject({ state: 'created', queriesCreated: 1, carriedOver: true, recordsRead: 0 });
    expect(first.queryAgeMinutes).toBe(4); // polled for the whole 240 s
    expect((await h.stored())?.open?.id).toBe(first.queryId);

    h.clock.advance(RUN_EVERY - 4 * MINUTE);
    const second = await h.run();
    expect(second).toMatchObject({
      state: 'succeeded',
      queryId: first.queryId,
      queriesCreated: 0,
      recordsRead: 1,
      pages: 1,
      carriedOver: false,
    });
    expect(h.ids()).toEqual(new Set([id]));
    expect(h.sim.scenario.auditQueries()).toHaveLength(1);
    const stored = await h.stored();
    expect(stored?.open).toBeUndefined();
    expect(stored?.coveredUntil).toBe(first.windowEnd);
  });

  it("THEN, while the caller's other work goes on, the query is created and asked about but not waited for", async () => {
    const h = await harness();
    const id = h.releaseAt(at(h, -2 * HOUR));
    h.sim.scenario.configureAuditQueries({ notStartedMs: MINUTE, runningMs: MINUTE });
    let othersDone!: () => void;
    const others = new Promise<void>((resolve) => (othersDone = resolve));
    const started = h.clock.now().getTime();
    const collecting = h.run({ othersFirst: others });
    for (let i = 0; i < 50 && h.queryCreates() === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    expect(h.queryCreates()).toBe(1);
    expect(h.clock.now().getTime()).toBe(started); // no poll interval slept yet
    othersDone();
    expect(await collecting).toMatchObject({ state: 'succeeded', recordsRead: 1 });
    expect(h.ids()).toEqual(new Set([id]));
  });

  it('THEN the query was created as designed: quarantine releases, a 24-hour window, no service filter', async () => {
    const h = await harness();
    const result = await h.run();
    expect(result.state).toBe('succeeded');
    const create = h.sim.scenario.requests('graph').find((r) => r.method === 'POST');
    expect(create?.path).toBe('/v1.0/security/auditLog/queries');
    expect(create?.body).toEqual({
      displayName: expect.stringContaining('quarantine releases'),
      filterStartDateTime: '2026-03-01T12:00:00Z',
      filterEndDateTime: '2026-03-02T12:00:00Z',
      recordTypeFilters: ['quarantine'],
      operationFilters: ['QuarantineReleaseMessage'],
    });
    const reads = h.sim.scenario.requests('graph').filter((r) => r.path.endsWith('/records'));
    expect(reads[0].query.$top).toBe('1000');
    // Polled every 15 s until the simulated query succeeded after 2 minutes.
    expect(result.queryAgeMinutes).toBeUndefined();
    expect(h.clock.now().toISOString()).toBe('2026-03-02T12:02:00.000Z');
  });

  it('THEN a poll time of 0 only creates, and the next run reads', async () => {
    const h = await harness();
    expect(await h.run({ pollSeconds: 0 })).toMatchObject({ state: 'created', carriedOver: true });
    h.clock.advance(RUN_EVERY);
    expect(await h.run({ pollSeconds: 0 })).toMatchObject({ state: 'succeeded', queriesCreated: 0 });
  });
});

describe('GIVEN a query that fails', () => {
  it('THEN a query found failed by a later run is recreated in that run', async () => {
    const h = await harness();
    h.sim.scenario.configureAuditQueries({ notStartedMs: 5 * MINUTE, runningMs: 5 * MINUTE, failNext: 1 });
    const first = await h.run();
    expect(first.state).toBe('created');

    h.clock.advance(RUN_EVERY);
    const second = await h.run();
    expect(second).toMatchObject({ state: 'recreated', queriesCreated: 1, carriedOver: true });
    expect(second.queryId).not.toBe(first.queryId);
    expect(second.notes).toContain('query failed: replaced');
    expect(h.logger.text()).toMatch(/query failed; a new one replaces it/);

    h.clock.advance(RUN_EVERY);
    expect(await h.run()).toMatchObject({ state: 'succeeded', queryId: second.queryId, queriesCreated: 0 });
    expect(h.sim.scenario.auditQueries()).toHaveLength(2);
  });

  it('THEN a query made in this run that fails is not replaced before the next run', async () => {
    const h = await harness();
    h.sim.scenario.configureAuditQueries({ failNext: 1 });
    expect(await h.run()).toMatchObject({ state: 'failed', queriesCreated: 1, carriedOver: true });
    expect(h.sim.scenario.auditQueries()).toHaveLength(1);
    expect((await h.stored())?.open).toBeUndefined();

    h.clock.advance(RUN_EVERY);
    expect(await h.run()).toMatchObject({ state: 'succeeded', queriesCreated: 1 });
    expect(h.sim.scenario.auditQueries()).toHaveLength(2);
  });
});

describe('GIVEN a query that never finishes', () => {
  it('THEN it is carried over until it is older than AUDIT_QUERY_STUCK_MINUTES, then recreated', async () => {
    const h = await harness();
    h.sim.scenario.configureAuditQueries({ hang: true });
    const first = await h.run();
    expect(first.state).toBe('created');
    let result = first;
    // Runs every 15 minutes (each polls for 4): still running up to 180 minutes, then stuck.
    for (let k = 1; k < 12; k++) {
      h.clock.set(new Date(Date.parse(START) + k * RUN_EVERY));
      result = await h.run();
      expect(result).toMatchObject({ state: 'running', queryId: first.queryId, queriesCreated: 0 });
    }
    h.clock.set(new Date(Date.parse(START) + 12 * RUN_EVERY));
    result = await h.run();
    expect(result).toMatchObject({ state: 'recreated', queriesCreated: 1, carriedOver: true });
    expect(result.queryId).not.toBe(first.queryId);
    expect(result.notes).toContain('query stuck: replaced');
    expect(h.logger.text()).toMatch(/query stuck: unfinished after 180 min; a new one replaces it/);
    expect(h.sim.scenario.auditQueries()).toHaveLength(2);
    expect((await h.stored())?.open?.id).toBe(result.queryId);
  });
});

describe('GIVEN more records than one page holds', () => {
  it('THEN every page is read through @odata.nextLink and handed over before the window counts as covered', async () => {
    const h = await harness();
    const ids = new Set<string>();
    for (let i = 0; i < 2345; i++) ids.add(h.releaseAt(at(h, -20 * HOUR + i * 1000)));
    const result = await h.run();
    expect(result).toMatchObject({ state: 'succeeded', pages: 3, recordsRead: 2345 });
    expect(h.ids()).toEqual(ids);
    const reads = h.sim.scenario.requests('graph').filter((r) => r.path.endsWith('/records'));
    expect(reads).toHaveLength(3);
    expect(reads.every((r) => r.authorized && r.status === 200)).toBe(true);
  });

  it('THEN a failure of the hand-over leaves the query open, and the next run reads it again without a new query', async () => {
    const h = await harness();
    h.releaseAt(at(h, -HOUR));
    await expect(
      h.run({
        onRecords: async () => {
          throw new Error('table unavailable');
        },
      }),
    ).rejects.toThrow('table unavailable');
    const open = (await h.stored())?.open;
    expect(open).toBeDefined();
    expect((await h.stored())?.coveredUntil).toBeUndefined();

    h.clock.advance(RUN_EVERY);
    expect(await h.run()).toMatchObject({
      state: 'succeeded',
      queryId: open?.id,
      queriesCreated: 0,
      recordsRead: 1,
    });
  });
});

describe('GIVEN a hand-over that fails on the second page of three', () => {
  it('THEN the first page counts as read: the next run resumes at the second page, never re-reading the first', async () => {
    const h = await harness();
    const ids = new Set<string>();
    for (let i = 0; i < 2345; i++) ids.add(h.releaseAt(at(h, -20 * HOUR + i * 1000)));
    let pages = 0;
    await expect(
      h.run({
        onRecords: async () => {
          if (++pages === 2) throw new Error('table unavailable');
        },
      }),
    ).rejects.toThrow('table unavailable');
    expect((await h.stored())?.open?.resumeAt).toMatch(/records/);
    const readsBefore = h.sim.scenario.requests('graph').filter((r) => r.path.endsWith('/records')).length;

    h.clock.advance(RUN_EVERY);
    expect(await h.run()).toMatchObject({
      state: 'succeeded',
      queriesCreated: 0,
      pages: 2,
      recordsRead: 1345,
    });
    expect(h.ids()).toEqual(ids);
    const reads = h.sim.scenario.requests('graph').filter((r) => r.path.endsWith('/records')).length;
    expect(reads - readsBefore).toBe(2);
    expect((await h.stored())?.open).toBeUndefined();
  });
});

describe('GIVEN an audit record that becomes visible 3 hours after the release', () => {
  it('THEN a later query finds it, because every query looks back 24 hours', async () => {
    const h = await harness();
    const releasedAt = at(h, 0);
    const id = h.releaseAt(releasedAt, releasedAt + 3 * HOUR);
    const seen: number[] = [];
    for (let run = 0; run < 16; run++) {
      const result = await h.run();
      expect(result.state).toBe('succeeded');
      if (h.ids().has(id)) seen.push(run);
      h.clock.advance(RUN_EVERY - 2 * MINUTE);
    }
    expect(seen[0]).toBeGreaterThanOrEqual(12); // not before 3 hours
    expect(h.sim.scenario.auditQueries().length).toBe(16);
  });
});

describe('GIVEN the app was down', () => {
  it('THEN after 3 days the next window reaches back before the last covered time, and a release in the gap is found', async () => {
    const h = await harness();
    const first = await h.run();
    expect(first.state).toBe('succeeded');
    const coveredUntil = (await h.stored())?.coveredUntil as string;
    expect(coveredUntil).toBe('2026-03-02T12:00:00Z');

    const duringDowntime = h.releaseAt(at(h, 30 * HOUR));
    const justBefore = h.releaseAt(at(h, -10 * MINUTE), at(h, 2 * HOUR)); // visible only after the last run
    h.clock.advance(3 * DAY);
    const result = await h.run();
    expect(result).toMatchObject({ state: 'succeeded', queriesCreated: 1 });
    // The look-back counts from the last covered time: 24 hours before it.
    expect(result.windowStart).toBe('2026-03-01T12:00:00Z');
    expect(result.windowEnd).toBe('2026-03-05T12:02:00Z');
    expect(h.ids()).toEqual(new Set([duringDowntime, justBefore]));
  });

  it('THEN after 10 days the window is capped at 7 days, and says so', async () => {
    const h = await harness();
    await h.run();
    h.clock.advance(10 * DAY);
    const result = await h.run();
    expect(result.state).toBe('succeeded');
    expect(Date.parse(result.windowEnd as string) - Date.parse(result.windowStart as string)).toBe(7 * DAY);
    expect(result.notes).toContain('window capped at 7 days');
    expect(h.logger.text()).toMatch(/further back than 7 days/);
  });

  it('THEN a query left open over the downtime is replaced as stuck, by a window reaching back', async () => {
    const h = await harness();
    await h.run(); // covered until 12:02
    h.clock.advance(RUN_EVERY);
    h.sim.scenario.configureAuditQueries({ notStartedMs: 10 * DAY });
    expect(await h.run()).toMatchObject({ state: 'created' });
    h.sim.scenario.configureAuditQueries({ notStartedMs: MINUTE });
    h.clock.advance(3 * DAY);
    const result = await h.run();
    expect(result).toMatchObject({ state: 'succeeded', queriesCreated: 1 });
    expect(result.notes).toContain('query stuck: replaced');
    expect(result.windowStart).toBe('2026-03-01T12:00:00Z');
  });
});

describe('GIVEN a query that says isRecordCountLimitExceeded', () => {
  it('THEN its records are handed over, its window is split in two, and the halves are queried in later runs', async () => {
    const h = await harness();
    h.sim.scenario.configureAuditQueries({ recordLimit: 3 });
    const ids = [
      h.releaseAt(at(h, -20 * HOUR)),
      h.releaseAt(at(h, -19 * HOUR)),
      h.releaseAt(at(h, -2 * HOUR)),
      h.releaseAt(at(h, -1 * HOUR)),
    ];
    const first = await h.run();
    expect(first).toMatchObject({ state: 'succeeded', recordsRead: 3, pendingWindows: 2, carriedOver: true });
    expect(first.notes).toContain('record count limit exceeded: window split');
    expect(first.coveredUntil).toBeUndefined();
    const stored = await h.stored();
    expect(stored?.pending).toEqual([
      { start: '2026-03-01T12:00:00Z', end: '2026-03-02T00:00:00Z' },
      { start: '2026-03-02T00:00:00Z', end: '2026-03-02T12:00:00Z' },
    ]);

    h.clock.advance(RUN_EVERY);
    const second = await h.run();
    expect(second).toMatchObject({
      state: 'succeeded',
      windowStart: '2026-03-01T12:00:00Z',
      windowEnd: '2026-03-02T00:00:00Z',
      recordsRead: 2,
      pendingWindows: 1,
      coveredUntil: '2026-03-02T00:00:00Z',
    });
    h.clock.advance(RUN_EVERY);
    const third = await h.run();
    expect(third).toMatchObject({
      state: 'succeeded',
      windowStart: '2026-03-02T00:00:00Z',
      windowEnd: '2026-03-02T12:00:00Z',
      recordsRead: 2,
      pendingWindows: 0,
      coveredUntil: '2026-03-02T12:00:00Z',
      carriedOver: false,
    });
    expect(h.ids()).toEqual(new Set(ids));

    // Then back to trailing windows, reaching back from the covered time.
    h.clock.advance(RUN_EVERY);
    const fourth = await h.run();
    expect(fourth.windowStart).toBe('2026-03-01T12:00:00Z');
    expect(fourth.windowEnd).toBe('2026-03-02T12:51:00Z');
    expect(h.sim.scenario.auditQueries()).toHaveLength(4);
  });
});

describe('GIVEN a tenant whose v1.0 audit API answers 404', () => {
  it('THEN the source falls back to beta, remembers it, and says so once', async () => {
    const h = await harness();
    h.sim.scenario.configureAuditQueries({ v1NotFound: true });
    h.releaseAt(at(h, -HOUR));
    const first = await h.run();
    expect(first).toMatchObject({ state: 'succeeded', queriesCreated: 1, recordsRead: 1 });
    expect(first.notes).toContain('v1.0 answered 404: switched to beta');
    expect((await h.stored())?.betaFallback).toBe(true);

    h.clock.advance(RUN_EVERY);
    const second = await h.run();
    expect(second).toMatchObject({ state: 'succeeded', queriesCreated: 1 });
    expect(second.notes).not.toContain('v1.0 answered 404: switched to beta');

    const v1 = h.sim.scenario.requests('graph').filter((r) => r.path.startsWith('/v1.0/'));
    expect(v1).toHaveLength(1);
    expect(h.queryCreates('beta')).toBe(2);
    expect(h.logger.lines.filter((l) => /404 .*v1\.0/.test(l.message))).toHaveLength(1);
  });

  it('THEN AUDIT_API_VERSION=beta uses beta from the start', async () => {
    const h = await harness({ auditApiVersion: 'beta' });
    h.sim.scenario.configureAuditQueries({ v1NotFound: true });
    expect(await h.run()).toMatchObject({ state: 'succeeded' });
    expect(h.sim.scenario.requests('graph').every((r) => r.path.startsWith('/beta/'))).toBe(true);
    // A query id can hold the digits 404 (a random UUID): only a whole 404 is a status.
    expect(h.logger.text()).not.toMatch(/\b404\b/);
  });
});

describe('GIVEN Graph throttles query creation', () => {
  it('THEN after the client retries the run carries over without a second create, and the next run creates', async () => {
    const h = await harness();
    // The Graph client's RetryHandler tries 1 + 3 times; all four are answered 429.
    h.sim.scenario.injectFault({
      service: 'graph',
      kind: 'throttle',
      count: 4,
      retryAfterSeconds: 0,
      match: '/security/auditLog/queries',
    });
    const first = await h.run();
    expect(first).toMatchObject({ state: 'throttled', queriesCreated: 0, carriedOver: true });
    const posts = h.sim.scenario.requests('graph').filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.status)).toEqual([429, 429, 429, 429]);
    expect(h.sim.scenario.auditQueries()).toHaveLength(0);
    expect(h.logger.text()).toMatch(/creating a query: Graph answered 429/);

    h.clock.advance(RUN_EVERY);
    expect(await h.run()).toMatchObject({ state: 'succeeded', queriesCreated: 1 });
    expect(h.sim.scenario.auditQueries()).toHaveLength(1);
  });

  it('THEN a throttled poll keeps the query for the next run', async () => {
    const h = await harness();
    h.sim.scenario.configureAuditQueries({ notStartedMs: 10 * MINUTE });
    const first = await h.run();
    h.sim.scenario.injectFault({
      service: 'graph',
      kind: 'throttle',
      count: 4,
      retryAfterSeconds: 0,
      match: first.queryId,
    });
    h.clock.advance(RUN_EVERY);
    expect(await h.run()).toMatchObject({ state: 'throttled', queryId: first.queryId, queriesCreated: 0 });
    h.clock.advance(RUN_EVERY);
    expect(await h.run()).toMatchObject({ state: 'succeeded', queryId: first.queryId, queriesCreated: 0 });
    expect(h.sim.scenario.auditQueries()).toHaveLength(1);
  });
});

describe('GIVEN the app lacks AuditLogsQuery.Read.All', () => {
  it('THEN the run reports it, throws nothing, and creates nothing', async () => {
    const h = await harness();
    h.sim.scenario.setPermissions({ auditLogsQuery: false });
    const result = await h.run();
    expect(result).toMatchObject({ state: 'failed', queriesCreated: 0, carriedOver: true });
    expect(result.notes.join(' ')).toMatch(/403.*AuditLogsQuery\.Read\.All/);
    // The grant missing travels as a code, not only in the words.
    expect(result.permissionGap).toBe('audit-log-permission');
  });
});

describe('GIVEN a tenant whose unified audit logging is turned off (AuditingDisabledTenant)', () => {
  it('THEN the run says so once with the fix, creates no query for an hour, then tries once, and resumes when it is on', async () => {
    const h = await harness();
    h.sim.scenario.configureAuditQueries({ auditingDisabled: true });
    const attempts = () =>
      h.sim.scenario
        .requests('graph')
        .filter((r) => r.method === 'POST' && r.path.endsWith('/auditLog/queries')).length;

    const first = await h.run();
    expect(first).toMatchObject({ state: 'auditing-off', queriesCreated: 0, carriedOver: true });
    expect(first.auditingOff).toEqual({ since: START_ISO, nextAttemptAt: '2026-03-02T13:00:00.000Z' });
    expect(first.notes).toHaveLength(1);
    expect(first.notes[0]).toMatch(/AuditingDisabledTenant.*turn on unified audit log ingestion/);
    const said = h.logger.lines.filter((l) => l.message.includes('AuditingDisabledTenant'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({
      level: 'error',
      fields: { fix: expect.stringContaining('UnifiedAuditLogIngestionEnabled') },
    });
    expect(attempts()).toBe(1);

    // Three more runs inside the hour: each says it once more, none asks Graph.
    for (let i = 0; i < 3; i++) {
      h.clock.advance(RUN_EVERY);
      expect(await h.run()).toMatchObject({ state: 'auditing-off', auditingOff: { since: START_ISO } });
    }
    expect(attempts()).toBe(1);

    // An hour after the last try: one creation, still refused.
    h.clock.advance(RUN_EVERY);
    expect(await h.run()).toMatchObject({
      state: 'auditing-off',
      auditingOff: { since: START_ISO, nextAttemptAt: '2026-03-02T14:00:00.000Z' },
    });
    expect(attempts()).toBe(2);

    // Turned on: the next try creates a query, and the state forgets the outage.
    h.sim.scenario.configureAuditQueries({ auditingDisabled: false });
    h.clock.advance(HOUR);
    expect(await h.run()).toMatchObject({ state: 'succeeded', queriesCreated: 1 });
    expect((await h.stored())?.auditingOff).toBeUndefined();
    expect(h.logger.lines.some((l) => l.message.includes('queries resume'))).toBe(true);
  });
});

describe('GIVEN Graph refuses the token (401)', () => {
  it("THEN the run quotes Entra ID's error_description beside the permission it most likely lacks", async () => {
    const h = await harness();
    h.sim.scenario.injectFault({ service: 'graph', kind: 'unauthorized', count: 1, match: 'auditLog' });
    const result = await h.run();
    expect(result.state).toBe('failed');
    expect(result.notes.join(' ')).toMatch(
      /401.*Entra ID says: .+most likely lacks the AuditLogsQuery\.Read\.All/,
    );
    // A refused token: the consent is what is missing.
    expect(result.permissionGap).toBe('consent');
  });
});

describe('GIVEN the records of the simulated tenant', () => {
  it('THEN each normalises to a release (the simulator and the normaliser agree on the wire shape)', async () => {
    const h = await harness();
    h.releaseAt(at(h, -HOUR));
    h.sim.scenario.addRawAuditRecord(
      buildReleaseRecord({
        tenantId: h.sim.tenantId,
        networkMessageId: randomUuid(),
        releaseTo: 'lidia.holloway@contoso.com',
        atMs: at(h, -HOUR),
      }),
      h.clock.now(),
    );
    await h.run();
    const results = h.records.map(normaliseAuditRecord);
    expect(results.every((r) => 'releases' in r)).toBe(true);
    expect(results.filter((r) => 'releases' in r && r.releases[0].isSystemRelease)).toHaveLength(1);
  });
});

describe('GIVEN a records page whose @odata.nextLink points away from the configured Graph host', () => {
  // The simulator always links to itself, so a small fake Graph serves this one case.
  let graph: ServedRoutes | undefined;
  let elsewhere: ServedRoutes | undefined;
  afterEach(async () => {
    await graph?.close();
    await elsewhere?.close();
  });

  it.each([
    [
      'another port of the same host',
      (other: string) => `${other}/v1.0/security/auditLog/queries/q1/records?$skiptoken=2`,
    ],
    [
      'another host',
      () => 'https://graph.example.net/v1.0/security/auditLog/queries/q1/records?$skiptoken=2',
    ],
    [
      'plain http',
      (_other: string, self: string) => `${self.replace('https:', 'http:')}/v1.0/x?$skiptoken=2`,
    ],
  ])('THEN a link to %s is refused: no request, no token, the window not covered', async (_name, link) => {
    elsewhere = await serveRoutes([]);
    const routes: Route[] = [
      {
        method: 'POST',
        path: /^\/v1\.0\/security\/auditLog\/queries$/,
        auth: 'none',
        handle: () => ({ status: 201, body: { id: 'q1', status: 'notStarted' } }),
      },
      {
        method: 'GET',
        path: /^\/v1\.0\/security\/auditLog\/queries\/q1$/,
        auth: 'none',
        handle: () => ({
          status: 200,
          body: { id: 'q1', status: 'succeeded', isRecordCountLimitExceeded: false },
        }),
      },
      {
        method: 'GET',
        path: /^\/v1\.0\/security\/auditLog\/queries\/q1\/records$/,
        auth: 'none',
        handle: () => ({
          status: 200,
          body: {
            value: [{ id: 'r1' }],
            '@odata.nextLink': link(elsewhere!.origin, graph!.origin),
          },
        }),
      },
    ];
    graph = await serveRoutes(routes);
    const clock = new ManualClock(START);
    const connectionString = process.env.TEST_TABLES_CONNECTION_STRING as string;
    const credential = {
      getToken: async () => ({ token: 'secret-token', expiresOnTimestamp: Date.now() + HOUR }),
    };
    const tables = openTables(
      { kind: 'connectionString', connectionString },
      'aud' + randomBytes(5).toString('hex'),
      credential,
    );
    await ensureTables(tables);
    const state = new StateStore(tables.state, clock);
    const logger = new MemoryLogger();
    const handed: unknown[] = [];
    const run = () =>
      new GraphAuditQuerySource({
        graph: createGraphClient(graph!.origin, credential),
        state,
        clock,
        logger,
        settings: {
          graphApiUrl: graph!.origin,
          auditApiVersion: 'v1.0',
          audit: { lookbackHours: 24, pollSeconds: 240, stuckMinutes: 180 },
        },
      }).collect(async (page) => {
        handed.push(...page);
      });

    const result = await run();
    expect(result).toMatchObject({
      state: 'failed',
      carriedOver: true,
      recordsRead: 1,
      pages: 1,
      queryId: 'q1',
    });
    expect(result.notes).toContain('refused a nextLink off the Graph host');
    expect(handed).toEqual([{ id: 'r1' }]);
    expect(elsewhere.requests).toHaveLength(0);
    expect(graph.requests.every((r) => r.headers.authorization === 'Bearer secret-token')).toBe(true);
    expect(
      logger.lines.some((l) => l.level === 'error' && /refused an @odata.nextLink/.test(l.message)),
    ).toBe(true);
    const stored = await state.read<GraphAuditQueryState>(GRAPH_AUDIT_STATE_JOB, GRAPH_AUDIT_STATE_KEY);
    expect(stored?.open?.id).toBe('q1');
    expect(stored?.coveredUntil).toBeUndefined();

    // The next run reads the same query again rather than spending another creation.
    clock.advance(RUN_EVERY);
    expect(await run()).toMatchObject({ state: 'failed', queryId: 'q1', queriesCreated: 0 });
    expect(graph.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('GIVEN records pages that never end', () => {
  let graph: ServedRoutes | undefined;
  afterEach(async () => graph?.close());

  it.each([
    ['the same nextLink again', false, /already given/, 2],
    ['a fresh nextLink beyond the page cap', true, /still had pages after 5/, 5],
  ])(
    'GIVEN %s THEN paging stops with a note, instead of reading forever, and the window is not covered',
    async (_name, freshLinks, note, pages) => {
      let served = 0;
      const routes: Route[] = [
        {
          method: 'POST',
          path: /^\/v1\.0\/security\/auditLog\/queries$/,
          auth: 'none',
          handle: () => ({ status: 201, body: { id: 'q1', status: 'notStarted' } }),
        },
        {
          method: 'GET',
          path: /^\/v1\.0\/security\/auditLog\/queries\/q1$/,
          auth: 'none',
          handle: () => ({
            status: 200,
            body: { id: 'q1', status: 'succeeded', isRecordCountLimitExceeded: false },
          }),
        },
        {
          method: 'GET',
          path: /^\/v1\.0\/security\/auditLog\/queries\/q1\/records$/,
          auth: 'none',
          handle: () => ({
            status: 200,
            body: {
              value: [{ id: 'r1' }],
              '@odata.nextLink': `${graph!.origin}/v1.0/security/auditLog/queries/q1/records?$skiptoken=${
                freshLinks ? ++served : 'same'
              }`,
            },
          }),
        },
      ];
      graph = await serveRoutes(routes);
      const clock = new ManualClock(START);
      const credential = {
        getToken: async () => ({ token: 'secret-token', expiresOnTimestamp: Date.now() + HOUR }),
      };
      const tables = openTables(
        { kind: 'connectionString', connectionString: process.env.TEST_TABLES_CONNECTION_STRING as string },
        'aud' + randomBytes(5).toString('hex'),
        credential,
      );
      await ensureTables(tables);
      const state = new StateStore(tables.state, clock);
      const result = await new GraphAuditQuerySource({
        graph: createGraphClient(graph.origin, credential),
        state,
        clock,
        logger: new MemoryLogger(),
        maxPages: 5,
        settings: {
          graphApiUrl: graph.origin,
          auditApiVersion: 'v1.0',
          audit: { lookbackHours: 24, pollSeconds: 240, stuckMinutes: 180 },
        },
      }).collect(async () => undefined);
      expect(result).toMatchObject({ state: 'failed', pages });
      expect(result.notes.some((n) => note.test(n))).toBe(true);
      expect(graph.requests.filter((r) => r.url.pathname.endsWith('/records'))).toHaveLength(pages);
      const stored = await state.read<GraphAuditQueryState>(GRAPH_AUDIT_STATE_JOB, GRAPH_AUDIT_STATE_KEY);
      expect(stored?.coveredUntil).toBeUndefined();
    },
  );
});

describe('GIVEN state that no longer matches Graph', () => {
  it('THEN an open query Graph does not know (404) is replaced in the same run', async () => {
    const h = await harness();
    await h.state.write(GRAPH_AUDIT_STATE_JOB, GRAPH_AUDIT_STATE_KEY, {
      version: 1,
      pending: [],
      open: {
        id: 'a-query-graph-forgot',
        apiVersion: 'v1.0',
        start: '2026-03-01T11:00:00Z',
        end: '2026-03-02T11:00:00Z',
        createdAt: '2026-03-02T11:00:00.000Z',
        fromQueue: false,
      },
    });
    const result = await h.run();
    expect(result).toMatchObject({ state: 'succeeded', queriesCreated: 1 });
    expect(result.notes).toContain('query vanished: replaced');
  });

  it('THEN an unreadable stored state is replaced, with a warning', async () => {
    const h = await harness();
    await h.state.write(GRAPH_AUDIT_STATE_JOB, GRAPH_AUDIT_STATE_KEY, { something: 'else' });
    expect(await h.run()).toMatchObject({ state: 'succeeded', queriesCreated: 1 });
    expect(h.logger.text()).toMatch(/state is unreadable; starting afresh/);
    expect((await h.stored())?.version).toBe(1);
  });
});
