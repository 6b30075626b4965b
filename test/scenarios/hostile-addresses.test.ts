/**
 * Hostile addresses through the whole pipeline, the way an attacker would try (issue 13): generated
 * senders from RFC 5322's corners, held by a mail flow rule and released beside legitimate releases of the
 * same run, and holds whose Direction is anything but exactly Inbound or Outbound. No email may go to an
 * address outside the tenant's accepted domains or to anyone but a real sender, and every legitimate sender is
 * still told exactly once.
 */
import fc from 'fast-check';
import { MINUTE } from '../../lib/core/clock';
import { buildRunEvent } from '../../lib/ops/run-event';
import { buildReleaseRecord } from '../../lib/simulator/audit';
import { listSetAside } from '../../lib/store/set-aside';
import { hostileSender } from '../support/hostile-arbitraries';
import { startWorld, type World } from '../support/world';

const ACCEPTED =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@(contoso\.com|contoso\.onmicrosoft\.com|([a-z0-9-]+\.)*eu\.contoso\.com)$/;

describe('hostile addresses through the whole pipeline', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN a quoted local part hiding an internal address, held by a mail flow rule and released THEN nothing is sent to it and its release reads "skipped: sender address not usable"', async () => {
    world = await startWorld();
    const s = world.simulator.scenario;
    const attack = s.addMessage({
      sender: '"<ceo@contoso.com>"@evil.example',
      recipients: ['buyer@fabrikam.example'],
      subject: 'Please read',
      type: 'TransportRule',
    }).networkMessageId;
    const legit = s.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      subject: 'Q1 price list',
      type: 'TransportRule',
    }).networkMessageId;
    await world.app.runSnapshot();
    s.release({ networkMessageId: attack });
    s.release({ networkMessageId: legit });
    world.clock.advance(15 * MINUTE);
    await world.app.runSnapshot();
    const summary = await world.app.runNotify();
    expect(summary.skipped['sender-unusable']).toBe(1);
    expect(s.emails().map((e) => e.to.map((t) => t.address))).toEqual([['megan.bowen@contoso.com']]);
    const [row] = await world.app.releases.listForMessage(attack);
    expect(`${row.status}: ${row.reason}`).toBe('skipped: sender address not usable');
  });

  it('GIVEN senders a URL host parser would cut or decode into contoso.com (payroll@contoso.com#evil.example, ceo@contoso.com/evil.example, pat@contoso%2ecom), held by rules and released THEN nobody is emailed and each reads "skipped: sender address not usable"', async () => {
    world = await startWorld();
    const s = world.simulator.scenario;
    const senders = ['payroll@contoso.com#evil.example', 'ceo@contoso.com/evil.example', 'pat@contoso%2ecom'];
    const ids = senders.map(
      (sender) =>
        s.addMessage({ sender, recipients: ['buyer@fabrikam.example'], subject: 'Q2', type: 'TransportRule' })
          .networkMessageId,
    );
    await world.app.runSnapshot();
    for (const id of ids) s.release({ networkMessageId: id });
    world.clock.advance(15 * MINUTE);
    await world.app.runSnapshot();
    const summary = await world.app.runNotify();
    expect(summary.skipped['sender-unusable']).toBe(3);
    expect(s.emails()).toEqual([]);
    for (const id of ids) {
      const [row] = await world.app.releases.listForMessage(id);
      expect(`${row.status}: ${row.reason}`).toBe('skipped: sender address not usable');
    }
  });

  it('GIVEN an inbound message spoofing an internal sender, held by a mail flow rule and released THEN it is skipped as inbound and nobody is emailed', async () => {
    world = await startWorld();
    const s = world.simulator.scenario;
    const spoof = s.addMessage({
      sender: 'payroll@contoso.com',
      recipients: ['megan.bowen@contoso.com'],
      subject: 'Update your bank details at https://evil.example/login',
      type: 'TransportRule',
      direction: 'Inbound',
    }).networkMessageId;
    await world.app.runSnapshot();
    s.release({ networkMessageId: spoof });
    world.clock.advance(15 * MINUTE);
    await world.app.runSnapshot();
    const summary = await world.app.runNotify();
    expect(summary.skipped.inbound).toBe(1);
    expect(s.emails()).toEqual([]);
  });

  it('GIVEN rule and DLP holds of an internal sender whose Direction is missing, "Inbound\u200b", lower-case or "Unknown" THEN nobody is emailed; each reads "skipped: direction unknown" and the run event counts them', async () => {
    world = await startWorld();
    const s = world.simulator.scenario;
    const directions: (string | undefined)[] = [undefined, 'Inbound\u200b', 'outbound', 'Unknown'];
    const ids = directions.map((direction, i) => {
      const { networkMessageId } = s.addMessage({
        sender: 'payroll@contoso.com',
        recipients: ['buyer@fabrikam.example'],
        subject: 'Update your bank details',
        type: i % 2 === 0 ? 'TransportRule' : 'DataLossPrevention',
      });
      // The same rows as Exchange would send them, with this Direction (or none).
      const rows = s.messages().filter((row) => String(row.Identity).includes(networkMessageId));
      s.deleteMessage(networkMessageId);
      for (const { Direction: _dropped, ...row } of rows)
        s.addRawRow(direction === undefined ? row : { ...row, Direction: direction });
      return networkMessageId;
    });
    await world.app.runSnapshot();
    for (const id of ids) s.release({ networkMessageId: id });
    world.clock.advance(15 * MINUTE);
    await world.app.runSnapshot();
    const summary = await world.app.runNotify();
    expect(s.emails()).toEqual([]);
    for (const id of ids) {
      const [row] = await world.app.releases.listForMessage(id);
      expect({ id, reads: `${row.status}: ${row.reason}`, code: row.reasonCode }).toEqual({
        id,
        reads: 'skipped: direction unknown',
        code: 'direction-unknown',
      });
    }
    const event = buildRunEvent({
      result: { job: 'notify', summary },
      startedAt: world.clock.now(),
      finishedAt: world.clock.now(),
      previousFailures: 0,
      settings: { logPersonalData: false, audit: { stuckMinutes: 180 } },
    });
    expect(event.skipped).toEqual({ 'direction-unknown': 4 });
  });

  it('GIVEN audit records released to a lone surrogate and to a 10,000-character value, and one record whose storing throws THEN each is stored or set aside with its reason, and the legitimate release is still told once', async () => {
    world = await startWorld();
    const s = world.simulator.scenario;
    s.setAuditLatency(0);
    const legit = s.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      type: 'TransportRule',
    }).networkMessageId;
    await world.app.runSnapshot();
    const poisonIds: string[] = [];
    // Releases of a message the snapshot has not seen (yet): they wait, pending, beside the legitimate one.
    const unseen = '0d4c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
    const hostileTo = ['x\uD800@fabrikam.example', `${'x'.repeat(10_000)}@fabrikam.example`];
    for (const releaseTo of [...hostileTo, 'boom@fabrikam.example']) {
      const record = buildReleaseRecord({
        tenantId: world.simulator.tenantId,
        networkMessageId: unseen,
        releaseTo,
        by: 'adele.vance@contoso.com',
        atMs: world.clock.now().getTime(),
      });
      poisonIds.push(String(record.id));
      s.addRawAuditRecord(record);
    }
    s.release({ networkMessageId: legit });
    // The table refuses the row of one record: its message's transaction fails, then that record alone.
    const writeMany = world.app.releases.writeMany.bind(world.app.releases);
    jest.spyOn(world.app.releases, 'writeMany').mockImplementation(async (writes) => {
      if (!writes.some((w) => w.row.releasedTo === 'boom@fabrikam.example')) return writeMany(writes);
      const refused = new RangeError('a record that throws');
      const others = await writeMany(writes.filter((w) => w.row.networkMessageId !== unseen));
      return writes.map((w) => (w.row.networkMessageId === unseen ? { error: refused } : others.shift()!));
    });
    const record = world.app.releases.record.bind(world.app.releases);
    jest.spyOn(world.app.releases, 'record').mockImplementation(async (event, now) => {
      if (event.releasedTo === 'boom@fabrikam.example') throw new RangeError('a record that throws');
      return record(event, now);
    });
    world.clock.advance(15 * MINUTE);
    await world.app.runSnapshot();
    const first = await world.app.runNotify();
    expect(first.audit?.state).toBe('succeeded');
    expect(first.setAside).toBe(1);
    expect(s.emails().filter((e) => e.to[0].address === 'megan.bowen@contoso.com')).toHaveLength(1);
    for (const releasedTo of hostileTo)
      expect(await world.app.releases.get(unseen, releasedTo)).toMatchObject({ status: 'pending' });
    const setAside = await listSetAside(world.app.state);
    expect(setAside).toEqual([
      expect.objectContaining({
        kind: 'audit record',
        ref: poisonIds[2],
        reason: 'RangeError: a record that throws',
      }),
    ]);
    // The next run goes on: nothing is re-sent, nothing wedges.
    world.clock.advance(15 * MINUTE);
    const second = await world.app.runNotify();
    expect(second.emailsSent).toBe(0);
    expect(s.emails().filter((e) => e.to[0].address === 'megan.bowen@contoso.com')).toHaveLength(1);
  });

  it('GIVEN generated senders from RFC 5322 corners released beside legitimate ones THEN no email goes outside the accepted domains or to anyone but a real sender, and every legitimate sender is told exactly once', async () => {
    world = await startWorld();
    const s = world.simulator.scenario;
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(hostileSender, { minLength: 1, maxLength: 6 }), async (senders) => {
        round += 1;
        s.clearEmails();
        const legitimate = [`legit${round}a@contoso.com`, `legit${round}b@eu.contoso.com`];
        const ids = [...senders, ...legitimate].map(
          (sender, i) =>
            s.addMessage({
              sender,
              recipients: [`buyer${i}@fabrikam.example`],
              subject: `round ${round}`,
              type: i % 2 === 0 ? 'TransportRule' : 'DataLossPrevention',
            }).networkMessageId,
        );
        await world.app.runSnapshot();
        for (const id of ids) s.release({ networkMessageId: id });
        world.clock.advance(15 * MINUTE);
        await world.app.runSnapshot();
        const summary = await world.app.runNotify();
        expect(summary.setAside ?? 0).toBe(0);
        const sentTo = s.emails().flatMap((e) => e.to.map((t) => t.address));
        // Only ever to a real sender, as the message carried it: never to an address a parser made up.
        const realSenders = new Set([...senders, ...legitimate].map((sender) => sender.toLowerCase()));
        for (const address of sentTo)
          expect({ address, accepted: ACCEPTED.test(address), realSender: realSenders.has(address) }).toEqual(
            {
              address,
              accepted: true,
              realSender: true,
            },
          );
        for (const sender of legitimate) expect(sentTo.filter((a) => a === sender)).toHaveLength(1);
        world.clock.advance(15 * MINUTE);
      }),
      { numRuns: 8, seed: 13 },
    );
  });
});
