import { DAY, HOUR, MINUTE } from '../../lib/core/clock';
import { runPeriod, startWorld, type World } from '../support/world';

/**
 * What a run asks Exchange when nothing changed: the snapshot's window (its pages) and the fast path's
 * Released query (its pages), nothing else. The accepted domains are read only when a release has to be
 * decided, from a cache of a day (docs/architecture.md#outbound).
 */
describe('Exchange calls of a run where nothing changed', () => {
  let world: World;
  afterEach(async () => world?.close());

  /** Exchange calls since the last clear, by what they ask. */
  function exchangeCalls() {
    return world.simulator.scenario
      .requests('exchange')
      .filter((r) => r.cmdlet)
      .map((r) =>
        r.cmdlet === 'Get-QuarantineMessage'
          ? r.parameters && 'ReleaseStatus' in r.parameters
            ? 'released'
            : 'window'
          : r.cmdlet!,
      );
  }

  function release(subject: string) {
    const { networkMessageId } = world.simulator.scenario.addMessage({
      sender: 'megan@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      subject,
      type: 'TransportRule',
      receivedAt: new Date(world.clock.now().getTime() - 20 * MINUTE),
    });
    world.simulator.scenario.release({ networkMessageId, by: 'adele.vance@contoso.com' });
  }

  it('GIVEN the snapshot and notify up to date and a day gone by WHEN a snapshot run finds nothing new THEN it asks for the window (one page) and the Released query (one page) and nothing else', async () => {
    world = await startWorld();
    release('Price list');
    await runPeriod(world);
    expect(world.simulator.scenario.emails()).toHaveLength(1);

    // A day later the accepted domains read for that decision are stale: still nothing asks for them.
    world.clock.advance(DAY + HOUR);
    world.simulator.scenario.clearRequests();
    const summary = await world.app.runSnapshot();
    expect(summary).toMatchObject({ outcome: 'completed', pages: 1 });
    expect(summary.releasesSeenEarly).toMatchObject({ pages: 1, newReleases: 0 });
    expect(exchangeCalls()).toEqual(['released', 'window']);
  });

  it('GIVEN nothing released WHEN notify runs THEN it asks Exchange nothing', async () => {
    world = await startWorld();
    await runPeriod(world);
    world.clock.advance(DAY + HOUR);
    world.simulator.scenario.clearRequests();
    await world.app.runNotify();
    expect(exchangeCalls()).toEqual([]);
  });

  it('GIVEN releases to decide WHEN notify runs THEN it reads the accepted domains once, from the cache within the day and again after it', async () => {
    world = await startWorld();
    world.simulator.scenario.clearRequests();
    release('First price list');
    await runPeriod(world);
    expect(exchangeCalls().filter((c) => c === 'Get-AcceptedDomain')).toHaveLength(1);

    world.simulator.scenario.clearRequests();
    release('Second price list');
    await runPeriod(world);
    expect(exchangeCalls().filter((c) => c === 'Get-AcceptedDomain')).toHaveLength(0);

    world.clock.advance(DAY);
    world.simulator.scenario.clearRequests();
    release('Third price list');
    await runPeriod(world);
    expect(exchangeCalls().filter((c) => c === 'Get-AcceptedDomain')).toHaveLength(1);
    expect(world.simulator.scenario.emails()).toHaveLength(3);
  });
});
