import { MINUTE } from '../../lib/core/clock';
import { startWorld, type World } from '../support/world';

/**
 * Issue 8, found by the chaos run: a send that times out may have gone out. ACS took the email, its answer
 * was lost, and the next run sent the same notification again (a second email). Now an uncertain send
 * stays recorded as sending with its releases held, and the next run asks ACS before any resend.
 */
describe('an uncertain send (timeout, lost answer) is checked with the email service, never resent blindly', () => {
  let world: World;
  afterEach(async () => world?.close());

  async function releasedOutbound() {
    world = await startWorld({ timeouts: { emailMs: 1_000 } });
    const id = world.simulator.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      subject: 'Board pack (draft)',
      type: 'TransportRule',
    }).networkMessageId;
    await world.app.runSnapshot();
    world.simulator.scenario.release({ networkMessageId: id, by: 'adele.vance@contoso.com' });
    world.clock.advance(15 * MINUTE);
    await world.app.runSnapshot(); // the fast path sees the release
    return id;
  }

  it('GIVEN ACS accepted the email but its answer was lost THEN the next run finds it accepted and sends nothing more', async () => {
    const id = await releasedOutbound();
    world.simulator.scenario.acs.loseNextAnswers(1);

    const first = await world.app.runNotify();
    expect(first.emailsSent).toBe(0);
    expect(world.simulator.scenario.emails()).toHaveLength(1); // it did go out
    const held = (await world.app.releases.listForMessage(id))[0];
    expect(held).toMatchObject({ status: 'pending', sendAttempts: 1 });
    expect(held.notificationId).toBeDefined();

    world.clock.advance(15 * MINUTE);
    const second = await world.app.runNotify();
    expect(second).toMatchObject({ recovered: 1, emailsSent: 0 });
    world.clock.advance(15 * MINUTE);
    await world.app.runNotify();
    expect(world.simulator.scenario.emails()).toHaveLength(1);
    expect((await world.app.releases.listForMessage(id))[0]).toMatchObject({ status: 'notified' });
  });

  it('GIVEN the send timed out before ACS took it THEN the next run finds it unknown and sends it once', async () => {
    const id = await releasedOutbound();
    world.simulator.scenario.injectFault({ service: 'acs', kind: 'timeout', match: 'emails:send' });

    const first = await world.app.runNotify();
    expect(first.emailsSent).toBe(0);
    expect(world.simulator.scenario.emails()).toHaveLength(0);

    world.clock.advance(15 * MINUTE);
    const second = await world.app.runNotify();
    expect(second.emailsSent).toBe(1);
    world.clock.advance(15 * MINUTE);
    await world.app.runNotify();
    expect(world.simulator.scenario.emails()).toHaveLength(1);
    expect((await world.app.releases.listForMessage(id))[0]).toMatchObject({
      status: 'notified',
      sendAttempts: 1,
    });
  });
});

/**
 * Issue 8, found by the chaos run: a run killed between marking a notification abandoned (throttled or
 * failed) and freeing its releases left them pending but held by that notification forever: no later run
 * sent them. Now a hold by a notification that is no longer in flight is freed.
 */
describe('a crash between abandoning a notification and freeing its releases', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN pending releases still held by an abandoned notification THEN the next run frees them and tells the sender once', async () => {
    world = await startWorld();
    const id = world.simulator.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example', 'ap@fabrikam.example'],
      subject: 'Board pack (draft)',
      type: 'TransportRule',
    }).networkMessageId;
    await world.app.runSnapshot();
    world.simulator.scenario.release({ networkMessageId: id, by: 'adele.vance@contoso.com' });
    world.clock.advance(15 * MINUTE);
    await world.app.runSnapshot();
    world.simulator.scenario.acs.failNext(429);
    const throttled = await world.app.runNotify();
    expect(throttled.emailsSent).toBe(0);

    // What the killed run left: the notification abandoned, its releases still naming it.
    const rows = await world.app.releases.listForMessage(id);
    const sender = rows[0].sender!;
    let notificationId: string | undefined;
    for await (const entity of world.app.tables.notifications.listEntities<{ state: string }>()) {
      expect(entity.state).toBe('abandoned');
      notificationId = entity.rowKey;
    }
    for (const row of rows) await world.app.releases.update({ ...row, notificationId, etag: undefined });
    expect(await world.app.notifications.get(sender, notificationId!)).toMatchObject({ state: 'abandoned' });

    world.clock.advance(15 * MINUTE);
    const next = await world.app.runNotify();
    expect(next.emailsSent).toBe(1);
    world.clock.advance(15 * MINUTE);
    await world.app.runNotify();
    expect(world.simulator.scenario.emails()).toHaveLength(1);
    const after = await world.app.releases.listForMessage(id);
    expect(after.map((r) => r.status)).toEqual(['notified', 'notified']);
  });
});
