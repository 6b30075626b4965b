import { snapshotLookups } from '../../../lib/jobs/notify/look-up-snapshot';
import { emptySummary } from '../../../lib/jobs/notify/run-state';
import { SET_ASIDE } from '../../../lib/jobs/isolate';
import { memoryTenant } from '../../support/memory-notify';

describe('snapshot lookups in bounded parallel', () => {
  test('GIVEN 20 released messages and a bound of 3 THEN every message is looked up once, never more than 3 at a time', async () => {
    const t = memoryTenant();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await t.release(`s${i}@contoso.com`, ['a@fabrikam.com']));
    let inFlight = 0;
    let most = 0;
    const asked: string[] = [];
    const find = t.quarantine.findByNetworkMessageId.bind(t.quarantine);
    t.quarantine.findByNetworkMessageId = async (id) => {
      asked.push(id);
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return find(id);
    };
    const found = new Map();
    const lookups = snapshotLookups(t.deps, emptySummary(), { snapshot: found }, 3);
    // Asked for in two calls, the second overlapping the first: each message is still looked up once,
    // in the order asked.
    await Promise.all([lookups.lookUp(ids.slice(0, 12)), lookups.lookUp(ids.slice(8))]);
    expect(most).toBe(3);
    expect(asked).toEqual(ids);
    for (const id of ids) expect(found.get(id)).toHaveLength(1);
  });

  test('GIVEN one lookup failing on its own THEN it alone is set aside; GIVEN an outage THEN the lookups fail', async () => {
    const t = memoryTenant();
    const good = await t.release('good@contoso.com', ['a@fabrikam.com']);
    const bad = await t.release('bad@contoso.com', ['a@fabrikam.com']);
    const find = t.quarantine.findByNetworkMessageId.bind(t.quarantine);
    let failure: Error = new RangeError('unreadable row');
    t.quarantine.findByNetworkMessageId = async (id) => {
      if (id === bad) throw failure;
      return find(id);
    };
    const summary = emptySummary();
    const found = new Map();
    await snapshotLookups(t.deps, summary, { snapshot: found }).lookUp([good, bad]);
    expect(found.get(bad)).toBe(SET_ASIDE);
    expect(found.get(good)).toHaveLength(1);
    expect(summary.setAside).toBe(1);
    failure = Object.assign(new Error('service unavailable'), { statusCode: 503 });
    const again = snapshotLookups(t.deps, emptySummary(), { snapshot: new Map() });
    await expect(again.lookUp([good, bad])).rejects.toThrow('unavailable');
    // Whoever waits for that message later hears the same failure; the good one was found.
    await expect(again.lookUp([bad])).rejects.toThrow('unavailable');
    await expect(again.lookUp([good])).resolves.toBeUndefined();
  });
});
