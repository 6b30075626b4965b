import { HOUR, MINUTE } from '../../lib/core/clock';
import { runPeriod, startWorld, type World } from '../support/world';

const ADMIN = 'adele.vance@contoso.com';
const RECIPIENT = 'buyer@fabrikam.example';
const REVIEWER = 'reviewer@contoso.com';

function quarantineOutbound(world: World) {
  return world.simulator.scenario.addMessage({
    sender: 'megan.bowen@contoso.com',
    recipients: [RECIPIENT],
    subject: 'Quote for 40 units',
    type: 'TransportRule',
    policyType: 'ExchangeTransportRule',
    policyName: 'Quarantine outbound confidential',
  }).networkMessageId;
}

describe('who a message was released to: never guessed', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN a release only to a reviewer seen first in the quarantine status THEN no email, by either source, and the release reads "released to someone else"', async () => {
    world = await startWorld();
    world.simulator.scenario.setAuditLatency(3 * HOUR);
    const id = quarantineOutbound(world);
    await world.app.runSnapshot();
    world.simulator.scenario.release({ networkMessageId: id, by: ADMIN, recipients: [REVIEWER] });

    const first = await runPeriod(world);
    expect(first.snapshot.releasesSeenEarly).toMatchObject({ newReleases: 1 });
    for (let i = 0; i < 16; i++) await runPeriod(world); // the audit record becomes visible and is read
    expect(world.simulator.scenario.emails()).toHaveLength(0);
    const rows = await world.app.releases.listForMessage(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      releasedTo: REVIEWER,
      status: 'skipped',
      reason: 'released to someone else',
    });
    expect(rows[0].sources.sort()).toEqual(['audit', 'quarantine']);
  });

  it('GIVEN a release only to a reviewer read first from the audit log THEN the quarantine status seen later changes nothing: no email', async () => {
    world = await startWorld();
    world.simulator.scenario.setAuditLatency(0);
    const id = quarantineOutbound(world);
    await world.app.runSnapshot();
    world.simulator.scenario.release({ networkMessageId: id, by: ADMIN, recipients: [REVIEWER] });
    for (let i = 0; i < 12 && (await world.app.releases.listForMessage(id)).length === 0; i++) {
      world.clock.advance(15 * MINUTE);
      await world.app.runNotify(); // the audit log only: no snapshot sees the release yet
    }
    const [byAudit] = await world.app.releases.listForMessage(id);
    expect(byAudit).toMatchObject({
      sources: ['audit'],
      status: 'skipped',
      reason: 'released to someone else',
    });

    await runPeriod(world);
    await runPeriod(world);
    expect(world.simulator.scenario.emails()).toHaveLength(0);
    const rows = await world.app.releases.listForMessage(id);
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe('skipped');
  });

  it('GIVEN a release to the recipient and to a reviewer THEN the sender gets one email naming the recipient only', async () => {
    world = await startWorld();
    const id = quarantineOutbound(world);
    await world.app.runSnapshot();
    world.simulator.scenario.release({ networkMessageId: id, by: ADMIN, recipients: [RECIPIENT, REVIEWER] });
    for (let i = 0; i < 12; i++) await runPeriod(world);
    const emails = world.simulator.scenario.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0].plainText).toContain(RECIPIENT);
    expect(emails[0].plainText).not.toContain(REVIEWER);
    expect(emails[0].html).not.toContain(REVIEWER);
    const rows = await world.app.releases.listForMessage(id);
    const byAddress = Object.fromEntries(rows.map((r) => [r.releasedTo, r.status]));
    expect(byAddress).toEqual({ [RECIPIENT]: 'notified', [REVIEWER]: 'skipped' });
  });

  it('GIVEN the list leaves ReleasedUser empty while -Identity shows it THEN the fast path asks by Identity and tells the sender before the audit record comes', async () => {
    world = await startWorld();
    world.simulator.scenario.setAuditLatency(5 * HOUR);
    world.simulator.scenario.setExchangeQuirks({ listHidesReleaseFields: true });
    const id = quarantineOutbound(world);
    await world.app.runSnapshot();
    world.simulator.scenario.release({ networkMessageId: id, by: ADMIN });
    const { snapshot, notify } = await runPeriod(world);
    expect(snapshot.releasesSeenEarly).toMatchObject({ identityLookups: 1, newReleases: 1 });
    expect(notify.emailsSent).toBe(1);
    const byIdentity = world.simulator.scenario
      .requests('exchange')
      .filter((r) => typeof r.parameters?.Identity === 'string');
    expect(byIdentity).toHaveLength(1);
    expect(byIdentity[0].parameters?.Identity).toMatch(new RegExp(`^${id}\\\\`, 'i'));
    const [row] = await world.app.releases.listForMessage(id);
    expect(row).toMatchObject({ releasedTo: RECIPIENT, releasedBy: ADMIN });
  });

  it('GIVEN a released row that names nobody, even by Identity THEN the fast path records nothing and the audit record alone tells the sender', async () => {
    world = await startWorld();
    world.simulator.scenario.setAuditLatency(2 * HOUR);
    const id = quarantineOutbound(world);
    await world.app.runSnapshot();
    world.simulator.scenario.release({ networkMessageId: id, by: ADMIN });
    // What a live service may do: a RELEASED row whose ReleasedUser stays empty even by Identity.
    const [row] = world.simulator.scenario.messages();
    world.simulator.scenario.deleteMessage(id);
    world.simulator.scenario.addRawRow({ ...row, ReleasedUser: [], ReleasedBy: [] });
    const { snapshot } = await runPeriod(world);
    expect(snapshot.releasesSeenEarly).toMatchObject({ identityLookups: 1, leftToAudit: 1, newReleases: 0 });
    expect(await world.app.releases.listForMessage(id)).toHaveLength(0);
    for (let i = 0; i < 12; i++) await runPeriod(world);
    const emails = world.simulator.scenario.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0].plainText).toContain(RECIPIENT);
  });
});

describe('asking by Identity is bounded per run', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN 30 released rows whose list hides ReleasedUser THEN 25 are asked this run, the other 5 the next run, and each recipient is told once', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'quarantine', MAX_EMAILS_PER_RUN: '10' } });
    world.simulator.scenario.setExchangeQuirks({ listHidesReleaseFields: true });
    const recipients = Array.from({ length: 30 }, (_, i) => `buyer${i}@fabrikam.example`);
    const id = world.simulator.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients,
      subject: 'Catalogue',
      type: 'TransportRule',
    }).networkMessageId;
    await world.app.runSnapshot();
    world.simulator.scenario.release({ networkMessageId: id, by: ADMIN });

    const first = await runPeriod(world);
    expect(first.snapshot.releasesSeenEarly).toMatchObject({
      identityLookups: 25,
      identityLookupsWaiting: 5,
      newReleases: 25,
    });
    const second = await runPeriod(world);
    expect(second.snapshot.releasesSeenEarly).toMatchObject({
      identityLookups: 5,
      identityLookupsWaiting: 0,
      newReleases: 5,
    });
    const third = await runPeriod(world);
    expect(third.snapshot.releasesSeenEarly).toMatchObject({ identityLookups: 0, newReleases: 0 });
    const rows = await world.app.releases.listForMessage(id);
    expect(rows).toHaveLength(30);
    expect(rows.every((r) => r.status === 'notified')).toBe(true);
    const byIdentity = world.simulator.scenario
      .requests('exchange')
      .filter((r) => typeof r.parameters?.Identity === 'string');
    expect(byIdentity).toHaveLength(30);
    expect(byIdentity.every((r) => String(r.parameters?.Identity).includes('\\'))).toBe(true);
  });
});
