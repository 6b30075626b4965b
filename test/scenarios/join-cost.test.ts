import { MINUTE } from '../../lib/core/clock';
import { startWorld, type World } from '../support/world';

/**
 * The join's cost: one table query per released message. The releases partition is read for
 * follow-up detection only when another recipient of the message could have been told before.
 */
describe('notify join: at most one table query per released message', () => {
  let world: World;
  afterEach(async () => world?.close());

  const ADMIN = 'adele.vance@contoso.com';

  async function period() {
    world.clock.advance(15 * MINUTE);
    await world.app.runSnapshot();
    return world.app.runNotify();
  }

  it('GIVEN messages released to every recipient THEN no releases partition is read, and each sender is told', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'quarantine' } });
    const ids = [1, 2, 3].map(
      (n) =>
        world.simulator.scenario.addMessage({
          sender: `user${n}@contoso.com`,
          recipients: ['a@fabrikam.example', 'b@fabrikam.example'],
          subject: `Quote ${n}`,
          type: 'TransportRule',
        }).networkMessageId,
    );
    await world.app.runSnapshot();
    for (const id of ids) world.simulator.scenario.release({ networkMessageId: id, by: ADMIN });
    const partitionReads = jest.spyOn(world.app.releases, 'listForMessage');

    const notify = await period();
    expect(notify.emailsSent).toBe(3);
    expect(partitionReads).not.toHaveBeenCalled();
  });

  it('GIVEN a release to one recipient, then to the other THEN the second email is a follow-up, found by reading the partition', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'quarantine' } });
    const id = world.simulator.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['a@fabrikam.example', 'b@fabrikam.example'],
      subject: 'Board pack',
      type: 'TransportRule',
    }).networkMessageId;
    await world.app.runSnapshot();
    const partitionReads = jest.spyOn(world.app.releases, 'listForMessage');

    world.simulator.scenario.release({ networkMessageId: id, by: ADMIN, recipients: ['a@fabrikam.example'] });
    await period();
    expect(partitionReads).toHaveBeenCalledTimes(1); // b was not released yet: it might have been told
    world.simulator.scenario.release({ networkMessageId: id, by: ADMIN, recipients: ['b@fabrikam.example'] });
    await period();

    const emails = world.simulator.scenario.emails();
    expect(emails).toHaveLength(2);
    expect(emails[1].plainText).toMatch(/also released to: b@fabrikam\.example/i);
    expect(partitionReads).toHaveBeenCalledTimes(2);
  });
});
