import { MINUTE } from '../../lib/core/clock';
import { startWorld } from '../support/world';

/**
 * The end-to-end delay a sender can expect, measured on the simulator with the default schedules
 * (snapshot at :00/:15/:30/:45, notify five minutes later), the simulator's audit latency (75 minutes)
 * and audit queries taking two minutes. Releases happen at scattered minutes of the period. The cap on
 * emails per run and ACS's limits are raised so that they do not add a period of their own.
 */
async function measure(sources: 'audit' | 'quarantine' | 'both'): Promise<number[]> {
  const world = await startWorld({
    start: '2026-03-02T16:00:00Z',
    settings: { RELEASE_SOURCES: sources, MAX_EMAILS_PER_RUN: '50' },
  });
  try {
    world.simulator.scenario.acs.setLimits({ perMinute: 100, perHour: 1000 }); // a custom domain's raised limits
    const offsets = [1, 4, 7, 10, 13, 14];
    const releasedAt = new Map<string, number>();
    const ids = offsets.map(
      (_, i) =>
        world.simulator.scenario.addMessage({
          sender: `user${i}@contoso.com`,
          recipients: ['buyer@fabrikam.example'],
          subject: `Quote ${i}`,
          type: 'TransportRule',
        }).networkMessageId,
    );
    await world.app.runSnapshot();
    const start = world.clock.now().getTime();
    for (let minute = 1; minute <= 3 * 60; minute++) {
      world.clock.set(new Date(start + minute * MINUTE));
      offsets.forEach((offset, i) => {
        if (minute === offset) {
          world.simulator.scenario.release({ networkMessageId: ids[i], by: 'adele.vance@contoso.com' });
          releasedAt.set(ids[i], world.clock.now().getTime());
        }
      });
      if (minute % 15 === 0) await world.app.runSnapshot();
      if (minute % 15 === 5) await world.app.runNotify();
    }
    const delays: number[] = [];
    for (const id of ids) {
      const [row] = await world.app.releases.listForMessage(id);
      expect(row?.status).toBe('notified');
      delays.push((Date.parse(row!.notifiedAt!) - releasedAt.get(id)!) / MINUTE);
    }
    if (process.env.PRINT_DELAYS) console.log(sources, delays.map((d) => d.toFixed(1)).join(' '));
    return delays;
  } finally {
    await world.close();
  }
}

describe('end-to-end delay from release to the sender being told', () => {
  it('with the quarantine status as a source, every sender is told within one snapshot period plus the notify offset', async () => {
    for (const sources of ['quarantine', 'both'] as const) {
      const delays = await measure(sources);
      expect(Math.max(...delays)).toBeLessThanOrEqual(20);
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(5);
    }
  });

  it('with the audit log alone, the delay is the audit latency plus up to one period and the query', async () => {
    const delays = await measure('audit');
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(75);
    expect(Math.max(...delays)).toBeLessThanOrEqual(75 + 15 + 5);
  });
});
