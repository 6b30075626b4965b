import { HttpRequest, InvocationContext } from '@azure/functions';
import { loadSettings } from '../../lib/config/settings';
import { MINUTE } from '../../lib/core/clock';
import { createFleet } from '../../lib/composition';
import { consoleFleetOf } from '../../lib/entrypoints/console/handlers';
import { createHealthHandler, type TenantHealth } from '../../lib/entrypoints/http';
import { addTenantOnce, runTenantsNow } from '../../lib/entrypoints/local-host/fleet';
import { observeJob } from '../../lib/ops/observe-run';
import type { RunEvent } from '../../lib/ops/run-event';
import { DEMO_CUSTOMER_TENANT } from '../../lib/simulator';
import { startWorld, type World } from '../support/world';

/**
 * `npm start` with no settings runs two tenants (lib/entrypoints/local-host/main.ts): the home tenant,
 * whose audit log tells its senders, and a customer tenant with auditing turned off, registered in the
 * tenants table and run as the fleet runs each tenant, whose failure is said once per run with its fix
 * while its released rows still tell its sender.
 */
describe('the demo’s two tenants', () => {
  let world: World;
  afterAll(async () => {
    if (!world) return;
    const fleet = createFleet(world.env());
    const tenant = await fleet.tenants.get(DEMO_CUSTOMER_TENANT.tenantId);
    if (tenant) await Promise.all(Object.values(fleet.tenantTables(tenant)).map((t) => t.deleteTable()));
    await fleet.tenants.table.deleteTable();
    await world.close();
  });

  it('GIVEN npm start’s demo WHEN two periods run THEN the home tenant’s audit path tells its senders, and the customer tenant says auditing is off once per run with the fix, in its health too, while its fast path tells its sender', async () => {
    world = await startWorld({ seed: 'demo', fleetTenants: [] });
    await addTenantOnce(world.env(), DEMO_CUSTOMER_TENANT);
    // A second start finds the tenant there and keeps it.
    await addTenantOnce(world.env(), DEMO_CUSTOMER_TENANT);
    const fleet = createFleet(world.env());
    expect((await fleet.tenants.list()).map((t) => [t.tenantId, t.displayName, t.enabled])).toEqual([
      [DEMO_CUSTOMER_TENANT.tenantId, DEMO_CUSTOMER_TENANT.displayName, true],
    ]);

    const home: RunEvent[] = [];
    const customer: (RunEvent & { tenantId: string })[] = [];
    const customerOutcomes: string[] = [];
    for (let period = 0; period < 2; period++) {
      for (const job of ['snapshot', 'notify'] as const)
        await observeJob(world.app, job, world.logger, (_line, event) => home.push(event));
      const ran = await runTenantsNow(
        world.env(),
        world.logger,
        (line) => customer.push(JSON.parse(line.slice(line.indexOf('{'))) as RunEvent & { tenantId: string }),
        { clock: world.clock },
      );
      customerOutcomes.push(...ran.map((r) => `${r.tenantId}: ${r.outcome}`));
      world.clock.advance(15 * MINUTE);
    }

    // The home tenant: every run complete, its audit log read and the releases completed from it.
    expect(home.map((e) => [e.job, e.outcome, e.failureClass])).toEqual([
      ['snapshot', 'completed', null],
      ['notify', 'completed', null],
      ['snapshot', 'completed', null],
      ['notify', 'completed', null],
    ]);
    expect(home.filter((e) => e.job === 'notify').reduce((n, e) => n + e.fetched, 0)).toBeGreaterThan(0);

    // The customer tenant: run by the fleet's own run, its events carrying its id; auditing off said once
    // per run with the fix, never as a failed run.
    expect(customerOutcomes).toEqual(
      Array.from({ length: 2 }, () => `${DEMO_CUSTOMER_TENANT.tenantId}: ran`),
    );
    expect(customer.map((e) => [e.tenantId, e.job, e.outcome, e.failureClass])).toEqual(
      [0, 1].flatMap(() => [
        [DEMO_CUSTOMER_TENANT.tenantId, 'snapshot', 'completed', null],
        [DEMO_CUSTOMER_TENANT.tenantId, 'notify', 'partial', 'auditing-off'],
      ]),
    );
    expect(customer[1].failure).toMatch(/AuditingDisabledTenant.*turn on unified audit log ingestion/);
    const said = world.logger.lines.filter(
      (l) => l.level === 'error' && l.message.includes('AuditingDisabledTenant'),
    );
    expect(said).toHaveLength(2);

    // Both tenants' senders told, once each.
    const told = world.simulator.scenario
      .emails()
      .map((e) => e.to[0].address)
      .sort();
    expect(told).toEqual([
      'alex.wilber@contoso.com',
      'johanna.lorenz@contoso.com',
      'megan.bowen@contoso.com',
      'nestor.wilke@fabrikam.com',
    ]);

    // The health (what the console's health strip and fleet page show) names the customer's trouble.
    const health = await createHealthHandler(
      { settings: () => loadSettings(world.env()), application: async () => world.app, clock: world.clock },
      () => consoleFleetOf(createFleet(world.env(), { clock: world.clock })),
    )(
      new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/health' }),
      new InvocationContext({ logHandler: () => undefined }),
    );
    const body = health.jsonBody as { status: string; tenants: TenantHealth[] };
    expect(body.status).toBe('healthy');
    expect(body.tenants).toEqual([
      {
        tenantId: DEMO_CUSTOMER_TENANT.tenantId,
        status: expect.not.stringMatching(/^healthy$/) as string,
        problems: expect.arrayContaining([
          expect.stringMatching(/AuditingDisabledTenant.*turn on unified audit log ingestion/),
        ]) as string[],
      },
    ]);
  });
});
