import { createFleet } from '../../lib/composition';
import { encodeTenantRun } from '../../lib/fleet/tenant-runs';
import { startLocalFleet } from '../../lib/entrypoints/local-host/fleet';
import { startWorld, type World } from '../support/world';

const FABRIKAM = '8b7c0e52-3f1a-4c1e-9a55-2f0d9c1b7e41';

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !condition(); i++) await new Promise((r) => setTimeout(r, 100));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe('npm start with many tenants: the local host plays the fleet functions', () => {
  let world: World;
  afterEach(async () => world?.close());

  it("GIVEN a queued tenant run and a poisoned one WHEN the local fleet runs THEN the tenant's snapshot and notify run, and the poisoned run raises its alert", async () => {
    world = await startWorld({ fleetTenants: [FABRIKAM] });
    const fleet = createFleet(world.env(), { clock: world.clock, logger: world.logger });
    const lines: string[] = [];
    const local = await startLocalFleet(world.env(), world.logger, (line) => lines.push(line), {
      clock: world.clock,
    });
    try {
      await fleet.tenants.add({ tenantId: FABRIKAM, displayName: 'Fabrikam', settings: {} });
      const queues = fleet.queues();
      await queues.runs.sendMessage(
        encodeTenantRun({ tenantId: FABRIKAM, queuedAt: world.clock.now().toISOString() }),
      );
      await queues.poison.sendMessage(
        encodeTenantRun({ tenantId: FABRIKAM, queuedAt: world.clock.now().toISOString() }),
      );
      await until(
        () => lines.filter((l) => l.includes(FABRIKAM)).length >= 3,
        'three run events of the tenant',
      );
      const events = lines.map(
        (l) => JSON.parse(l.slice(l.indexOf('{'))) as { job: string; outcome: string; tenantId: string },
      );
      expect(events.map((e) => [e.tenantId, e.job, e.outcome]).sort()).toEqual(
        [
          [FABRIKAM, 'notify', 'completed'],
          [FABRIKAM, 'snapshot', 'completed'],
          [FABRIKAM, 'snapshot', 'failed'],
        ].sort(),
      );
    } finally {
      await local.stop();
      const queues = fleet.queues();
      await Promise.all([queues.runs.deleteIfExists(), queues.poison.deleteIfExists()]);
      await Promise.all(
        Object.values(fleet.tenantTables((await fleet.tenants.get(FABRIKAM))!)).map((t) => t.deleteTable()),
      );
      await fleet.tenants.table.deleteTable();
    }
  });
});
