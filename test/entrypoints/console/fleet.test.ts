import { HttpRequest, InvocationContext } from '@azure/functions';
import { createHealthHandler, type TenantHealth } from '../../../lib/entrypoints/http';
import { loadSettings } from '../../../lib/config/settings';
import { consoleFleetOf, createConsoleHandler } from '../../../lib/entrypoints/console/handlers';
import type { ConsoleRow, FleetTenantView, ReleasesPage } from '../../../lib/console/view';
import {
  FABRIKAM,
  NEVER_RUN,
  NORTHWIND,
  SHARED_MESSAGE,
  startFleetConsole,
  subjectOf,
  type FleetConsoleWorld,
} from '../../support/fleet-console';
import { consoleRequest as request, worldConsoleHandler } from '../../support/console-handler';

/**
 * The console over a deployment with customer tenants: the fleet page lists each tenant, failures first,
 * and a view switched to one tenant reads that tenant's tables alone (docs/architecture.md#many-tenants).
 */
describe('the console with many tenants', () => {
  let fleet: FleetConsoleWorld;
  let handle: ReturnType<typeof createConsoleHandler>;

  beforeAll(async () => {
    fleet = await startFleetConsole();
    handle = fleet.handler();
  });
  afterAll(async () => fleet?.close());

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
    expect(answer.tenants[1].lastRuns.notify).toBe(fleet.ranUntil.get(FABRIKAM));
    expect(answer.tenants[2].lastRuns.notify).toBe(fleet.ranUntil.get(NORTHWIND));
  });

  it("GIVEN the fleet page WHEN asked THEN it answers from the tenants' rows alone, opening no tenant's application or tables", async () => {
    const normal = await body<{ tenants: FleetTenantView[] }>('/data/fleet', { period: '7' });
    const served = consoleFleetOf(fleet.fleet);
    const rowsOnly = worldConsoleHandler(fleet.world, {
      fleet: {
        ...served,
        tenant: (record) => ({
          settings: served.tenant(record).settings,
          application: () => Promise.reject(new Error('the fleet page opened a tenant')),
        }),
      },
    });
    const answer = await rowsOnly(request('/data/fleet', { period: '7' }));
    expect(answer.status).toBe(200);
    expect(JSON.parse(String(answer.body))).toEqual(normal.body);
    // Each period has its own counts: none of the releases is older than a day.
    const day = await body<{ tenants: FleetTenantView[] }>('/data/fleet', { period: '1' });
    expect(day.body.tenants.map((t) => [t.displayName, t.releases])).toEqual([
      ['Adatum', 0],
      ['Fabrikam', 1],
      ['Northwind', 1],
    ]);
  });

  it('GIVEN a tenant whose runs stopped WHEN the alert threshold has passed THEN the fleet page turns it unhealthy, saying for how long', async () => {
    const clock = fleet.world.clock;
    const later = {
      now: () => new Date(clock.now().getTime() + 120 * 60_000),
      sleep: clock.sleep.bind(clock),
    };
    const handler = worldConsoleHandler(fleet.world, {
      fleet: consoleFleetOf(fleet.fleet),
      health: {
        settings: () => loadSettings(fleet.world.env()),
        application: async () => fleet.world.app,
        clock: later,
      },
    });
    const answer = JSON.parse(String((await handler(request('/data/fleet', { period: '30' }))).body)) as {
      tenants: FleetTenantView[];
    };
    const fabrikam = answer.tenants.find((t) => t.tenantId === FABRIKAM)!;
    expect(fabrikam.status).toBe('unhealthy');
    expect(fabrikam.problems).toEqual([
      expect.stringMatching(/^snapshot: no successful run for 1[23]\d minutes$/),
      expect.stringMatching(/^notify: no successful run for 1[23]\d minutes$/),
    ]);
  });

  it('GIVEN a period the page does not offer WHEN the fleet is asked for THEN 400 naming the period', async () => {
    const answer = await body<{ error: string; field: string }>('/data/fleet', { period: '45' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      field: 'period',
      error: expect.stringContaining('1, 7, 30, 90, 180'),
    });
  });

  it("GIVEN two tenants with the same message WHEN each tenant's releases, message history and CSV are asked for THEN only that tenant's rows come back, and the home view holds neither", async () => {
    for (const [id, name, other] of [
      [FABRIKAM, 'Fabrikam', 'Northwind'],
      [NORTHWIND, 'Northwind', 'Fabrikam'],
    ]) {
      const page = await body<ReleasesPage>('/data/releases', { tenant: id });
      expect(page.body.rows.map((r: ConsoleRow) => r.subject)).toEqual([subjectOf(name)]);
      const history = await body<{ releases: ConsoleRow[] }>('/data/message', {
        tenant: id,
        id: SHARED_MESSAGE,
      });
      expect(history.body.releases.map((r) => r.subject)).toEqual([subjectOf(name)]);
      const csv = String((await handle(request('/data/releases.csv', { tenant: id }))).body);
      expect(csv).toContain(subjectOf(name));
      expect(csv).not.toContain(other);
    }
    const home = await body<ReleasesPage>('/data/releases');
    expect(home.body.rows.filter((r) => r.networkMessageId === SHARED_MESSAGE)).toEqual([]);
  });

  it("GIVEN a tenant's view WHEN its health is asked for THEN it is that tenant's runs, and the doctor's setup (the deployment's) is not shown there", async () => {
    const fabrikam = await body<{ jobs: { notify: { lastSuccessAt: string | null } } }>('/data/health', {
      tenant: FABRIKAM,
    });
    expect(fabrikam.body.jobs.notify.lastSuccessAt).toBe(fleet.ranUntil.get(FABRIKAM));
    const parked = await body<{ status: string }>('/data/health', { tenant: NEVER_RUN });
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
    const single = worldConsoleHandler(fleet.world);
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

  it('GIVEN the health endpoint with many tenants, the home tenant run and one customer tenant disabled WHEN asked THEN 200 (the home tenant is healthy) and each enabled customer tenant with its own status and reasons', async () => {
    await fleet.world.app.runSnapshot();
    await fleet.world.app.runNotify();
    const northwind = (await fleet.fleet.tenants.get(NORTHWIND))!;
    await fleet.fleet.tenants.save({ ...northwind, enabled: false });
    const warnings: string[] = [];
    const response = await createHealthHandler(
      {
        settings: () => loadSettings(fleet.world.env()),
        application: async () => fleet.world.app,
        clock: fleet.world.clock,
      },
      () => consoleFleetOf(fleet.fleet),
    )(
      new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/health' }),
      new InvocationContext({
        logHandler: (level, line) => level === 'warning' && warnings.push(String(line)),
      }),
    );
    expect(response.status).toBe(200);
    const tenants = (response.jsonBody as { tenants: TenantHealth[] }).tenants;
    expect(tenants.map((t) => [t.tenantId, t.status])).toEqual([
      [NEVER_RUN, 'unhealthy'],
      [FABRIKAM, 'healthy'],
    ]);
    expect(tenants[0].problems).toContain('snapshot: no successful run recorded');
    expect(warnings).toEqual([expect.stringContaining(`health: tenant ${NEVER_RUN} unhealthy: `)]);
  });
});
