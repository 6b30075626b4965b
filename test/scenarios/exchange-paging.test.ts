import { startWorld, type World } from '../support/world';

/** How many rows the quarantine table holds (each stored once, keyed by Identity). */
async function storedRows(world: World): Promise<number> {
  let n = 0;
  for await (const _ of world.app.tables.quarantine.listEntities({ queryOptions: { select: ['RowKey'] } }))
    n++;
  return n;
}

function quarantineMany(world: World, count: number) {
  for (let i = 0; i < count; i++) {
    world.simulator.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: [`buyer${i}@fabrikam.example`],
      subject: `Order ${i}`,
      type: 'TransportRule',
      receivedAt: new Date(world.clock.now().getTime() - (i + 1) * 60_000),
    });
  }
}

describe('Exchange paging against a service that pages on its own', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN a server page of 50 that ignores Prefer WHEN the first snapshot lists 2,550 rows THEN all 2,550 are stored once and the summary counts the continuations', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit' } });
    world.simulator.scenario.setExchangeQuirks({ serverPageSize: 50, honourPrefer: false });
    quarantineMany(world, 2550);
    const summary = await world.app.runSnapshot();
    expect(summary.outcome).toBe('completed');
    expect(await storedRows(world)).toBe(2550);
    expect(summary).toMatchObject({ pages: 3, rowsWritten: 2550, continuations: 48, restarts: 0 });
  });

  it('GIVEN the same server honouring Prefer THEN each Page comes whole, without continuations', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit' } });
    world.simulator.scenario.setExchangeQuirks({ serverPageSize: 50, honourPrefer: true });
    quarantineMany(world, 1200);
    const summary = await world.app.runSnapshot();
    expect(summary).toMatchObject({ pages: 2, rowsWritten: 1200, continuations: 0 });
    expect(
      world.simulator.scenario.requests('exchange').filter((r) => r.cmdlet === 'Get-QuarantineMessage'),
    ).toHaveLength(2);
  });

  it('GIVEN a continuation that has expired THEN the listing is read again from Page 1 and every row is stored once', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit' } });
    world.simulator.scenario.setExchangeQuirks({
      serverPageSize: 100,
      honourPrefer: false,
      expireNextContinuations: 1,
    });
    quarantineMany(world, 450);
    const summary = await world.app.runSnapshot();
    expect(summary).toMatchObject({ outcome: 'completed', restarts: 1 });
    expect(await storedRows(world)).toBe(450);
    const firstPages = world.simulator.scenario
      .requests('exchange')
      .filter((r) => r.cmdlet === 'Get-QuarantineMessage' && r.parameters?.Page === 1 && !r.query.$skiptoken);
    expect(firstPages).toHaveLength(2);
  });

  it('GIVEN the Released query answered in server pages of 4 THEN every released row is seen, and its continuations are counted', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'quarantine' } });
    quarantineMany(world, 30);
    await world.app.runSnapshot();
    for (const row of world.simulator.scenario.messages()) {
      const id = String(row.Identity).split('\\')[0];
      world.simulator.scenario.release({ networkMessageId: id, by: 'adele.vance@contoso.com' });
    }
    world.simulator.scenario.setExchangeQuirks({ serverPageSize: 4, honourPrefer: false });
    world.clock.advance(15 * 60_000);
    const summary = await world.app.runSnapshot();
    expect(summary.releasesSeenEarly).toMatchObject({ releasedRows: 30, newReleases: 30, continuations: 7 });
  });

  it('GIVEN accepted domains in server pages of 1 THEN every domain is read (the MatchSubDomains one included)', async () => {
    world = await startWorld();
    world.simulator.scenario.setExchangeQuirks({ serverPageSize: 1, honourPrefer: false });
    const domains = await world.app.tenantDomains();
    expect(domains.isAccepted('someone@contoso.onmicrosoft.com')).toBe(true);
    expect(domains.isAccepted('sales@sales.eu.contoso.com')).toBe(true);
  });
});
