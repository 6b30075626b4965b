import { MINUTE } from '../../lib/core/clock';
import { qrn } from '../support/cli';
import { startWorld, type World } from '../support/world';

/** Get-AcceptedDomain refused (403 of NUL bytes) for the rest of the test: only Graph /domains answers. */
function refuseGetAcceptedDomain(world: World) {
  world.simulator.scenario.injectFault({
    service: 'exchange',
    kind: 'missing-role',
    match: 'Get-AcceptedDomain',
    count: 1000,
  });
}

describe('accepted domains: which route works, and what the Graph route cannot know', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN Get-AcceptedDomain works THEN the doctor names the Exchange route', async () => {
    world = await startWorld();
    const out = await qrn(world, ['doctor']);
    expect(out.stdout).toMatch(/Exchange: accepted domains.*route: Exchange Get-AcceptedDomain/);
  });

  it('GIVEN Get-AcceptedDomain refused THEN the doctor names the Graph route, says subdomain senders are not recognised, and names the fix', async () => {
    world = await startWorld();
    refuseGetAcceptedDomain(world);
    const out = await qrn(world, ['doctor']);
    expect(out.stdout).toMatch(/Exchange: accepted domains.*route: Graph \/domains/);
    expect(out.stdout).toContain('a sender at a subdomain of an accepted domain is not recognised');
    expect(out.stdout).toMatch(/fix: Set ACCEPTED_DOMAINS with "\*\."/);
  });

  it('GIVEN the Graph route WHEN a sender at sales.eu.contoso.com (accepted as eu.contoso.com with MatchSubDomains) is released THEN the release reads "skipped: sender outside the tenant (domains from Graph)"', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'quarantine' } });
    refuseGetAcceptedDomain(world);
    const id = world.simulator.scenario.addMessage({
      sender: 'rep@sales.eu.contoso.com',
      recipients: ['buyer@fabrikam.example'],
      subject: 'Regional price list',
      type: 'TransportRule',
    }).networkMessageId;
    await world.app.runSnapshot();
    world.simulator.scenario.release({ networkMessageId: id, by: 'adele.vance@contoso.com' });
    world.clock.advance(15 * MINUTE);
    await world.app.runSnapshot();
    const notify = await world.app.runNotify();
    expect(notify.skipped).toEqual({ 'sender-outside-graph': 1 });
    expect(notify.acceptedDomainsNote).toMatch(/subdomains are not recognised.*ACCEPTED_DOMAINS/);
    const [row] = await world.app.releases.listForMessage(id);
    expect(row).toMatchObject({
      status: 'skipped',
      reason: 'sender outside the tenant (domains from Graph)',
    });
    expect(world.simulator.scenario.emails()).toHaveLength(0);
  });
});
