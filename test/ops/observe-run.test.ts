import { ManualClock, MINUTE } from '../../lib/core/clock';
import { MemoryLogger } from '../../lib/core/log';
import type { NotifySummary } from '../../lib/jobs/notify';
import type { SnapshotSummary } from '../../lib/jobs/snapshot';
import { readLastRun } from '../../lib/ops/last-run-record';
import { observeJob, type ObservedApplication } from '../../lib/ops/observe-run';
import { RUN_EVENT_PREFIX, type RunEvent } from '../../lib/ops/run-event';
import { ExchangeApiError } from '../../lib/sources/exchange/admin-api';
import { StateStore } from '../../lib/store/state-store';
import { openTestTables } from '../support/snapshot-world';
import { startWorld } from '../support/world';
import { newPagingStats } from '../../lib/sources/exchange/paging';

/** The jobs are stand-ins; the state table is real (Azurite). */
async function observedApp(jobs: {
  snapshot?: () => Promise<SnapshotSummary>;
  notify?: () => Promise<NotifySummary>;
}) {
  const tables = await openTestTables('observe');
  const clock = new ManualClock('2026-03-03T10:00:00Z');
  const state = new StateStore(tables.state, clock);
  const app: ObservedApplication = {
    state,
    clock,
    settings: { logPersonalData: false, audit: { stuckMinutes: 180 } },
    runSnapshot: async () => {
      const summary = await jobs.snapshot!();
      clock.advance(2 * MINUTE);
      return summary;
    },
    runNotify: async () => jobs.notify!(),
  };
  const lines: string[] = [];
  const run = (job: 'snapshot' | 'notify') =>
    observeJob(app, job, new MemoryLogger(), (line) => lines.push(line));
  const events = () => lines.map((l) => JSON.parse(l.slice(RUN_EVENT_PREFIX.length)) as RunEvent);
  return { app, state, clock, run, lines, events };
}

const completedSnapshot: SnapshotSummary = {
  outcome: 'completed',
  pages: 1,
  rowsFetched: 3,
  rowsWritten: 3,
  paging: newPagingStats(),
  skipped: {},
  wireWarnings: {},
  rowsTruncated: 0,
  durationMs: 1,
};

describe('observing a run: one event and one record per run, whatever happens', () => {
  it('GIVEN a job that throws WHEN observed THEN its failed event is emitted and recorded, and the error still reaches the host', async () => {
    const refused = new ExchangeApiError('Exchange refused: assign Security Reader', {
      kind: 'missing-directory-role',
      cmdlet: 'Get-QuarantineMessage',
      status: 403,
    });
    const world = await observedApp({ notify: async () => Promise.reject(refused) });
    await expect(world.run('notify')).rejects.toBe(refused);
    await expect(world.run('notify')).rejects.toBe(refused);
    expect(world.lines).toHaveLength(2);
    expect(world.lines[0].startsWith(RUN_EVENT_PREFIX)).toBe(true);
    expect(world.events().map((e) => [e.outcome, e.failureClass, e.consecutiveFailures])).toEqual([
      ['failed', 'permission', 1],
      ['failed', 'permission', 2],
    ]);
    expect(await readLastRun(world.state, 'notify')).toMatchObject({
      outcome: 'failed',
      failureClass: 'permission',
      consecutiveFailures: 2,
      failure: 'Exchange refused: assign Security Reader',
      lastFailureAt: '2026-03-03T10:00:00.000Z',
    });
  });

  it('GIVEN failures then a completed run WHEN observed THEN the count resets and the last failure time is kept', async () => {
    let fail = true;
    const world = await observedApp({
      snapshot: async () =>
        fail
          ? { ...completedSnapshot, outcome: 'failed', error: 'HTTP 503', failureClass: 'service' }
          : completedSnapshot,
    });
    await world.run('snapshot');
    await world.run('snapshot');
    fail = false;
    const { event, summary } = await world.run('snapshot');
    expect(summary).toBe(completedSnapshot);
    expect(event).toMatchObject({
      outcome: 'completed',
      consecutiveFailures: 0,
      durationMs: 2 * MINUTE,
      fetched: 3,
      stored: 3,
    });
    expect(await readLastRun(world.state, 'snapshot')).toMatchObject({
      outcome: 'completed',
      consecutiveFailures: 0,
      lastFailureAt: '2026-03-03T10:04:00.000Z',
    });
    expect(world.events().map((e) => e.consecutiveFailures)).toEqual([1, 2, 0]);
  });

  it('GIVEN a run that found another holding the lease WHEN observed THEN its event says skipped and the record is left as it was', async () => {
    let busy = false;
    const world = await observedApp({
      snapshot: async () =>
        busy
          ? { ...completedSnapshot, outcome: 'busy' }
          : { ...completedSnapshot, outcome: 'failed', error: 'x' },
    });
    await world.run('snapshot');
    busy = true;
    await world.run('snapshot');
    expect(world.events().map((e) => [e.outcome, e.consecutiveFailures])).toEqual([
      ['failed', 1],
      ['skipped', 1],
    ]);
    expect(await readLastRun(world.state, 'snapshot')).toMatchObject({
      outcome: 'failed',
      consecutiveFailures: 1,
    });
  });

  it("GIVEN a tenant whose app lost AuditLogsQuery.Read.All WHEN notify runs for real THEN its event is partial, of class permission, with Graph's 403", async () => {
    const world = await startWorld({ settings: { AUDIT_QUERY_POLL_SECONDS: '0' } });
    try {
      world.simulator.scenario.setPermissions({ auditLogsQuery: false });
      const lines: string[] = [];
      const { event } = await observeJob(world.app, 'notify', new MemoryLogger(), (line) => lines.push(line));
      expect(event).toMatchObject({
        job: 'notify',
        outcome: 'partial',
        failureClass: 'permission',
        consecutiveFailures: 1,
      });
      expect(event.failure).toMatch(/^audit log: .*403/);
      expect(lines).toHaveLength(1);
    } finally {
      await world.close();
    }
  });
});
