import { loopbackAccess } from '../../../lib/console/access';
import { createFleet, type Fleet } from '../../../lib/composition';
import { loadSettings } from '../../../lib/config/settings';
import { MINUTE } from '../../../lib/core/clock';
import {
  consoleAssetsDir,
  consoleFleetOf,
  createConsoleHandler,
  type ConsoleRequest,
} from '../../../lib/entrypoints/console/handlers';
import type { ConsoleRow, FleetTenantView, ReleasesPage } from '../../../lib/console/view';
import { runTenant } from '../../../lib/ops/tenant-runs';
import { startWorld, type World } from '../../support/world';

/**
 * The console over a deployment with customer tenants: the fleet page lists each tenant, failures first,
 * and a view switched to one tenant reads that tenant's tables alone (docs/architecture.md#many-tenants).
 */
const FABRIKAM = '8b7c0e52-3f1a-4c1e-9a55-2f0d9c1b7e41';
const NORTHWIND = '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const PARKED = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
/** Both tenants hold a message with the same id, sender and recipient: only the subject tells them apart. */
const SHARED_MESSAGE = '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d';

function request(path: string, filters?: Record<string, string>): ConsoleRequest {
  const headers: Record<string, string> = {
    host: 'localhost:7071',
    ...(filters ? { 'x-filters': new URLSearchParams(filters).toString() } : {}),
  };
  return {
    method: 'GET',
    url: new URL(`http://localhost:7071/api/console${path}`),
    header: (name) => headers[name.toLowerCase()] ?? null,
    remoteAddress: '127.0.0.1',
    localPort: 7071,
  };
}

describe('the console with many tenants', () => {
  let world: World;
  let fleet: Fleet;
  let handle: ReturnType<typeof createConsoleHandler>;
  /** When each tenant's run ended (the simulated services move the clock on as they answer). */
  const ranUntil = new Map<string, string>();

  beforeAll(async () => {
    world = await startWorld({ fleetTenants: [FABRIKAM, NORTHWIND, PARKED] });
    fleet = createFleet(world.env(), { clock: world.clock, logger: world.logger });
    await fleet.tenants.ensure();
    world.simulator.scenario.acs.setSenderAddresses([world.simulator.senderAddress]);
    for (const [id, name, domain] of [
      [FABRIKAM, 'Fabrikam', 'fabrikam.com'],
      [NORTHWIND, 'Northwind', 'northwind.example'],
    ]) {
      const tenant = world.simulator.fleet.tenant(id);
      tenant.setAcceptedDomains([domain]);
      tenant.addMessage({
        networkMessageId: SHARED_MESSAGE,
        sender: `megan.bowen@${domain}`,
        recipients: ['partner@outside.example'],
        subject: `${name}'s price list`,
        type: 'TransportRule',
      });
      tenant.release({ networkMessageId: SHARED_MESSAGE, by: `admin@${domain}` });
      await fleet.tenants.add({ tenantId: id, displayName: name, settings: {} });
    }
    // A tenant never run: no successful run, so it is in trouble and listed before the others.
    await fleet.tenants.add({ tenantId: PARKED, displayName: 'Adatum', settings: {} });
    world.clock.advance(80 * MINUTE);
    for (const id of [FABRIKAM, NORTHWIND]) {
      await runTenant(
        { tenantId: id, queuedAt: world.clock.now().toISOString() },
        {
          tenants: fleet.tenants,
          openTenant: (t, logger) => fleet.openTenant(t, logger),
          clock: world.clock,
          logger: world.logger,
          emit: () => undefined,
        },
      );
      ranUntil.set(id, world.clock.now().toISOString());
    }
    handle = createConsoleHandler({
      access: loopbackAccess(),
      application: async () => world.app,
      health: {
        settings: () => loadSettings(world.env()),
        application: async () => world.app,
        clock: world.clock,
      },
      fleet: consoleFleetOf(fleet),
      assetsDir: consoleAssetsDir(),
    });
  });

  afterAll(async () => {
    for (const tenant of await fleet.tenants.list()) {
      await Promise.all(Object.values(fleet.tenantTables(tenant)).map((t) => t.deleteTable()));
    }
    await fleet.tenants.table.deleteTable();
    await world.close();
  });

  const body = async <T>(path: string, filters?: Record<string, string>) => {
    const response = await handle(request(path, filters));
    return { status: response.status, body: JSON.parse(String(response.body)) as T };
  };

  it('GIVEN three customer tenants WHEN the switcher asks for them THEN each is listed by name', async () => {
    const { body: answer } = await body<{ tenants: { tenantId: string; displayName: string }[] }>(
      '/data/tenants',
    );
    expect(answer.tenants.map((t) => t.displayName)).toEqual(['Adatum', 'Fabrikam', 'Northwind']);
  });

  it('GIVEN one tenant never run WHEN the fleet page is asked for THEN it comes first, unhealthy, and each run tenant shows its last runs, release and sender told', async () => {
    const { status, body: answer } = await body<{ tenants: FleetTenantView[] }>('/data/fleet', {
      period: '7',
    });
    expect(status).toBe(200);
    expect(answer.tenants.map((t) => [t.displayName, t.status, t.releases, t.sendersTold])).toEqual([
      ['Adatum', 'unhealthy', 0, 0],
      ['Fabrikam', 'healthy', 1, 1],
      ['Northwind', 'healthy', 1, 1],
    ]);
    expect(answer.tenants[0].problems).toContain('snapshot: no successful run recorded');
    expect(answer.tenants[1].lastRuns.notify).toBe(ranUntil.get(FABRIKAM));
    expect(answer.tenants[2].lastRuns.notify).toBe(ranUntil.get(NORTHWIND));
  });

  it("GIVEN two tenants with the same message WHEN each tenant's releases, message history and CSV are asked for THEN only that tenant's rows come back, and the home view holds neither", async () => {
    for (const [id, name, other] of [
      [FABRIKAM, 'Fabrikam', 'Northwind'],
      [NORTHWIND, 'Northwind', 'Fabrikam'],
    ]) {
      const page = await body<ReleasesPage>('/data/releases', { tenant: id });
      expect(page.body.rows.map((r: ConsoleRow) => r.subject)).toEqual([`${name}'s price list`]);
      const history = await body<{ releases: ConsoleRow[] }>('/data/message', {
        tenant: id,
        id: SHARED_MESSAGE,
      });
      expect(history.body.releases.map((r) => r.subject)).toEqual([`${name}'s price list`]);
      const csv = String((await handle(request('/data/releases.csv', { tenant: id }))).body);
      expect(csv).toContain(`${name}'s price list`);
      expect(csv).not.toContain(other);
    }
    const home = await body<ReleasesPage>('/data/releases');
    expect(home.body.rows.filter((r) => r.networkMessageId === SHARED_MESSAGE)).toEqual([]);
  });

  it("GIVEN a tenant's view WHEN its health is asked for THEN it is that tenant's runs, and the doctor's setup (the deployment's) is not shown there", async () => {
    const fabrikam = await body<{ jobs: { notify: { lastSuccessAt: string | null } } }>('/data/health', {
      tenant: FABRIKAM,
    });
    expect(fabrikam.body.jobs.notify.lastSuccessAt).toBe(ranUntil.get(FABRIKAM));
    const parked = await body<{ status: string }>('/data/health', { tenant: PARKED });
    expect(parked.body.status).toBe('unhealthy');
    expect((await body<{ checked: boolean }>('/data/setup', { tenant: FABRIKAM })).body.checked).toBe(false);
  });

  it('GIVEN a tenant that is not a GUID or not one of the deployment’s WHEN asked for THEN 400 naming the tenant, and no rows', async () => {
    const bad = await body<{ error: string; field: string }>('/data/releases', { tenant: 'contoso' });
    expect(bad).toEqual({
      status: 400,
      body: { error: 'tenant id "contoso" must be a GUID', field: 'tenant' },
    });
    const unknown = await body<{ error: string; field: string }>('/data/summary', {
      tenant: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
    });
    expect(unknown).toEqual({
      status: 400,
      body: {
        error: "tenant aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee is not one of this deployment's tenants.",
        field: 'tenant',
      },
    });
  });

  it('GIVEN a deployment of one tenant WHEN a tenant is asked for THEN 400; the fleet and the switcher are empty', async () => {
    const single = createConsoleHandler({
      access: loopbackAccess(),
      application: async () => world.app,
      health: {
        settings: () => loadSettings(world.env()),
        application: async () => world.app,
        clock: world.clock,
      },
      assetsDir: consoleAssetsDir(),
    });
    const ask = async (path: string, filters?: Record<string, string>) => {
      const response = await single(request(path, filters));
      return { status: response.status, body: JSON.parse(String(response.body)) as unknown };
    };
    expect(await ask('/data/releases', { tenant: FABRIKAM })).toEqual({
      status: 400,
      body: { error: 'tenant: this deployment serves its own tenant only.', field: 'tenant' },
    });
    expect(await ask('/data/fleet')).toEqual({ status: 200, body: { fleet: false, tenants: [] } });
    expect(await ask('/data/tenants')).toEqual({ status: 200, body: { fleet: false, tenants: [] } });
  });
});
