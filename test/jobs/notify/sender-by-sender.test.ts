import { randomUUID } from 'node:crypto';
import { MINUTE } from '../../../lib/core/clock';
import { runNotify } from '../../../lib/jobs/notify';
import { GROUPS_LOOKED_UP_AHEAD } from '../../../lib/jobs/notify/join-to-snapshot';
import type { AuditSource } from '../../../lib/sources/audit/audit-source';
import { buildReleaseRecord } from '../../../lib/simulator/audit';
import type { ReleaseWrite } from '../../../lib/store/releases-store';
import { quarantinedMessage } from '../../store/contracts/quarantine.contract';
import { memoryTenant, type MemoryTenant } from '../../support/memory-notify';

/**
 * Notify works sender by sender when its releases name their senders (seen early in the quarantine
 * status): each sender's email is decided and sent while the next senders' lookups are in flight, and an
 * audit record waits only for its own message (lib/jobs/notify/join-to-snapshot.ts).
 */

const TENANT = '00000000-0000-4000-8000-000000000001';

/**
 * A message in the snapshot, sent by `sender`, and its release as the quarantine status shows it: naming
 * `named` as the sender (the snapshot's own by default; none when null).
 */
async function releaseSeenEarly(
  t: MemoryTenant,
  sender: string,
  releasedAt: string,
  named: string | null = sender,
  recipient = 'buyer@fabrikam.com',
) {
  const id = randomUUID();
  await t.quarantine.upsertMany([quarantinedMessage(id, recipient, { senderAddress: sender })]);
  await t.releases.record(
    {
      id: `quarantine:${id}:${recipient}`,
      source: 'quarantine',
      networkMessageId: id,
      releasedTo: recipient,
      releasedAt,
      releasedBy: 'adele.vance@contoso.com',
      releasedByRaw: 'adele.vance@contoso.com',
      isSystemRelease: false,
      ...(named === null ? {} : { sender: named }),
    },
    t.clock.now(),
  );
  return id;
}

/** Lookups that each wait for the test to let them answer, in a log with the sends. */
function watched(t: MemoryTenant) {
  const log: string[] = [];
  const senderOf = new Map<string, string>();
  const find = t.quarantine.findByNetworkMessageId.bind(t.quarantine);
  t.quarantine.findByNetworkMessageId = async (id) => {
    const rows = await find(id);
    log.push(`looked up ${rows[0]?.senderAddress ?? id}`);
    for (const row of rows) senderOf.set(id, row.senderAddress);
    return rows;
  };
  const send = t.channel.send.bind(t.channel);
  t.channel.send = (email, operationId) => (log.push(`sent ${email.to}`), send(email, operationId));
  const writeMany = t.releases.writeMany.bind(t.releases);
  t.releases.writeMany = (writes: readonly ReleaseWrite[]) => {
    for (const id of new Set(writes.map((w) => w.row.networkMessageId)))
      log.push(`wrote ${senderOf.get(id) ?? id}${writes.some((w) => w.create) ? ' (created)' : ''}`);
    return writeMany(writes);
  };
  return log;
}

const at = (minutes: number) => new Date(Date.parse('2026-03-02T11:00:00Z') + minutes * MINUTE).toISOString();

describe('notify, sender by sender', () => {
  test('GIVEN twenty senders whose releases name them THEN the lookups go oldest sender first, and the first email goes out before the last lookup', async () => {
    const t = memoryTenant({ MAX_EMAILS_PER_RUN: '50' });
    const senders = Array.from({ length: 20 }, (_, i) => `s${String(i).padStart(2, '0')}@contoso.com`);
    // Each sender has two messages; the later senders released earlier.
    for (const [i, sender] of senders.entries()) {
      await releaseSeenEarly(t, sender, at(100 - i));
      await releaseSeenEarly(t, sender, at(200 + i));
    }
    const log = watched(t);
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 20, notified: 40 });

    const lookups = log.filter((l) => l.startsWith('looked up')).map((l) => l.slice('looked up '.length));
    const byAge = [...senders].reverse();
    expect(lookups).toEqual(byAge.flatMap((s) => [s, s]));
    expect(log.filter((l) => l.startsWith('sent')).map((l) => l.slice(5))).toEqual(byAge);
    expect(log.indexOf(`sent ${byAge[0]}`)).toBeLessThan(log.lastIndexOf(`looked up ${byAge[19]}`));
    expect([...t.channel.delivered().values()].every((n) => n === 1)).toBe(true);
  });

  test('GIVEN a hundred senders THEN the lookups run at most GROUPS_LOOKED_UP_AHEAD senders ahead of the email being sent', async () => {
    const t = memoryTenant({ MAX_EMAILS_PER_RUN: '200' });
    for (let i = 0; i < 100; i++) await releaseSeenEarly(t, `s${i}@contoso.com`, at(i));
    const log = watched(t);
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 100 });
    const lookedUpBefore = log.flatMap((line, k) =>
      line.startsWith('sent') ? [log.slice(0, k).filter((l) => l.startsWith('looked up')).length] : [],
    );
    expect(GROUPS_LOOKED_UP_AHEAD).toBeLessThan(100);
    lookedUpBefore.forEach((n, k) =>
      expect(n).toBeLessThanOrEqual(Math.min(100, k + 1 + GROUPS_LOOKED_UP_AHEAD)),
    );
    expect(lookedUpBefore[0]).toBeGreaterThan(1); // ahead of the first email, not one at a time
  });

  test('GIVEN releases naming no sender (audit records) beside ones naming theirs THEN those are looked up first, and a sender with both kinds gets one email for all', async () => {
    const t = memoryTenant();
    const named = await releaseSeenEarly(t, 'megan@contoso.com', at(0));
    const unnamed = await releaseSeenEarly(t, 'megan@contoso.com', at(5), null);
    const other = await releaseSeenEarly(t, 'alex@contoso.com', at(1), null);
    const log = watched(t);
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 2, notified: 3 });
    expect(log.slice(0, 2).sort()).toEqual(['looked up alex@contoso.com', 'looked up megan@contoso.com']);
    expect(log[2]).toBe('looked up megan@contoso.com');
    expect([...t.channel.delivered()]).toEqual([
      ['megan@contoso.com', 1],
      ['alex@contoso.com', 1],
    ]);
    const megans = t.channel.sends.find((s) => s.email.to === 'megan@contoso.com')!;
    expect(megans.email.plainText.match(/Quarterly figures/g)).toHaveLength(2);
    for (const id of [named, unnamed, other])
      expect((await t.releases.listForMessage(id))[0].status).toBe('notified');
  });

  test("GIVEN a release naming a sender the snapshot does not THEN the snapshot's sender is told, and the one named is not", async () => {
    const t = memoryTenant();
    const id = await releaseSeenEarly(t, 'real.sender@contoso.com', at(0), 'someone.else@contoso.com');
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 1, notified: 1 });
    expect([...t.channel.delivered()]).toEqual([['real.sender@contoso.com', 1]]);
    expect((await t.releases.listForMessage(id))[0].sender).toBe('real.sender@contoso.com');
  });

  test("GIVEN a dry run over tenant senders and an outside one THEN the tenant's senders' settings are read in one call, and the outside sender's never", async () => {
    const t = memoryTenant({ NOTIFY_DRY_RUN: 'true' });
    await releaseSeenEarly(t, 'a@contoso.com', at(0));
    await releaseSeenEarly(t, 'phish@fabrikam.com', at(1), 'phish@fabrikam.com', 'someone@contoso.com');
    await releaseSeenEarly(t, 'b@contoso.com', at(2));
    const asked: string[][] = [];
    t.deps.readers = async (senders) => (asked.push([...senders]), new Map());
    expect(await runNotify(t.deps)).toMatchObject({
      emailsComposed: 2,
      skipped: { 'dry-run': 2, 'sender-outside': 1 },
    });
    expect(asked).toEqual([['a@contoso.com', 'b@contoso.com']]);
  });

  test("GIVEN a dry run over 120 senders THEN the first share of mailbox settings is read before any email is composed, the next one while the first share's are", async () => {
    const t = memoryTenant({ NOTIFY_DRY_RUN: 'true' });
    for (let i = 0; i < 120; i++) await releaseSeenEarly(t, `s${i}@contoso.com`, at(i));
    const log: string[] = [];
    t.deps.readers = async (senders) => (log.push(`read ${senders.length}`), new Map());
    const create = t.notifications.create.bind(t.notifications);
    t.notifications.create = (record) => (log.push('composed'), create(record));
    expect(await runNotify(t.deps)).toMatchObject({ emailsComposed: 120 });
    expect(log.filter((l) => l.startsWith('read'))).toEqual(['read 112', 'read 8']);
    expect(log[0]).toBe('read 112');
    expect(log.indexOf('read 8')).toBeLessThan(10);
  });

  test('GIVEN audit records for a message the first pass is sending and for one it does not hold THEN the second is recorded at once, the first only after its send', async () => {
    const t = memoryTenant({ RELEASE_SOURCES: 'both' });
    const sending = await releaseSeenEarly(t, 'megan@contoso.com', at(0));
    const auditOnly = randomUUID();
    await t.quarantine.upsertMany([
      quarantinedMessage(auditOnly, 'buyer@fabrikam.com', { senderAddress: 'alex@contoso.com' }),
    ]);
    const record = (networkMessageId: string) =>
      buildReleaseRecord({
        tenantId: TENANT,
        networkMessageId,
        releaseTo: 'buyer@fabrikam.com',
        by: 'adele.vance@contoso.com',
        atMs: t.clock.now().getTime() - MINUTE,
      });
    const log = watched(t);
    // The first pass's lookup answers only once the audit-only message has been recorded.
    let recordedMeanwhile: () => void = () => undefined;
    const meanwhile = new Promise<void>((resolve) => (recordedMeanwhile = resolve));
    const find = t.quarantine.findByNetworkMessageId;
    t.quarantine.findByNetworkMessageId = async (id) => (
      id === sending ? await meanwhile : undefined,
      find(id)
    );
    const writeMany = t.releases.writeMany;
    t.releases.writeMany = async (writes) => {
      const written = await writeMany(writes);
      if (writes.some((w) => w.row.networkMessageId === auditOnly)) recordedMeanwhile();
      return written;
    };
    t.deps.auditSource = {
      async collect(onRecords) {
        await onRecords([record(sending), record(auditOnly)]);
        return { state: 'succeeded', recordsRead: 2, pages: 1 } as Awaited<
          ReturnType<AuditSource['collect']>
        >;
      },
    };
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 2, newReleases: 1, completedReleases: 1 });
    expect(log).toEqual([
      `wrote ${auditOnly} (created)`, // the audit-only release, while megan's lookup waits
      'looked up megan@contoso.com',
      'wrote megan@contoso.com', // held for its send
      'sent megan@contoso.com',
      'wrote megan@contoso.com', // told
      'wrote megan@contoso.com', // then completed by its audit record
      'looked up alex@contoso.com', // the second pass
      'wrote alex@contoso.com',
      'sent alex@contoso.com',
      'wrote alex@contoso.com',
    ]);
    expect((await t.releases.listForMessage(sending))[0]).toMatchObject({
      status: 'notified',
      sources: ['quarantine', 'audit'],
    });
  });

  test('GIVEN a first pass that fails on a lookup THEN the audit record of the message it held is not recorded, and the next run records it and tells the sender once', async () => {
    const t = memoryTenant({ RELEASE_SOURCES: 'both' });
    const held = await releaseSeenEarly(t, 'megan@contoso.com', at(0));
    let outage = true;
    const find = t.quarantine.findByNetworkMessageId.bind(t.quarantine);
    t.quarantine.findByNetworkMessageId = async (id) => {
      if (outage) throw Object.assign(new Error('table service unavailable'), { statusCode: 503 });
      return find(id);
    };
    const handed: number[] = [];
    t.deps.auditSource = {
      async collect(onRecords) {
        await onRecords([
          buildReleaseRecord({
            tenantId: TENANT,
            networkMessageId: held,
            releaseTo: 'buyer@fabrikam.com',
            by: 'adele.vance@contoso.com',
            atMs: t.clock.now().getTime() - MINUTE,
          }),
        ]);
        handed.push(1);
        return { state: 'succeeded', recordsRead: 1, pages: 1 } as Awaited<
          ReturnType<AuditSource['collect']>
        >;
      },
    };
    await expect(runNotify(t.deps)).rejects.toThrow('unavailable');
    expect(handed).toEqual([]); // the page was not taken: the source hands it over again
    expect((await t.releases.listForMessage(held))[0]).toMatchObject({
      status: 'pending',
      sources: ['quarantine'],
    });

    outage = false;
    t.clock.advance(15 * MINUTE);
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 1, completedReleases: 1 });
    expect((await t.releases.listForMessage(held))[0]).toMatchObject({
      status: 'notified',
      sources: ['quarantine', 'audit'],
    });
    expect([...t.channel.delivered()]).toEqual([['megan@contoso.com', 1]]);
  });
});
