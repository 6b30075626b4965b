import type { FleetTenantView } from '../../lib/console/view';
import { MINUTE } from '../../lib/core/clock';
import { createFleet } from '../../lib/composition';
import { consoleFleetOf } from '../../lib/entrypoints/console/handlers';
import { addTenantOnce, runTenantsNow } from '../../lib/entrypoints/local-host/fleet';
import { observeJob } from '../../lib/ops/observe-run';
import type { RunEvent } from '../../lib/ops/run-event';
import { DEMO_CUSTOMER_TENANT } from '../../lib/simulator';
import { consoleRequest, worldConsoleHandler } from '../support/console-handler';
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

    // The console: the fleet page lists the customer tenant with its trouble and the sender told, and its
    // view's health strip names the fix; the home view's health strip stays clear of it.
    const handle = worldConsoleHandler(world, {
      fleet: consoleFleetOf(createFleet(world.env(), { clock: world.clock })),
    });
    const ask = async <T>(path: string, filters?: Record<string, string>) =>
      JSON.parse(String((await handle(consoleRequest(path, filters))).body)) as T;
    const page = await ask<{ tenants: FleetTenantView[] }>('/data/fleet', { period: '7' });
    expect(page.tenants.map((t) => [t.displayName, t.status === 'healthy', t.sendersTold])).toEqual([
      [DEMO_CUSTOMER_TENANT.displayName, false, 1],
    ]);
    const auditingOff = expect.arrayContaining([
      expect.stringMatching(/AuditingDisabledTenant.*turn on unified audit log ingestion/),
    ]) as string[];
    expect(page.tenants[0].problems).toEqual(auditingOff);
    const strip = await ask<{ problems: string[] }>('/data/health', {
      tenant: DEMO_CUSTOMER_TENANT.tenantId,
    });
    expect(strip.problems).toEqual(auditingOff);
    const homeStrip = await ask<{ status: string; problems: string[] }>('/data/health');
    expect(homeStrip.status).toBe('healthy');
    expect(homeStrip.problems.join(' ')).not.toMatch(/AuditingDisabledTenant/);
  });
});
