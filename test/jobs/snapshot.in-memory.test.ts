import { randomUUID } from 'node:crypto';
import { DAY, HOUR, MINUTE, ManualClock } from '../../lib/core/clock';
import { MemoryLogger } from '../../lib/core/log';
import {
  runSnapshot,
  SNAPSHOT_JOB,
  SNAPSHOT_MAX_LOOKBACK_MS,
  type SnapshotDeps,
} from '../../lib/jobs/snapshot';
import { networkMessageIdOf as rowMessageId } from '../../lib/simulator/quarantine';
import type { ExchangeAdminApi, InvokeResult } from '../../lib/sources/exchange/admin-api';
import * as quarantineSource from '../../lib/sources/exchange/quarantine';
import { mapQuarantineRow, parseIdentity } from '../../lib/sources/exchange/quarantine';
import { hashedKey } from '../../lib/store/keys';
import { PAGE_SIZES_KEY } from '../../lib/jobs/snapshot/page-sizes';
import { MemoryQuarantine, type MemoryQuarantineOptions } from '../../lib/store/memory/quarantine';
import { MemoryState } from '../../lib/store/memory/state';
import type { SetAsideEntry } from '../../lib/store/set-aside';
import { quarantineFixtureRows } from '../support/fixtures';
import { InProcessExchange, inProcessTenant } from '../support/memory-m365';
import { quarantinedMessage } from '../store/contracts/quarantine.contract';

/**
 * The snapshot job's crash, retry and ordering rules on the in-memory stores (lib/store/memory/), in
 * milliseconds. Keys, batches and the wire itself stay with the Azurite and simulator suites
 * (test/jobs/snapshot.runs.test.ts, test/jobs/snapshot.resilience.test.ts).
 */

const rows = quarantineFixtureRows();
const mappable = rows.filter((row) => !('skipped' in mapQuarantineRow(row)));

/**
 * Get-QuarantineMessage as a small fake: the recorded page's rows, split over a first server page and one
 * continuation (nextLink); `failContinuation` makes the continuation fail as a dropped connection would.
 */
class FakeExchange implements Pick<ExchangeAdminApi, 'invoke'> {
  readonly asked: { start: unknown; end: unknown; nextLink?: string }[] = [];
  failContinuation = false;

  async invoke(
    _cmdlet: string,
    parameters: Record<string, unknown> = {},
    options: { nextLink?: string } = {},
  ): Promise<InvokeResult> {
    this.asked.push({
      start: parameters.StartReceivedDate,
      end: parameters.EndReceivedDate,
      nextLink: options.nextLink,
    });
    const half = Math.ceil(rows.length / 2);
    if (options.nextLink === undefined) {
      return { rows: rows.slice(0, half), warnings: [], nextLink: 'https://exchange.example/next/1' };
    }
    if (this.failContinuation) throw new Error('socket hang up');
    return { rows: rows.slice(half), warnings: [] };
  }
}

function tenant(options: Omit<MemoryQuarantineOptions, 'clock'> = {}) {
  const clock = new ManualClock('2026-03-05T12:00:00Z');
  const logger = new MemoryLogger();
  const state = new MemoryState(clock);
  const quarantine = new MemoryQuarantine({ ...options, clock });
  const exchange = new FakeExchange();
  const deps: SnapshotDeps = {
    exchange,
    quarantine,
    state,
    clock,
    logger,
    settings: {
      snapshot: { overlapMinutes: 60, purgeGraceDays: 7 },
      releaseSources: 'audit',
    },
  };
  const checkpoint = () => state.read<{ watermark: string; windowStart: string }>(SNAPSHOT_JOB, 'checkpoint');
  return { clock, state, quarantine, exchange, deps, checkpoint };
}

function networkMessageIdOf(row: Record<string, unknown>): string {
  return parseIdentity(String(row.Identity))!.networkMessageId;
}

describe('snapshot job on in-memory stores', () => {
  test('GIVEN a run that dies half-way through its window WHEN the next run comes THEN the checkpoint has not moved and the same window is asked again', async () => {
    const t = tenant();
    expect((await runSnapshot(t.deps)).outcome).toBe('completed');
    const first = await t.checkpoint();
    expect(first?.watermark).toBe('2026-03-05T12:00:00.000Z');

    t.clock.advance(15 * MINUTE);
    t.exchange.failContinuation = true;
    t.exchange.asked.length = 0;
    const crashed = await runSnapshot(t.deps);
    expect(crashed.outcome).toBe('failed');
    // Half the page had come when the connection dropped: a page is stored only once it is whole.
    expect(crashed.rowsFetched).toBe(0);
    expect(crashed.rowsWritten).toBe(0);
    expect(t.exchange.asked.filter((a) => a.nextLink)).toHaveLength(1);
    expect(crashed.window?.start).toBe('2026-03-05T11:00:00.000Z'); // the watermark less the overlap
    expect(await t.checkpoint()).toEqual(first);

    t.clock.advance(15 * MINUTE);
    t.exchange.failContinuation = false;
    const retried = await runSnapshot(t.deps);
    expect(retried.outcome).toBe('completed');
    expect(retried.window?.start).toBe(crashed.window?.start);
    expect((await t.checkpoint())?.watermark).toBe('2026-03-05T12:30:00.000Z');
    // The rows written before the crash and again by the retry are one row each (writes are idempotent).
    for (const row of mappable) {
      const found = await t.quarantine.findByNetworkMessageId(networkMessageIdOf(row));
      expect(new Set(found.map((m) => m.rowId)).size).toBe(found.length);
    }
    expect(retried.rowsWritten).toBe(mappable.length);
  });

  test('GIVEN a window of six pages, each taking four minutes THEN the lease is renewed every six minutes at most, not after every page; GIVEN the lease lost meanwhile THEN the run stops at the next renewal and leaves the checkpoint', async () => {
    const t = tenant();
    let minutesPerPage = 4;
    let stolenAtPage = 0; // none: pages count from 1
    // Pages of three rows (a size remembered from an earlier run): five whole pages and a short sixth.
    const windowPages = [3, 3, 3, 3, 3, 1].map((n) =>
      mappable.slice(0, n).map((row) => ({ ...row, Identity: `${randomUUID()}\\${randomUUID()}` })),
    );
    await t.state.write(SNAPSHOT_JOB, PAGE_SIZES_KEY, {
      window: { pageSize: 3, askedFullAt: t.clock.now().toISOString() },
    });
    t.exchange.invoke = async (_cmdlet, parameters = {}) => {
      const page = Number(parameters.Page);
      t.clock.advance(minutesPerPage * MINUTE);
      if (page === stolenAtPage) await t.state.acquireLease(SNAPSHOT_JOB, 'another-run', 30 * MINUTE);
      return { rows: windowPages[page - 1], warnings: [] };
    };
    let renewals = 0;
    const acquire = t.state.acquireLease.bind(t.state);
    t.state.acquireLease = async (job, owner, durationMs) => {
      const lease = await acquire(job, owner, durationMs);
      return lease && { ...lease, renew: () => ((renewals += 1), lease.renew()) };
    };
    expect(await runSnapshot(t.deps)).toMatchObject({ outcome: 'completed', pages: 6 });
    expect(renewals).toBe(3); // at 8, 16 and 24 minutes: six pages, three renewals

    // Pages now take 20 minutes: the lease (30 minutes) runs out while page 2 is fetched (page 1 being
    // written meanwhile), and another run takes it; the renewal after page 1 finds it gone.
    renewals = 0;
    minutesPerPage = 20;
    stolenAtPage = 2;
    const before = await t.checkpoint();
    const lost = await runSnapshot(t.deps);
    expect(lost).toMatchObject({
      outcome: 'failed',
      error: 'the snapshot lease expired and another run took it over',
    });
    expect(renewals).toBe(1);
    expect(await t.checkpoint()).toEqual(before);
  });

  test('GIVEN the lease held by another run WHEN the snapshot runs THEN it is busy, asks Exchange nothing and leaves the checkpoint', async () => {
    const t = tenant();
    expect(await t.state.acquireLease(SNAPSHOT_JOB, 'cli-other', 30 * MINUTE)).toBeDefined();
    const summary = await runSnapshot(t.deps, { owner: 'timer' });
    expect(summary.outcome).toBe('busy');
    expect(t.exchange.asked).toEqual([]);
    expect(await t.checkpoint()).toBeUndefined();

    t.clock.advance(31 * MINUTE); // the other run's lease ran out without being renewed
    expect((await runSnapshot(t.deps, { owner: 'timer' })).outcome).toBe('completed');
    expect(await t.checkpoint()).toBeDefined();
  });

  test('GIVEN a row the store refuses WHEN the snapshot runs THEN that message is set aside with the reason, every other row is stored and the window completes', async () => {
    const refusedId = networkMessageIdOf(mappable[0]).toLowerCase();
    const t = tenant({
      refuses: (m) =>
        m.networkMessageId.toLowerCase() === refusedId
          ? new Error('The property value exceeds the maximum allowed size (64KB)')
          : undefined,
    });
    const summary = await runSnapshot(t.deps);
    expect(summary.outcome).toBe('completed');
    const refusedRows = mappable.filter((row) => networkMessageIdOf(row).toLowerCase() === refusedId).length;
    expect(summary.skipped['set aside']).toBe(refusedRows);
    expect(summary.rowsWritten).toBe(mappable.length - refusedRows);
    expect(await t.quarantine.findByNetworkMessageId(refusedId)).toEqual([]);
    for (const row of mappable.filter((r) => networkMessageIdOf(r).toLowerCase() !== refusedId)) {
      expect(await t.quarantine.findByNetworkMessageId(networkMessageIdOf(row))).not.toEqual([]);
    }
    const entry = await t.state.read<SetAsideEntry>('set-aside', hashedKey(`message\n${refusedId}`));
    expect(entry).toMatchObject({ kind: 'message', ref: refusedId });
    expect(entry?.reason).toContain('maximum allowed size');
    expect((await t.checkpoint())?.watermark).toBe('2026-03-05T12:00:00.000Z');
  });
});

/** The snapshot over Microsoft 365 in process (the simulator's tenant model, no https) and memory stores. */
function listedTenant() {
  const clock = new ManualClock('2026-03-02T12:00:00Z');
  const logger = new MemoryLogger();
  const state = new MemoryState(clock);
  const quarantine = new MemoryQuarantine({ clock });
  const m365 = inProcessTenant(clock);
  const exchange = new InProcessExchange(m365);
  const deps: SnapshotDeps = {
    exchange,
    quarantine,
    state,
    clock,
    logger,
    settings: { snapshot: { overlapMinutes: 60, purgeGraceDays: 30 } },
  };
  const ago = (ms: number) => new Date(clock.now().getTime() - ms);
  return {
    clock,
    logger,
    state,
    quarantine,
    m365,
    exchange,
    deps,
    ago,
    addMessages(count: number, newestAgoMs: number, spacingMs = MINUTE) {
      for (let i = 0; i < count; i++) {
        m365.addMessage({
          sender: `user${i % 7}@contoso.com`,
          recipients: [`partner${i}@fabrikam.example`],
          receivedAt: ago(newestAgoMs + i * spacingMs),
        });
      }
    },
    /** Rows the snapshot holds for the given messages and for every message of the tenant. */
    async storedRows(extraIds: string[] = []) {
      const ids = new Set([...extraIds, ...m365.allRows().map((r) => rowMessageId(r.row))]);
      let count = 0;
      for (const id of ids) count += (await quarantine.findByNetworkMessageId(id)).length;
      return count;
    },
  };
}

describe('snapshot job over Microsoft 365 in process', () => {
  test('GIVEN a crash between pages WHEN the next run comes THEN it fetches the whole window again, leaving no gap and no duplicate', async () => {
    const t = listedTenant();
    t.addMessages(4, 2 * HOUR);
    const first = await runSnapshot(t.deps);
    expect(first.outcome).toBe('completed');

    t.clock.advance(15 * MINUTE);
    t.addMessages(1500, 10 * MINUTE, 100); // 1,500 new rows: two pages
    t.exchange.crashOnPage = 2;
    const crashed = await runSnapshot(t.deps);
    expect(crashed).toMatchObject({ outcome: 'failed', pages: 1, rowsWritten: 1000 });
    expect(crashed.error).toContain('the function host was stopped');
    const watermark = await t.state.read<{ watermark: string }>(SNAPSHOT_JOB, 'checkpoint');
    expect(watermark?.watermark).toBe(first.window!.end); // not moved

    t.clock.advance(15 * MINUTE);
    const next = await runSnapshot(t.deps);
    expect(next).toMatchObject({ outcome: 'completed', pages: 2, rowsFetched: 1500, rowsWritten: 1500 });
    expect(next.window!.start).toBe(new Date(Date.parse(first.window!.end) - HOUR).toISOString());
    expect(await t.storedRows()).toBe(1504);
  });

  test('GIVEN a window of two pages THEN the second is fetched and mapped while the first is written', async () => {
    const t = listedTenant();
    t.addMessages(1500, 10 * MINUTE, 100); // two pages of 1,000
    const mapped = jest.spyOn(quarantineSource, 'mapQuarantineRow');
    const writes: { mappedAtStart: number }[] = [];
    const upsertMany = t.quarantine.upsertMany.bind(t.quarantine);
    t.quarantine.upsertMany = async (messages) => {
      // The first page's writes take a while: long enough for the next page to arrive and be mapped.
      for (let tick = 0; writes.length === 0 && tick < 50 && mapped.mock.calls.length < 1500; tick++) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      writes.push({ mappedAtStart: mapped.mock.calls.length });
      return upsertMany(messages);
    };
    try {
      const summary = await runSnapshot(t.deps);
      expect(summary).toMatchObject({ outcome: 'completed', pages: 2, rowsFetched: 1500, rowsWritten: 1500 });
      // While the first page was being written, the whole second page was mapped.
      expect(writes).toEqual([{ mappedAtStart: 1500 }, { mappedAtStart: 1500 }]);
      expect(await t.storedRows()).toBe(1500);
    } finally {
      mapped.mockRestore();
    }
  });

  test('GIVEN more than 30 days without a run THEN the gap is logged with its dates and the last 30 days fetched', async () => {
    const t = listedTenant();
    t.addMessages(1, HOUR);
    const first = await runSnapshot(t.deps);
    t.clock.advance(40 * DAY);
    t.addMessages(2, HOUR);
    const summary = await runSnapshot(t.deps);

    const gap = {
      from: new Date(Date.parse(first.window!.end) - HOUR).toISOString(),
      to: t.ago(SNAPSHOT_MAX_LOOKBACK_MS).toISOString(),
    };
    expect(summary.gap).toEqual(gap);
    expect(summary.window!.start).toBe(gap.to);
    expect(summary.outcome).toBe('completed');
    expect(t.logger.text()).toContain(`Snapshot gap`);
    expect(t.logger.text()).toContain(`from=${gap.from} to=${gap.to}`);
  });

  test('GIVEN rows past their expiry plus the grace period THEN they are purged once a day, after the snapshot', async () => {
    const t = listedTenant();
    const due = quarantinedMessage('aaaaaaaa-0000-4000-8000-000000000001', 'a@fabrikam.example', {
      expiresAt: t.ago(31 * DAY).toISOString(), // grace is 30 days: due
    });
    const inGrace = quarantinedMessage('aaaaaaaa-0000-4000-8000-000000000002', 'b@fabrikam.example', {
      expiresAt: t.ago(29 * DAY).toISOString(), // still in its grace period
    });
    await t.quarantine.upsertMany([due, inGrace]);
    t.addMessages(3, HOUR);

    const first = await runSnapshot(t.deps);
    expect(first).toMatchObject({ outcome: 'completed', rowsWritten: 3, purged: 1 });
    expect(await t.storedRows([due.networkMessageId, inGrace.networkMessageId])).toBe(4);

    t.clock.advance(2 * DAY);
    const nextDay = await runSnapshot(t.deps);
    expect(nextDay.purged).toBe(1); // a day later: due again, and the second row's grace is over

    t.clock.advance(HOUR);
    const soon = await runSnapshot(t.deps);
    expect(soon.purged).toBeUndefined(); // not due within the day
  });

  test('GIVEN a purge that fails THEN it is logged and the snapshot completes', async () => {
    const t = listedTenant();
    t.addMessages(2, HOUR);
    const broken = Object.create(t.quarantine) as typeof t.quarantine;
    broken.purgeExpired = async () => {
      throw new Error('table unavailable');
    };
    const summary = await runSnapshot({ ...t.deps, quarantine: broken });
    expect(summary).toMatchObject({ outcome: 'completed', rowsWritten: 2 });
    expect(summary.purged).toBeUndefined();
    expect(t.logger.text()).toMatch(/Purge of expired quarantine rows failed.*table unavailable/);
  });
});
