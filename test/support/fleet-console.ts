import { loopbackAccess, type ConsoleAccess } from '../../lib/console/access';
import { createFleet, type Fleet } from '../../lib/composition';
import { MINUTE } from '../../lib/core/clock';
import {
  consoleFleetOf,
  type ConsoleRequest,
  type ConsoleResponse,
} from '../../lib/entrypoints/console/handlers';
import { fleetRunDeps, runTenant } from '../../lib/ops/tenant-runs';
import { startWorld, type World } from './world';
import { worldConsoleHandler } from './console-handler';

/**
 * A deployment with three customer tenants for the console's tests: Fabrikam and Northwind each released
 * the same message (same id, sender and recipient; only the subject tells whose it is) and ran once;
 * the third was never run, so it is in trouble. Its display name is the caller's (a hostile one in the
 * browser).
 */
export const FABRIKAM = '8b7c0e52-3f1a-4c1e-9a55-2f0d9c1b7e41';
export const NORTHWIND = '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
export const NEVER_RUN = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
export const SHARED_MESSAGE = '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d';
export const subjectOf = (name: string) => `${name}'s price list`;

export interface FleetConsoleWorld {
  world: World;
  fleet: Fleet;
  /** When each run tenant's run ended (the simulated services move the clock on as they answer). */
  ranUntil: Map<string, string>;
  handler(access?: ConsoleAccess): (request: ConsoleRequest) => Promise<ConsoleResponse>;
  close(): Promise<void>;
}

export async function startFleetConsole(neverRunName = 'Adatum'): Promise<FleetConsoleWorld> {
  const world = await startWorld({ fleetTenants: [FABRIKAM, NORTHWIND, NEVER_RUN] });
  const fleet = createFleet(world.env(), { clock: world.clock, logger: world.logger });
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
      subject: subjectOf(name),
      type: 'TransportRule',
    });
    tenant.release({ networkMessageId: SHARED_MESSAGE, by: `admin@${domain}` });
    await fleet.tenants.add({ tenantId: id, displayName: name, settings: {} });
  }
  await fleet.tenants.add({ tenantId: NEVER_RUN, displayName: neverRunName, settings: {} });
  world.clock.advance(80 * MINUTE);
  const ranUntil = new Map<string, string>();
  for (const id of [FABRIKAM, NORTHWIND]) {
    await runTenant(
      { tenantId: id, queuedAt: world.clock.now().toISOString() },
      fleetRunDeps(fleet, { clock: world.clock, logger: world.logger, emit: () => undefined }),
    );
    ranUntil.set(id, world.clock.now().toISOString());
  }
  return {
    world,
    fleet,
    ranUntil,
    handler: (access = loopbackAccess()) =>
      worldConsoleHandler(world, { access, fleet: consoleFleetOf(fleet) }),
    async close() {
      for (const tenant of await fleet.tenants.list()) {
        await Promise.all(Object.values(fleet.tenantTables(tenant)).map((t) => t.deleteTable()));
      }
      await fleet.tenants.table.deleteTable();
      await world.close();
    },
  };
}
