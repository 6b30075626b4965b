/**
 * The snapshot job when things go wrong on the wire and on the real table service: missing permissions, a
 * busy Exchange, two runs racing for the lease, the accepted domains. A crash half-way, a lease left by a
 * crashed run, a long downtime and the daily purge are job rules: test/jobs/snapshot.in-memory.test.ts.
 */
import { HOUR, MINUTE } from '../../lib/core/clock';
import { runSnapshot } from '../../lib/jobs/snapshot';
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
