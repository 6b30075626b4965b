import { MINUTE } from '../../lib/core/clock';
import { runPeriod, startWorld, type World } from '../support/world';

const ADMIN = 'adele.vance@contoso.com';

function quarantineOutbound(world: World, recipients: string[]) {
  return world.simulator.scenario.addMessage({
    sender: 'megan.bowen@contoso.com',
    recipients,
    subject: 'Board pack (draft)',
    type: 'TransportRule',
    policyType: 'ExchangeTransportRule',
    policyName: 'Quarantine outbound confidential',
  }).networkMessageId;
}

/**
 * The fast path on the wire: the Released query, partial releases, rows gone before a snapshot saw them, a
 * failing Released query, and its cost on the real table. A release seen early and then completed by its
 * audit record runs in memory: test/jobs/releases-seen-early.in-memory.test.ts.
 */
describe('fast path: the quarantine status tells the sender before the audit log does', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN a partial release (one of three recipients) then the rest THEN the sender gets one email, then a follow-up naming only the others', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'quarantine' } });
    const recipients = ['a@fabrikam.example', 'b@fabrikam.example', 'c@fabrikam.example'];
    const id = quarantineOutbound(world, recipients);
    await world.app.runSnapshot();

    world.simulator.scenario.release({ networkMessageId: id, by: ADMIN, recipients: ['a@fabrikam.example'] });
    await runPeriod(world);
    world.simulator.scenario.release({
      networkMessageId: id,
      by: ADMIN,
      recipients: ['b@fabrikam.example', 'c@fabrikam.example'],
    });
    await runPeriod(world);
    await runPeriod(world);

    const emails = world.simulator.scenario.emails();
    expect(emails).toHaveLength(2);
    expect(emails[0].plainText).toMatch(/Released to: a@fabrikam\.example\n/);
    expect(emails[1].plainText).toMatch(/released to: b@fabrikam\.example, c@fabrikam\.example\n/i);
    expect(emails[1].plainText).not.toMatch(/released to:[^\n]*a@fabrikam/i);
    const view = await world.app.releases.listForMessage(id);
    // Row keys are hashes: the partition's order is not the recipients' order.
    expect(view.map((r) => [r.releasedTo, r.status]).sort()).toEqual(recipients.map((r) => [r, 'notified']));
  });

  it('GIVEN the row is deleted before any snapshot saw it released THEN the audit log alone still gets the sender told', async () => {
    world = await startWorld();
    const id = quarantineOutbound(world, ['buyer@fabrikam.example']);
    await world.app.runSnapshot();
    world.simulator.scenario.release({ networkMessageId: id, by: ADMIN });
    world.simulator.scenario.deleteMessage(id);

    for (let i = 0; i < 8; i++) await runPeriod(world); // two hours: past the audit latency
    const emails = world.simulator.scenario.emails();
    expect(emails).toHaveLength(1);
    const row = (await world.app.releases.listForMessage(id))[0];
    expect(row).toMatchObject({ status: 'notified', sources: ['audit'] });
  });

  it('GIVEN the Released query fails THEN the rest of the snapshot is stored all the same and the next run catches up', async () => {
    world = await startWorld();
    const id = quarantineOutbound(world, ['buyer@fabrikam.example']);
    world.simulator.scenario.release({ networkMessageId: id, by: ADMIN });
    // The Released query is the run's first Exchange call: make it fail with the NUL-byte 403.
    world.simulator.scenario.injectFault({ service: 'exchange', kind: 'missing-role', count: 1 });

    const first = await world.app.runSnapshot();
    expect(first.outcome).toBe('completed');
    expect(first.releasesSeenEarly?.error).toMatch(/Security Reader/);
    expect(first.rowsWritten).toBe(1);

    const { snapshot } = await runPeriod(world);
    expect(snapshot.releasesSeenEarly).toMatchObject({ newReleases: 1 });
    expect(world.simulator.scenario.emails()).toHaveLength(1);
  });

  it('GIVEN RELEASE_SOURCES=audit THEN the snapshot never asks for released rows', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit' } });
    quarantineOutbound(world, ['buyer@fabrikam.example']);
    await world.app.runSnapshot();
    const released = world.simulator.scenario
      .requests('exchange')
      .filter((r) => (r.parameters as Record<string, unknown> | undefined)?.ReleaseStatus !== undefined);
    expect(released).toHaveLength(0);
  });

  it('GIVEN releases already recorded THEN later snapshot runs find them in one scan and read no row of them one by one', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'quarantine' } });
    const ids = [0, 1, 2].map(() => quarantineOutbound(world, ['a@fabrikam.example', 'b@fabrikam.example']));
    await world.app.runSnapshot();
    for (const id of ids) world.simulator.scenario.release({ networkMessageId: id, by: ADMIN });
    const first = await runPeriod(world);
    expect(first.snapshot.releasesSeenEarly).toMatchObject({ releasedRows: 6, newReleases: 6 });

    const record = jest.spyOn(world.app.releases, 'record');
    const get = jest.spyOn(world.app.releases, 'get');
    world.clock.advance(15 * MINUTE);
    // The snapshot alone: the notify run after it reads the rows of a delivery it confirms, by design.
    const again = { snapshot: await world.app.runSnapshot() };
    expect(again.snapshot.releasesSeenEarly).toMatchObject({
      releasedRows: 6,
      newReleases: 0,
      changedRows: 0,
    });
    expect(record).not.toHaveBeenCalled();
    expect(get).not.toHaveBeenCalled();
    expect(world.simulator.scenario.emails()).toHaveLength(1); // one sender, one email for the three
  });
});
