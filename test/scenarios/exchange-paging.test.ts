import { AcceptedDomains } from '../../lib/sources/exchange/accepted-domains';
import { startWorld, type World } from '../support/world';

/** How many rows the quarantine table holds (each stored once, keyed by Identity). */
async function storedRows(world: World): Promise<number> {
  let n = 0;
  for await (const _ of world.app.tables.quarantine.listEntities({ queryOptions: { select: ['RowKey'] } }))
    n++;
  return n;
}

function quarantineMany(world: World, count: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { networkMessageId } = world.simulator.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: [`buyer${i}@fabrikam.example`],
      subject: `Order ${i}`,
      type: 'TransportRule',
      receivedAt: new Date(world.clock.now().getTime() - (i + 1) * 60_000),
    });
    ids.push(networkMessageId);
  }
  return ids;
}

function quarantineCalls(world: World) {
  return world.simulator.scenario.requests('exchange').filter((r) => r.cmdlet === 'Get-QuarantineMessage');
}

describe('Exchange paging against a service that cuts its pages', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN 2,000 quarantined rows, pages cut at 250 whatever Prefer asks and every nextLink refused WHEN snapshots run THEN they complete, every row is stored once and released senders are told', async () => {
    world = await startWorld();
    const ids = quarantineMany(world, 2000);
    for (const id of ids.slice(0, 300)) {
      world.simulator.scenario.release({ networkMessageId: id, by: 'adele.vance@contoso.com' });
    }
    world.simulator.scenario.setExchangeQuirks({ cutPagesAt: 250, refuseNextLinks: true });

    const first = await world.app.runSnapshot();
    expect(first).toMatchObject({
      outcome: 'completed',
      pages: 9,
      rowsWritten: 2000,
      paging: { truncations: 1, linksFollowed: 0, linksRefused: 1, pageSize: 250 },
    });
    expect(first.releasesSeenEarly).toMatchObject({
      releasedRows: 300,
      newReleases: 300,
      paging: { linksRefused: 1, pageSize: 250 },
    });
    expect(await storedRows(world)).toBe(2000);

    world.clock.advance(15 * 60_000);
    const second = await world.app.runSnapshot();
    // Each listing starts at the size it settled on (remembered in the state table): no cut answer, no
    // refused link; the Released query still covers 30 days.
    expect(second).toMatchObject({
      outcome: 'completed',
      paging: { truncations: 0, linksRefused: 0, pageSize: 250 },
    });
    expect(second.releasesSeenEarly).toMatchObject({
      releasedRows: 300,
      paging: { truncations: 0, linksRefused: 0, pageSize: 250 },
    });
    expect(second.releasesSeenEarly?.error).toBeUndefined();
    expect(await storedRows(world)).toBe(2000);

    const notify = await world.app.runNotify();
    expect(notify.outcome).toBe('completed');
    const told = world.simulator.scenario.emails().flatMap((e) => e.to.map((t) => t.address));
    expect(told).toContain('megan.bowen@contoso.com');
  }, 150_000);

  it('GIVEN the same cut with nextLinks that answer THEN they are followed and no smaller page is asked', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit' } });
    world.simulator.scenario.setExchangeQuirks({ cutPagesAt: 250, refuseNextLinks: false });
    quarantineMany(world, 2000);
    const summary = await world.app.runSnapshot();
    expect(summary).toMatchObject({
      outcome: 'completed',
      pages: 3,
      rowsWritten: 2000,
      paging: { truncations: 2, linksFollowed: 6, linksRefused: 0, pageSize: 1000 },
    });
    expect(await storedRows(world)).toBe(2000);
    expect(quarantineCalls(world).every((r) => r.parameters?.PageSize === 1000)).toBe(true);
  }, 150_000);

  it('GIVEN a server that ignores Prefer and pages at 50 THEN its links are followed and every row is stored once', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit' } });
    world.simulator.scenario.setExchangeQuirks({ serverPageSize: 50, honourPrefer: false });
    quarantineMany(world, 1200);
    const summary = await world.app.runSnapshot();
    expect(summary).toMatchObject({ pages: 2, rowsWritten: 1200, paging: { linksFollowed: 22 } });
    expect(await storedRows(world)).toBe(1200);
  });

  it('GIVEN a nextLink that expires once THEN that page is asked smaller, later pages keep the size, and every row is stored once', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit' } });
    world.simulator.scenario.setExchangeQuirks({
      serverPageSize: 100,
      honourPrefer: false,
      expireNextContinuations: 1,
    });
    quarantineMany(world, 450);
    const summary = await world.app.runSnapshot();
    expect(summary).toMatchObject({ outcome: 'completed', paging: { linksRefused: 1, pageSize: 100 } });
    expect(await storedRows(world)).toBe(450);
    expect(quarantineCalls(world).filter((r) => r.query.$skiptoken)).toHaveLength(1);
  });

  it.each(['list', 'null', 'absent'] as const)(
    'GIVEN an empty quarantine answered with value %s THEN the window and Released queries read zero rows and complete',
    async (emptyValue) => {
      world = await startWorld();
      world.simulator.scenario.setExchangeQuirks({ emptyValue });
      const summary = await world.app.runSnapshot();
      expect(summary).toMatchObject({ outcome: 'completed', pages: 1, rowsFetched: 0 });
      expect(summary.releasesSeenEarly).toMatchObject({ pages: 1, releasedRows: 0 });
      expect(summary.releasesSeenEarly?.error).toBeUndefined();
      expect(quarantineCalls(world).map((r) => r.status)).toEqual([200, 200]);
    },
  );

  it('GIVEN accepted domains in server pages of 1 with links that answer THEN every domain is read from Exchange (the MatchSubDomains one included)', async () => {
    world = await startWorld();
    world.simulator.scenario.setExchangeQuirks({ serverPageSize: 1, honourPrefer: false });
    const domains = await world.app.tenantDomains();
    expect(domains.isAccepted('someone@contoso.onmicrosoft.com')).toBe(true);
    expect(domains.isAccepted('sales@sales.eu.contoso.com')).toBe(true);
  });

  it('GIVEN accepted domains cut at 1 and every nextLink refused THEN Graph /domains lists them instead, without failing', async () => {
    world = await startWorld();
    world.simulator.scenario.setExchangeQuirks({ cutPagesAt: 1, refuseNextLinks: true });
    const domains = await world.app.tenantDomains();
    expect(domains).toBeInstanceOf(AcceptedDomains);
    expect((domains as AcceptedDomains).source).toBe('graph');
    expect(domains.isAccepted('someone@contoso.onmicrosoft.com')).toBe(true);
  });
});
