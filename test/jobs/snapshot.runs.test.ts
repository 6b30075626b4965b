/**
 * The snapshot job against the simulated Exchange Online and Azurite: what an administrator expects to
 * find in the quarantine table after the timer has run.
 */
import { DAY, HOUR, MINUTE } from '../../lib/core/clock';
import { runSnapshot, SNAPSHOT_MAX_LOOKBACK_MS } from '../../lib/jobs/snapshot';
import { exchangeDate } from '../../lib/sources/exchange/quarantine';
import { quarantineFixtureRows } from '../support/fixtures';
import { startSnapshotWorld, storedRows, type SnapshotWorld } from '../support/snapshot-world';

jest.setTimeout(120_000);

let world: SnapshotWorld;

beforeEach(async () => {
  world = await startSnapshotWorld('snaprun', { start: '2026-03-03T00:00:00Z' });
});

afterEach(async () => {
  await world.sim.close();
});

function quarantineCalls() {
  return world.sim.scenario.requests('exchange').filter((r) => r.cmdlet === 'Get-QuarantineMessage');
}

function ago(ms: number): Date {
  return new Date(world.clock.now().getTime() - ms);
}

describe('The first snapshot run', () => {
  test('backfills 30 days: 2,500 quarantined messages arrive in three pages and are all stored', async () => {
    for (let i = 0; i < 2500; i++) {
      world.sim.scenario.addMessage({
        sender: `user${i % 40}@contoso.com`,
        recipients: [`partner${i}@fabrikam.example`],
        subject: `Order ${i}`,
        receivedAt: ago(2 * HOUR + i * 15 * MINUTE),
      });
    }
    const summary = await runSnapshot(world.deps);

    expect(summary).toMatchObject({
      outcome: 'completed',
      pages: 3,
      rowsFetched: 2500,
      rowsWritten: 2500,
      skipped: {},
      window: {
        start: ago(SNAPSHOT_MAX_LOOKBACK_MS).toISOString(),
        end: world.clock.now().toISOString(),
        firstRun: true,
      },
    });
    expect(await storedRows(world.tables)).toHaveLength(2500);

    const calls = quarantineCalls();
    expect(calls.map((c) => c.parameters?.Page)).toEqual([1, 2, 3]);
    for (const call of calls) {
      expect(call.parameters).toEqual({
        StartReceivedDate: exchangeDate(ago(SNAPSHOT_MAX_LOOKBACK_MS)),
        EndReceivedDate: exchangeDate(world.clock.now()),
        PageSize: 1000,
        Page: call.parameters?.Page,
      });
    }
  });

  test('captures a message quarantined 20 days ago (Exchange alone would list only 16 days)', async () => {
    const { networkMessageId } = world.sim.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      subject: 'Contract draft',
      receivedAt: ago(20 * DAY),
    });
    await runSnapshot(world.deps);
    const [row] = await world.quarantine.findByNetworkMessageId(networkMessageId);
    expect(row).toMatchObject({ senderAddress: 'megan.bowen@contoso.com', subject: 'Contract draft' });
  });

  test('stores each recipient of one message as its own row, all found by the one NetworkMessageId', async () => {
    const recipients = ['buyer@fabrikam.example', 'ap@fabrikam.example', 'legal@northwind.example'];
    const { networkMessageId } = world.sim.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients,
      subject: 'Q1 price list',
      receivedAt: ago(3 * HOUR),
    });
    await runSnapshot(world.deps);
    const rows = await world.quarantine.findByNetworkMessageId(networkMessageId.toUpperCase());
    expect(rows).toHaveLength(3);
    expect(rows.flatMap((r) => r.recipients).sort()).toEqual([...recipients].sort());
    expect(new Set(rows.map((r) => r.rowId)).size).toBe(3);
  });

  test('stores released messages with who released them and to whom', async () => {
    const { networkMessageId } = world.sim.scenario.addMessage({
      sender: 'alex.wilber@contoso.com',
      recipients: ['patient.records@northwind.example'],
      subject: 'Patient list',
      type: 'DataLossPrevention',
      receivedAt: ago(5 * HOUR),
    });
    world.sim.scenario.release({ networkMessageId, by: 'admin@contoso.com' });
    await runSnapshot(world.deps);
    const [row] = await world.quarantine.findByNetworkMessageId(networkMessageId);
    expect(row.releaseStatus).toBe('RELEASED');
    expect(row.released).toBe(true);
    expect(row.releasedCount).toBeGreaterThanOrEqual(1);
    expect([...row.releasedBy, ...row.releasedUsers].join(' ')).toMatch(/@/);
  });

  test('stores every fixture row, including the field oddity (no sender, reported Outbound)', async () => {
    for (const row of quarantineFixtureRows()) world.sim.scenario.addRawRow(row);
    const summary = await runSnapshot(world.deps);
    expect(summary).toMatchObject({ rowsFetched: 6, rowsWritten: 6, skipped: {}, wireWarnings: {} });

    const [oddity] = await world.quarantine.findByNetworkMessageId('2a008698-201e-497f-3dee-08dad2e835e2');
    expect(oddity).toMatchObject({
      senderAddress: '',
      recipients: [],
      recipientCount: 0,
      direction: 'Outbound',
      type: 'High Confidence Phish',
      quarantineType: 'HighConfPhish',
    });
    expect(
      await world.quarantine.findByNetworkMessageId('3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d'),
    ).toHaveLength(2);
  });

  test('stores a 40,000-character subject cut with a marker, and a 3,000-recipient message whole', async () => {
    const { networkMessageId: longSubject } = world.sim.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      subject: 'S'.repeat(40_000),
      receivedAt: ago(3 * HOUR),
    });
    const recipients = Array.from({ length: 3000 }, (_, i) => `member${i}@fabrikam.example`);
    const { networkMessageId: huge } = world.sim.scenario.addMessage({
      sender: 'newsletter@contoso.com',
      recipients,
      subject: 'Spring newsletter',
      receivedAt: ago(4 * HOUR),
    });
    // The same shape as one row listing every recipient, as some tenants report it.
    const [template] = quarantineFixtureRows();
    world.sim.scenario.addRawRow({
      ...template,
      Identity: '11111111-2222-4333-8444-555555555555\\66666666-7777-4888-9999-aaaaaaaaaaaa',
      ReceivedTime: ago(6 * HOUR).toISOString(),
      Expires: new Date(world.clock.now().getTime() + 20 * DAY).toISOString(),
      RecipientAddress: recipients,
      RecipientCount: 3000,
    });

    const summary = await runSnapshot(world.deps);
    expect(summary.outcome).toBe('completed');
    expect(summary.rowsWritten).toBe(3002);
    expect(summary.rowsTruncated).toBe(1);

    const [cut] = await world.quarantine.findByNetworkMessageId(longSubject);
    expect(cut.subject).toMatch(/^S+… \[cut by the snapshot: 40000 characters\]$/);
    expect(cut.truncated).toEqual({ subject: 40_000 });

    const rows = await world.quarantine.findByNetworkMessageId(huge);
    expect(rows).toHaveLength(3000);
    expect(rows.flatMap((r) => r.recipients).sort()).toEqual([...recipients].sort());

    const [wide] = await world.quarantine.findByNetworkMessageId('11111111-2222-4333-8444-555555555555');
    expect(wide.recipients).toEqual(recipients);
    expect(wide.recipientCount).toBe(3000);
    expect(wide.truncated).toBeUndefined();
  });

  test('stores rows with unknown values and counts them; skips a row without an Identity and says why', async () => {
    const [template] = quarantineFixtureRows();
    const received = ago(HOUR).toISOString();
    world.sim.scenario.addRawRow({ ...template, ReceivedTime: received, Type: 'QuantumPhish' });
    world.sim.scenario.addRawRow({ ...template, ReceivedTime: received, Identity: 'not-a-guid' });
    world.sim.scenario.addRawRow({
      ...template,
      ReceivedTime: received,
      Identity: '99999999-2222-4333-8444-555555555555\\66666666-7777-4888-9999-aaaaaaaaaaaa',
      Size: 'big',
    });

    const summary = await runSnapshot(world.deps);
    expect(summary).toMatchObject({
      outcome: 'completed',
      rowsFetched: 3,
      rowsWritten: 2,
      skipped: { 'identity-unparsable': 1 },
      wireWarnings: { 'unknown-enum:Type': 1, 'unexpected-type:Size': 1 },
    });
    expect(world.logger.text()).toMatch(/Wire invariant: quarantine row skipped reason=identity-unparsable/);
    expect(world.logger.text()).toMatch(/Wire invariant: .* field=Type value=QuantumPhish/);
  });
});

describe('Later snapshot runs', () => {
  test('fetch only what is new: one call from the last run minus the overlap, both dates, PageSize 1000', async () => {
    world.sim.scenario.addMessage({
      sender: 'a@contoso.com',
      recipients: ['x@fabrikam.example'],
      receivedAt: ago(3 * HOUR),
    });
    const first = await runSnapshot(world.deps);
    const firstEnd = first.window!.end;

    world.clock.advance(15 * MINUTE);
    for (let i = 0; i < 3; i++) {
      world.sim.scenario.addMessage({
        sender: 'b@contoso.com',
        recipients: [`y${i}@fabrikam.example`],
        receivedAt: ago(5 * MINUTE),
      });
    }
    world.sim.scenario.clearRequests();
    const second = await runSnapshot(world.deps);

    expect(second).toMatchObject({ outcome: 'completed', pages: 1, rowsFetched: 3, rowsWritten: 3 });
    expect(second.window).toEqual({
      start: new Date(Date.parse(firstEnd) - 60 * MINUTE).toISOString(),
      end: world.clock.now().toISOString(),
      firstRun: false,
    });
    const calls = quarantineCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0].parameters).toEqual({
      StartReceivedDate: exchangeDate(new Date(Date.parse(firstEnd) - 60 * MINUTE)),
      EndReceivedDate: exchangeDate(world.clock.now()),
      PageSize: 1000,
      Page: 1,
    });
    expect(Object.keys(calls[0].parameters ?? {})).not.toContain('EntityType');
    expect(await storedRows(world.tables)).toHaveLength(4);
  });

  test('running the same window twice leaves the same table', async () => {
    for (const row of quarantineFixtureRows()) world.sim.scenario.addRawRow(row);
    await runSnapshot(world.deps);
    const strip = (rows: Record<string, unknown>[]) =>
      rows
        .map(({ etag: _e, timestamp: _t, ...rest }) => rest)
        .sort((a, b) => String(a.rowKey).localeCompare(String(b.rowKey)));
    const before = strip(await storedRows(world.tables));
    await world.state.remove('snapshot', 'checkpoint'); // forget the watermark: the same 30 days again
    await runSnapshot(world.deps);
    expect(strip(await storedRows(world.tables))).toEqual(before);
  });

  test('the summary line counts and dates, and names no subject or address', async () => {
    world.sim.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      subject: 'Secret merger plans',
      receivedAt: ago(HOUR),
    });
    await runSnapshot(world.deps);
    const lines = world.logger.lines.filter((l) => l.message === 'Snapshot summary');
    expect(lines).toHaveLength(1);
    expect(lines[0].fields).toMatchObject({ outcome: 'completed', pages: 1, fetched: 1, written: 1 });
    expect(lines[0].fields?.window).toBe('2026-02-01T00:10:00.000Z..2026-03-03T00:00:00.000Z');
    const everything = world.logger.text();
    expect(everything).not.toMatch(/megan|fabrikam|Secret merger/i);
  });
});
