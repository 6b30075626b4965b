/**
 * The snapshot job when things go wrong: missing permissions, a busy Exchange, a crash half-way, two runs
 * at once, a long downtime, and the daily purge.
 */
import { DAY, HOUR, MINUTE } from '../../lib/core/clock';
import { runSnapshot, SNAPSHOT_MAX_LOOKBACK_MS } from '../../lib/jobs/snapshot';
import type { ExchangeAdminApi } from '../../lib/sources/exchange/admin-api';
import { startSnapshotWorld, storedRows, type SnapshotWorld } from '../support/snapshot-world';

jest.setTimeout(120_000);

let world: SnapshotWorld;

beforeEach(async () => {
  world = await startSnapshotWorld('snapres', { requestTimeoutMs: 1_000 });
});

afterEach(async () => {
  await world.sim.close();
});

function ago(ms: number): Date {
  return new Date(world.clock.now().getTime() - ms);
}

function addMessages(count: number, newestAgoMs: number, spacingMs = MINUTE): void {
  for (let i = 0; i < count; i++) {
    world.sim.scenario.addMessage({
      sender: `user${i % 7}@contoso.com`,
      recipients: [`partner${i}@fabrikam.example`],
      receivedAt: ago(newestAgoMs + i * spacingMs),
    });
  }
}

function quarantineStatuses(): number[] {
  return world.sim.scenario
    .requests('exchange')
    .filter((r) => r.cmdlet === 'Get-QuarantineMessage')
    .map((r) => r.status);
}

/** The real client, made to die (as a process would) when it is asked for page `page`, once. */
function crashingOn(page: number): Pick<ExchangeAdminApi, 'invoke'> {
  let crashed = false;
  return {
    invoke: async (cmdlet, parameters = {}, options) => {
      if (!crashed && cmdlet === 'Get-QuarantineMessage' && parameters.Page === page) {
        crashed = true;
        throw new Error('the function host was stopped');
      }
      return world.exchange.invoke(cmdlet, parameters, options);
    },
  };
}

describe('Missing permissions', () => {
  test('without the Security Reader role, the 403 of NUL bytes ends the run naming the missing grants', async () => {
    addMessages(3, HOUR);
    world.sim.scenario.setPermissions({ securityReader: false });
    const summary = await runSnapshot(world.deps);

    expect(summary.outcome).toBe('failed');
    expect(summary.error).toContain('HTTP 403');
    expect(summary.error).toContain('Security Reader');
    expect(summary.error).toContain('Exchange.ManageAsApp');
    expect(summary.rowsWritten).toBe(0);
    expect(await world.state.read('snapshot', 'checkpoint')).toBeUndefined();
    const line = world.logger.lines.find((l) => l.message === 'Snapshot summary');
    expect(line?.level).toBe('error');
    expect(String(line?.fields?.error)).toContain('Security Reader');
    // One call only: a 403 is not retried.
    expect(quarantineStatuses()).toEqual([403]);
  });

  test('without Exchange.ManageAsApp, the 401 says so', async () => {
    world.sim.scenario.setPermissions({ exchangeManageAsApp: false });
    const summary = await runSnapshot(world.deps);
    expect(summary.outcome).toBe('failed');
    expect(summary.error).toMatch(/HTTP 401.*Exchange\.ManageAsApp/);
  });

  test('once the role is granted, the next run captures everything', async () => {
    addMessages(3, HOUR);
    world.sim.scenario.setPermissions({ securityReader: false });
    await runSnapshot(world.deps);
    world.sim.scenario.setPermissions({ securityReader: true });
    world.clock.advance(15 * MINUTE);
    const summary = await runSnapshot(world.deps);
    expect(summary).toMatchObject({ outcome: 'completed', rowsWritten: 3, window: { firstRun: true } });
  });
});

describe('A busy Exchange', () => {
  test('a 429 is retried and the run completes', async () => {
    addMessages(5, HOUR);
    world.sim.scenario.injectFault({ service: 'exchange', kind: 'throttle', match: 'Get-QuarantineMessage' });
    const summary = await runSnapshot(world.deps);
    expect(summary).toMatchObject({ outcome: 'completed', rowsWritten: 5 });
    expect(quarantineStatuses()).toEqual([429, 200]);
  });

  test('a 429 with Retry-After is honoured', async () => {
    addMessages(2, HOUR);
    world.sim.scenario.injectFault({
      service: 'exchange',
      kind: 'throttle',
      retryAfterSeconds: 1,
      match: 'Get-QuarantineMessage',
    });
    const started = Date.now();
    const summary = await runSnapshot(world.deps);
    expect(summary.outcome).toBe('completed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(quarantineStatuses()).toEqual([429, 200]);
  });

  test.each([
    ['the concurrent-requests answer', 'concurrency'],
    ['a 400 naming ServerBusyException', 'transient'],
    ['a 503', 'unavailable'],
    ['a 504', 'gateway-timeout'],
    ['a reset connection', 'reset'],
    ['no answer at all (timeout)', 'timeout'],
  ] as const)('%s is retried and the run completes', async (_name, kind) => {
    addMessages(2, HOUR);
    world.sim.scenario.injectFault({ service: 'exchange', kind, count: 2, match: 'Get-QuarantineMessage' });
    const summary = await runSnapshot(world.deps);
    expect(summary).toMatchObject({ outcome: 'completed', rowsWritten: 2 });
    expect(quarantineStatuses().slice(-1)).toEqual([200]);
  });

  test('an Exchange that stays busy ends the run after the retry budget with a clear error', async () => {
    await world.sim.close();
    world = await startSnapshotWorld('snapbusy', { maxRetryMs: 1_500 });
    addMessages(2, HOUR);
    world.sim.scenario.injectFault({ service: 'exchange', kind: 'concurrency', count: 10_000 });
    const summary = await runSnapshot(world.deps);
    expect(summary.outcome).toBe('failed');
    expect(summary.error).toMatch(/Exchange admin API (gave no usable answer|was still busy)/);
    expect(await world.state.read('snapshot', 'checkpoint')).toBeUndefined();
  });
});

describe('A run that dies half-way', () => {
  test('a crash between pages leaves no gap: the next run fetches the whole window again, without duplicates', async () => {
    addMessages(4, 2 * HOUR);
    const first = await runSnapshot(world.deps);
    expect(first.outcome).toBe('completed');

    world.clock.advance(15 * MINUTE);
    addMessages(1500, 10 * MINUTE, 100); // 1,500 new rows: two pages
    const crashed = await runSnapshot({ ...world.deps, exchange: crashingOn(2) });
    expect(crashed).toMatchObject({ outcome: 'failed', pages: 1, rowsWritten: 1000 });
    expect(crashed.error).toContain('the function host was stopped');
    const watermark = await world.state.read<{ watermark: string }>('snapshot', 'checkpoint');
    expect(watermark?.watermark).toBe(first.window!.end); // not moved

    world.clock.advance(15 * MINUTE);
    const next = await runSnapshot(world.deps);
    expect(next).toMatchObject({ outcome: 'completed', pages: 2, rowsFetched: 1500, rowsWritten: 1500 });
    expect(next.window!.start).toBe(new Date(Date.parse(first.window!.end) - HOUR).toISOString());
    expect(await storedRows(world.tables)).toHaveLength(1504);
  });

  test('a lease left by a crashed run blocks the next run only until it expires', async () => {
    addMessages(2, HOUR);
    await world.state.acquireLease('snapshot', 'a-run-that-crashed', 30 * MINUTE);

    const blocked = await runSnapshot(world.deps);
    expect(blocked.outcome).toBe('busy');

    world.clock.advance(31 * MINUTE);
    const after = await runSnapshot(world.deps);
    expect(after).toMatchObject({ outcome: 'completed', rowsWritten: 2 });
  });
});

describe('Two runs at once', () => {
  test('the timer and a command-line run together: one snapshots, the other says another run is in progress', async () => {
    addMessages(20, HOUR);
    const summaries = await Promise.all([
      runSnapshot(world.deps, { owner: 'timer' }),
      runSnapshot(world.deps, { owner: 'cli' }),
    ]);
    const outcomes = summaries.map((s) => s.outcome).sort();
    expect(outcomes).toEqual(['busy', 'completed']);
    const busy = summaries.find((s) => s.outcome === 'busy')!;
    expect(busy.error).toBeUndefined();
    expect(busy.pages).toBe(0);
    expect(await storedRows(world.tables)).toHaveLength(20);

    // The lease was released: the next run goes ahead.
    world.clock.advance(15 * MINUTE);
    expect((await runSnapshot(world.deps)).outcome).toBe('completed');
  });
});

describe('Long downtime', () => {
  test('after more than 30 days without a run, the gap is logged with its dates and the last 30 days fetched', async () => {
    addMessages(1, HOUR);
    const first = await runSnapshot(world.deps);
    world.clock.advance(40 * DAY);
    addMessages(2, HOUR);
    const summary = await runSnapshot(world.deps);

    const gap = {
      from: new Date(Date.parse(first.window!.end) - HOUR).toISOString(),
      to: ago(SNAPSHOT_MAX_LOOKBACK_MS).toISOString(),
    };
    expect(summary.gap).toEqual(gap);
    expect(summary.window!.start).toBe(gap.to);
    expect(summary.outcome).toBe('completed');
    expect(world.logger.text()).toContain(`Snapshot gap`);
    expect(world.logger.text()).toContain(`from=${gap.from} to=${gap.to}`);
  });
});

describe('The daily purge', () => {
  test('rows past their expiry plus the grace period are purged once a day, after the snapshot', async () => {
    await world.quarantine.upsertMany([
      {
        networkMessageId: 'aaaaaaaa-0000-4000-8000-000000000001',
        rowId: 'bbbbbbbb-0000-4000-8000-000000000001',
        identity: 'aaaaaaaa-0000-4000-8000-000000000001\\bbbbbbbb-0000-4000-8000-000000000001',
        expiresAt: ago(31 * DAY).toISOString(), // grace is 30 days: due
        senderAddress: '',
        recipients: [],
        recipientCount: 0,
        subject: '',
        type: 'Spam',
        releasedBy: [],
        releasedUsers: [],
        releasedCount: 0,
      },
      {
        networkMessageId: 'aaaaaaaa-0000-4000-8000-000000000002',
        rowId: 'bbbbbbbb-0000-4000-8000-000000000002',
        identity: 'aaaaaaaa-0000-4000-8000-000000000002\\bbbbbbbb-0000-4000-8000-000000000002',
        expiresAt: ago(29 * DAY).toISOString(), // still in its grace period
        senderAddress: '',
        recipients: [],
        recipientCount: 0,
        subject: '',
        type: 'Spam',
        releasedBy: [],
        releasedUsers: [],
        releasedCount: 0,
      },
    ]);
    addMessages(3, HOUR);

    const first = await runSnapshot(world.deps);
    expect(first).toMatchObject({ outcome: 'completed', rowsWritten: 3, purged: 1 });
    expect(await storedRows(world.tables)).toHaveLength(4);

    world.clock.advance(2 * DAY);
    const nextDay = await runSnapshot(world.deps);
    expect(nextDay.purged).toBe(1); // a day later: due again, and the second row's grace is over

    world.clock.advance(HOUR);
    const soon = await runSnapshot(world.deps);
    expect(soon.purged).toBeUndefined(); // not due within the day
  });

  test('a purge that fails is logged and does not fail the snapshot', async () => {
    addMessages(2, HOUR);
    const broken = Object.create(world.quarantine) as typeof world.quarantine;
    broken.purgeExpired = async () => {
      throw new Error('table unavailable');
    };
    const summary = await runSnapshot({ ...world.deps, quarantine: broken });
    expect(summary).toMatchObject({ outcome: 'completed', rowsWritten: 2 });
    expect(summary.purged).toBeUndefined();
    expect(world.logger.text()).toMatch(/Purge of expired quarantine rows failed.*table unavailable/);
  });
});
