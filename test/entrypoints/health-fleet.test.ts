import { HttpRequest, InvocationContext } from '@azure/functions';
import { healthHttp } from '../../functions/health';
import { createFleet } from '../../lib/composition';
import type { TenantHealth } from '../../lib/entrypoints/http';
import { startWorld, type World } from '../support/world';

/**
 * The health function as the host calls it, in a deployment that serves many tenants: its body adds each
 * enabled customer tenant's health (the host's environment is the process's, set for the test).
 */
const FABRIKAM = '8b7c0e52-3f1a-4c1e-9a55-2f0d9c1b7e41';

describe('GET /api/health with many tenants', () => {
  let world: World;
  const saved = { ...process.env };
  afterAll(async () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await world?.close();
  });

  it('GIVEN FLEET_APP_CLIENT_ID and a customer tenant never run WHEN the function is called THEN the body lists that tenant as unhealthy, with its reason', async () => {
    world = await startWorld({ fleetTenants: [FABRIKAM] });
    const fleet = createFleet(world.env(), { clock: world.clock });
    await fleet.tenants.ensure();
    await fleet.tenants.add({ tenantId: FABRIKAM, displayName: 'Fabrikam', settings: {} });
    Object.assign(process.env, world.env());
    try {
      const response = await healthHttp(
        new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/health' }),
        new InvocationContext({ logHandler: () => undefined }),
      );
      const body = response.jsonBody as { tenants: TenantHealth[] };
      expect(body.tenants).toEqual([
        {
          tenantId: FABRIKAM,
          status: 'unhealthy',
          problems: expect.arrayContaining(['snapshot: no successful run recorded']) as string[],
        },
      ]);
    } finally {
      const tenant = (await fleet.tenants.get(FABRIKAM))!;
      await Promise.all(Object.values(fleet.tenantTables(tenant)).map((t) => t.deleteTable()));
      await fleet.tenants.table.deleteTable();
    }
  });
});
