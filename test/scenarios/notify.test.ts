import { MINUTE, HOUR } from '../../lib/core/clock';
import { fixtureJson } from '../support/fixtures';
import { startWorld, type World } from '../support/world';

const fixture = fixtureJson('exchange/get-quarantinemessage.page.json') as {
  value: Record<string, unknown>[];
};
const rows = fixture.value;
const TRANSPORT_RULE = '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d';
const DLP = '7c1d2e3f-4a5b-4c6d-8e7f-08de0a1b4e5f';
const ADMIN = 'adele.vance@contoso.com';

/** Loads the fixture's six quarantine rows into the simulator's tenant. */
function seedFixture(world: World) {
  for (const row of rows) world.simulator.scenario.addRawRow(row);
}

/** A snapshot run, then the audit latency passing, then a notify run: the unattended cycle. */
async function cycle(world: World, waitMs = 80 * MINUTE) {
  await world.app.runSnapshot();
  world.clock.advance(waitMs);
  return world.app.runNotify();
}

async function releaseRow(world: World, networkMessageId: string) {
  const row = (await world.app.releases.listForMessage(networkMessageId))[0];
  return row;
}

/**
 * What only the simulator and Azurite show, end to end: the recorded fixture rows through the real clients,
 * the audit log's queries and latency, the lease raced on the real table service, the Graph mail channel.
 * Notify's other rules run on the in-memory stores: test/jobs/notify.in-memory.test.ts.
 */
describe('notify, end to end through both jobs', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN an admin releases the two-recipient transport-rule message to both THEN its sender gets exactly one email naming both and the admin', async () => {
    world = await startWorld();
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: TRANSPORT_RULE, by: ADMIN });
    const summary = await cycle(world);

    const emails = world.simulator.scenario.emails();
    expect(emails).toHaveLength(1);
    const [email] = emails;
    expect(email.to.map((t) => t.address)).toEqual(['megan.bowen@contoso.com']);
    expect(email.plainText).toContain('buyer@fabrikam.example');
    expect(email.plainText).toContain('ap@fabrikam.example');
    expect(email.plainText).toContain(ADMIN);
    expect(email.plainText).toContain('Q1 price list (confidential)');
    // The snapshot saw the release first (fast path); the audit records then completed the same rows.
    expect(summary).toMatchObject({ newReleases: 0, completedReleases: 2, notified: 2, emailsSent: 1 });

    const view = await world.app.releases.listForMessage(TRANSPORT_RULE);
    expect(view.map((r) => [r.releasedTo, r.status, r.releasedBy, r.sender]).sort()).toEqual([
      ['ap@fabrikam.example', 'notified', ADMIN, 'megan.bowen@contoso.com'],
      ['buyer@fabrikam.example', 'notified', ADMIN, 'megan.bowen@contoso.com'],
    ]);
    expect(world.logger.text()).not.toContain('megan.bowen');
  });

  it('GIVEN an audit record that becomes visible 3 hours late THEN the sender is still notified', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit' } });
    seedFixture(world);
    world.simulator.scenario.setAuditLatency(3 * HOUR);
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    await world.app.runSnapshot();
    for (let i = 0; i < 12; i++) {
      world.clock.advance(15 * MINUTE);
      await world.app.runNotify();
    }
    expect(world.simulator.scenario.emails()).toHaveLength(1);
    expect(await releaseRow(world, DLP)).toMatchObject({ status: 'notified' });
  });

  it('GIVEN two notify runs at once THEN one email is sent', async () => {
    world = await startWorld();
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    await world.app.runSnapshot();
    world.clock.advance(80 * MINUTE);
    const beside = await world.another();
    const results = await Promise.all([world.app.runNotify(), beside.runNotify()]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['busy', 'completed']);
    expect(world.simulator.scenario.emails()).toHaveLength(1);
  });

  it('GIVEN an audit query slower than a run THEN it is carried to the next run, read there, and only one query is created', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit', AUDIT_QUERY_POLL_SECONDS: '60' } });
    seedFixture(world);
    world.simulator.scenario.configureAuditQueries({ notStartedMs: 5 * MINUTE, runningMs: 5 * MINUTE });
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    const first = await cycle(world);
    expect(first.audit?.state).toMatch(/created|running/);
    expect(first.emailsSent).toBe(0);

    world.clock.advance(15 * MINUTE);
    const second = await world.app.runNotify();
    expect(second.audit?.state).toBe('succeeded');
    expect(second.emailsSent).toBe(1);
    expect(world.simulator.scenario.auditQueries()).toHaveLength(1);
  });

  it('GIVEN the Graph mail channel THEN the notification is sent with sendMail from the configured mailbox', async () => {
    world = await startWorld({
      settings: {
        EMAIL_CHANNEL: 'graph',
        EMAIL_SENDER_ADDRESS: 'quarantine.notices@contoso.com',
        ACS_CONNECTION_STRING: '',
      },
    });
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    const summary = await cycle(world);
    expect(summary.emailsSent).toBe(1);
    const [email] = world.simulator.scenario.emails();
    expect(email).toMatchObject({ channel: 'graph', from: 'quarantine.notices@contoso.com' });
    expect(email.to.map((t) => t.address)).toEqual(['alex.wilber@contoso.com']);
  });
});
