import { MAX_UNKNOWN_ANSWERS } from '../../lib/jobs/delivery-status';
import { runPeriod, startWorld, type World } from '../support/world';

const ADMIN = 'adele.vance@contoso.com';
const SENDER = 'megan.bowen@contoso.com';

async function releasedOutbound(world: World) {
  const id = world.simulator.scenario.addMessage({
    sender: SENDER,
    recipients: ['buyer@fabrikam.example'],
    subject: 'Quote for 40 units',
    type: 'TransportRule',
    policyType: 'ExchangeTransportRule',
  }).networkMessageId;
  await world.app.runSnapshot();
  world.simulator.scenario.release({ networkMessageId: id, by: ADMIN });
  return id;
}

async function notifications(world: World) {
  const out: Record<string, unknown>[] = [];
  for await (const e of world.app.tables.notifications.listEntities<Record<string, unknown>>()) out.push(e);
  return out;
}

describe('accepted is not delivered: the final status of every ACS send is read', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN a send accepted and then Failed THEN a later run sends it again under a new operation id, and the sender gets exactly one email, reported delivered', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'quarantine' } });
    // The least convenient service: a reused Operation-Id is answered with the earlier (failed) operation.
    world.simulator.scenario.acs.setQuirks({ reusedIdAnswersEarlier: true });
    world.simulator.scenario.acs.failNext(202, 1);
    const id = await releasedOutbound(world);

    const first = (await runPeriod(world)).notify;
    expect(first.emailsSent).toBe(1); // accepted
    expect(world.simulator.scenario.emails()).toHaveLength(0); // but it never went out

    const second = (await runPeriod(world)).notify;
    expect(second.deliveries).toMatchObject({ checked: 1, resending: 1 });
    expect(second.emailsSent).toBe(1);
    const third = (await runPeriod(world)).notify;
    expect(third.deliveries).toMatchObject({ delivered: 1 });
    for (let i = 0; i < 3; i++) await runPeriod(world);

    expect(world.simulator.scenario.emails()).toHaveLength(1);
    const operations = world.simulator.scenario.acs.operations();
    expect(operations.map((o) => o.status)).toEqual(['Failed', 'Succeeded']);
    expect(operations[0].id).not.toBe(operations[1].id);
    const [record] = await notifications(world);
    expect(JSON.parse(String(record.attempts))).toEqual(operations.map((o) => o.id));
    expect(record).toMatchObject({ delivery: 'delivered', operationId: operations[1].id });
    const [row] = await world.app.releases.listForMessage(id);
    expect(row.status).toBe('notified');
    expect(row.deliveredAt).toBeDefined();
    expect(row.reason).toMatch(/delivered/);
  });

  it('GIVEN ACS reports the recipient suppressed THEN the release is failed with ACS reason and never sent again', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'quarantine' } });
    world.simulator.scenario.acs.setQuirks({ failAfterAccept: 'suppressed' });
    const id = await releasedOutbound(world);
    await runPeriod(world);
    const second = (await runPeriod(world)).notify;
    expect(second.deliveries).toMatchObject({ failed: 1, resending: 0 });
    for (let i = 0; i < 4; i++) await runPeriod(world);
    expect(world.simulator.scenario.acs.operations()).toHaveLength(1);
    const [row] = await world.app.releases.listForMessage(id);
    expect(row.status).toBe('failed');
    expect(row.reason).toMatch(/cannot receive mail.*suppressed/i);
  });

  it('GIVEN every attempt ends Failed THEN sends stop at MAX_SEND_ATTEMPTS, each under its own operation id', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'quarantine', MAX_SEND_ATTEMPTS: '3' } });
    world.simulator.scenario.acs.setQuirks({ failAfterAccept: 'generic' });
    const id = await releasedOutbound(world);
    for (let i = 0; i < 8; i++) await runPeriod(world);
    const operations = world.simulator.scenario.acs.operations();
    expect(operations).toHaveLength(3);
    expect(new Set(operations.map((o) => o.id)).size).toBe(3);
    const [row] = await world.app.releases.listForMessage(id);
    expect(row.status).toBe('failed');
    expect(row.reason).toMatch(/after 3 attempts/);
  });

  it('GIVEN the status of an accepted send answers 404 THEN it is never sent again, and is recorded unconfirmed after a bounded number of answers', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'quarantine' } });
    await releasedOutbound(world);
    await runPeriod(world);
    expect(world.simulator.scenario.emails()).toHaveLength(1);
    world.simulator.scenario.acs.reset(); // the service forgets the operation: its status answers 404
    for (let i = 0; i < MAX_UNKNOWN_ANSWERS + 2; i++) await runPeriod(world);
    expect(world.simulator.scenario.acs.operations()).toHaveLength(0);
    expect(world.simulator.scenario.emails()).toHaveLength(1);
    const [record] = await notifications(world);
    expect(record.delivery).toBe('unconfirmed');
  });
});
