import { runNotify } from '../../lib/jobs/notify';
import { renewedAtMost } from '../../lib/jobs/lease-renewal';
import { ManualClock, MINUTE } from '../../lib/core/clock';
import type { AuditSource } from '../../lib/sources/audit/audit-source';
import { buildReleaseRecord } from '../../lib/simulator/audit';
import type { ReleaseWrite } from '../../lib/store/releases-store';
import { memoryTenant, type MemoryTenant } from '../support/memory-notify';
import { quarantinedMessage } from '../store/contracts/quarantine.contract';
import { randomUUID } from 'node:crypto';

/** Counts the releases port's calls, and which messages each batch write touched. */
function countCalls(t: MemoryTenant) {
  const calls = {
    listPending: 0,
    listForMessage: [] as string[],
    writeMany: [] as string[][],
    lookups: [] as string[],
  };
  const listPending = t.releases.listPending.bind(t.releases);
  t.releases.listPending = () => ((calls.listPending += 1), listPending());
  const listForMessage = t.releases.listForMessage.bind(t.releases);
  t.releases.listForMessage = (id) => (calls.listForMessage.push(id), listForMessage(id));
  const writeMany = t.releases.writeMany.bind(t.releases);
  t.releases.writeMany = (writes: readonly ReleaseWrite[]) => (
    calls.writeMany.push([...new Set(writes.map((w) => w.row.networkMessageId))]),
    writeMany(writes)
  );
  const find = t.quarantine.findByNetworkMessageId.bind(t.quarantine);
  t.quarantine.findByNetworkMessageId = (id) => (calls.lookups.push(id), find(id));
  return calls;
}

/** An audit source that hands over the given records as one page, once. */
function auditPage(records: unknown[]): AuditSource {
  let handed = false;
  return {
    async collect(onRecords) {
      if (!handed) await onRecords(records);
      handed = true;
      return {
        state: 'succeeded',
        recordsRead: records.length,
        pages: 1,
        carriedOver: false,
        queriesCreated: 0,
      } as Awaited<ReturnType<AuditSource['collect']>>;
    },
  };
}

const TENANT = '00000000-0000-4000-8000-000000000001';

describe("notify's table work", () => {
  test('GIVEN three senders waiting on a throttled email service WHEN the next run is throttled again THEN only the batch it tried is written, and no waiting message is looked up in the snapshot again', async () => {
    const t = memoryTenant();
    const ids = [];
    for (const s of ['a', 'b', 'c'])
      ids.push(await t.release(`${s}@contoso.com`, ['x@fabrikam.com', 'y@fabrikam.com']));
    t.channel.script.push({ kind: 'throttled', retryAfterSeconds: 60 });
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 0, carriedOver: 6 });

    const calls = countCalls(t);
    t.channel.script.push({ kind: 'throttled', retryAfterSeconds: 60 });
    t.clock.advance(15 * MINUTE);
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 0, carriedOver: 6 });
    expect(calls.lookups).toEqual([]);
    // The first (oldest) batch is held for its send, then freed; the two others wait as they were.
    const tried = t.channel.sends.at(-1)!.email.to;
    const triedMessage = ids[['a', 'b', 'c'].indexOf(tried[0])];
    expect(calls.writeMany.flat()).toEqual([triedMessage, triedMessage]);

    // The service takes mail again: all three are told, still without a lookup.
    t.clock.advance(15 * MINUTE);
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 3, notified: 6 });
    expect(calls.lookups).toEqual([]);
    expect([...t.channel.delivered().values()]).toEqual([1, 1, 1]);
  });

  test('GIVEN an audit page completing a release the run holds and recording two unknown ones THEN only the unknown messages are read, once each, and each message is written once for the page', async () => {
    const t = memoryTenant({ RELEASE_SOURCES: 'both' });
    const known = await t.release('a@contoso.com', ['x@fabrikam.com']);
    // Two more messages in the snapshot, whose releases come only from the audit log.
    const fresh = [randomUUID(), randomUUID()];
    await t.quarantine.upsertMany([
      quarantinedMessage(fresh[0], 'x@fabrikam.com', { senderAddress: 'b@contoso.com' }),
      quarantinedMessage(fresh[1], 'y@fabrikam.com', { senderAddress: 'c@contoso.com' }),
    ]);
    const record = (networkMessageId: string, releaseTo: string) =>
      buildReleaseRecord({
        tenantId: TENANT,
        networkMessageId,
        releaseTo,
        by: 'adele.vance@contoso.com',
        atMs: t.clock.now().getTime() - MINUTE,
      });
    const again = record(fresh[1], 'y@fabrikam.com');
    const records = [record(known, 'x@fabrikam.com'), record(fresh[0], 'x@fabrikam.com'), again, again];
    t.deps.auditSource = auditPage(records);
    const calls = countCalls(t);

    const summary = await runNotify(t.deps);
    expect(calls.listPending).toBe(1);
    expect(calls.listForMessage.sort()).toEqual([...fresh].sort());
    expect(summary).toMatchObject({
      newReleases: 2,
      completedReleases: 1,
      duplicateRecords: 1,
      emailsSent: 3,
    });
    // Each write is one message's transaction. Pass 1 holds the known release for its send and marks it
    // told (two writes); its audit record completes it once pass 1 is done with it (the third, last). Each
    // new message is created by the page, then held and marked by pass 2: three writes each.
    expect(calls.writeMany.every((messages) => messages.length === 1)).toBe(true);
    const writesOf = (id: string) =>
      calls.writeMany.flatMap((messages, k) => (messages[0] === id ? [k] : []));
    expect(writesOf(known)).toHaveLength(3);
    for (const id of fresh) expect(writesOf(id)).toHaveLength(3);
    expect(calls.writeMany).toHaveLength(9);
    expect((await t.releases.get(known, 'x@fabrikam.com'))?.sources).toEqual(['quarantine', 'audit']);
    expect([...t.channel.delivered().keys()].sort()).toEqual([
      'a@contoso.com',
      'b@contoso.com',
      'c@contoso.com',
    ]);
  });

  test("GIVEN a row changed behind the run's back WHEN its message's batch write loses the race THEN the rows are written one by one, the change applied to the fresh row, and the email goes once", async () => {
    const t = memoryTenant();
    const id = await t.release('alex@contoso.com', ['a@fabrikam.com', 'b@fabrikam.com']);
    const writeMany = t.releases.writeMany.bind(t.releases);
    let first = true;
    t.releases.writeMany = async (writes) => {
      if (first) {
        first = false;
        const row = (await t.releases.get(id, 'a@fabrikam.com'))!;
        await t.releases.update({ ...row, releasedBy: 'changed meanwhile' });
      }
      return writeMany(writes);
    };
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 1, notified: 2 });
    const rows = await t.releases.listForMessage(id);
    expect(rows.map((r) => r.status)).toEqual(['notified', 'notified']);
    expect(rows.find((r) => r.releasedTo === 'a@fabrikam.com')?.releasedBy).toBe('changed meanwhile');
    expect([...t.channel.delivered()]).toEqual([['alex@contoso.com', 1]]);
  });

  test('GIVEN releases skipped, throttled, refused and sent THEN every row notify writes with a reason carries the code it was decided with, not one read from its sentence', async () => {
    const t = memoryTenant({ MAX_SEND_ATTEMPTS: '1' });
    await t.release('outside@fabrikam.com', ['x@contoso.com']);
    for (const s of ['a', 'b', 'c']) await t.release(`${s}@contoso.com`, ['x@fabrikam.com']);
    t.channel.script.push(
      { kind: 'accepted' },
      { kind: 'failed', permanent: true, reason: 'redirected to nowhere' },
      { kind: 'throttled', retryAfterSeconds: 60 },
    );
    const written: { reason?: string; reasonCode?: string }[] = [];
    const writeMany = t.releases.writeMany.bind(t.releases);
    t.releases.writeMany = (writes) => (
      written.push(...writes.map((w) => ({ ...w.row }))),
      writeMany(writes)
    );
    await runNotify(t.deps);
    const codes = written.filter((r) => r.reason !== undefined).map((r) => r.reasonCode);
    expect(codes).not.toContain(undefined);
    expect(new Set(codes)).toEqual(new Set(['sender-outside', 'sending', 'send-failed', 'waiting-to-send']));
    // The refusal's own words start like a redirect; the row still says what was decided.
    const refused = written.find((r) => r.reason?.includes('redirected to nowhere'));
    expect(refused?.reasonCode).toBe('send-failed');
  });

  test('GIVEN releases seen early, decided in a dry run or skipped, and completed by their audit records in the same run THEN each message is written once, with its decision and its releaser', async () => {
    const t = memoryTenant({ RELEASE_SOURCES: 'both', NOTIFY_DRY_RUN: 'true' });
    const told = await t.release('a@contoso.com', ['x@fabrikam.com', 'y@fabrikam.com']);
    const outside = await t.release('b@fabrikam.com', ['z@contoso.com']);
    const record = (networkMessageId: string, releaseTo: string) =>
      buildReleaseRecord({
        tenantId: TENANT,
        networkMessageId,
        releaseTo,
        by: 'adele.vance@contoso.com',
        atMs: t.clock.now().getTime() - MINUTE,
      });
    t.deps.auditSource = auditPage([
      record(told, 'x@fabrikam.com'),
      record(told, 'y@fabrikam.com'),
      record(outside, 'z@contoso.com'),
    ]);
    const calls = countCalls(t);

    expect(await runNotify(t.deps)).toMatchObject({
      completedReleases: 3,
      skipped: { 'dry-run': 2, 'sender-outside': 1 },
    });
    expect(calls.writeMany.flat().sort()).toEqual([told, outside].sort());
    for (const [id, status, code] of [
      [told, 'skipped', 'dry-run'],
      [outside, 'skipped', 'sender-outside'],
    ] as const) {
      for (const row of await t.releases.listForMessage(id)) {
        expect(row).toMatchObject({ status, reasonCode: code, releasedBy: 'adele.vance@contoso.com' });
        expect(row.sources).toEqual(['quarantine', 'audit']);
      }
    }
  });

  test('GIVEN a run that stops while it waits for the audit log WHEN the next run comes THEN the skips it had decided are decided again, the email it sent is not sent again', async () => {
    const t = memoryTenant({ RELEASE_SOURCES: 'both' });
    const sent = await t.release('a@contoso.com', ['x@fabrikam.com']);
    const outside = await t.release('b@fabrikam.com', ['z@contoso.com']);
    t.channel.script.push({ kind: 'accepted' });
    // The process dies while the audit query runs: this run never ends.
    t.deps.auditSource = { collect: () => new Promise(() => undefined) };
    void runNotify(t.deps);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await t.releases.get(sent, 'x@fabrikam.com'))?.status).toBe('notified');
    expect((await t.releases.get(outside, 'z@contoso.com'))?.status).toBe('pending');

    t.clock.advance(20 * MINUTE); // past the dead run's lease
    t.deps.auditSource = auditPage([]);
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 0, skipped: { 'sender-outside': 1 } });
    expect((await t.releases.get(outside, 'z@contoso.com'))?.status).toBe('skipped');
    expect([...t.channel.delivered()]).toEqual([['a@contoso.com', 1]]);
  });

  test('GIVEN releases already known and an audit query THEN the query is asked for before they are sent, and its records are recorded after', async () => {
    const t = memoryTenant({ RELEASE_SOURCES: 'both' });
    const known = await t.release('a@contoso.com', ['x@fabrikam.com']);
    const order: string[] = [];
    const send = t.channel.send.bind(t.channel);
    t.channel.send = (...args) => (order.push('sent'), send(...args));
    const page = auditPage([
      buildReleaseRecord({
        tenantId: TENANT,
        networkMessageId: known,
        releaseTo: 'x@fabrikam.com',
        by: 'adele.vance@contoso.com',
        atMs: t.clock.now().getTime() - MINUTE,
      }),
    ]);
    t.deps.auditSource = {
      async collect(onRecords, othersFirst) {
        order.push('query asked');
        await othersFirst;
        order.push('query waited for');
        return page.collect(async (records) => {
          await onRecords(records);
          order.push('recorded');
        });
      },
    };
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 1, completedReleases: 1 });
    expect(order).toEqual(['query asked', 'sent', 'query waited for', 'recorded']);
  });

  test("GIVEN 30 senders waiting and a service that throttles the third email THEN only the first 14 senders' mailbox settings are read, in one call", async () => {
    const t = memoryTenant();
    for (let i = 0; i < 30; i++) await t.release(`s${i}@contoso.com`, ['x@fabrikam.com']);
    const asked: number[] = [];
    t.deps.readers = async (senders) => (asked.push(senders.length), new Map());
    t.channel.script.push(
      { kind: 'accepted' },
      { kind: 'accepted' },
      { kind: 'throttled', retryAfterSeconds: 60 },
    );
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 2, carriedOver: 28 });
    expect(asked).toEqual([14]);
  });

  test('GIVEN sends in flight asking at once, after the interval THEN they share one renewal of the lease', async () => {
    const clock = new ManualClock('2026-03-02T12:00:00Z');
    let renewals = 0;
    const stillLeased = renewedAtMost(3 * MINUTE, clock, async () => {
      renewals += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return true;
    });
    expect(await Promise.all([stillLeased(), stillLeased()])).toEqual([true, true]);
    expect(renewals).toBe(0);
    clock.advance(4 * MINUTE);
    expect(await Promise.all([stillLeased(), stillLeased(), stillLeased()])).toEqual([true, true, true]);
    expect(renewals).toBe(1);
  });
});
