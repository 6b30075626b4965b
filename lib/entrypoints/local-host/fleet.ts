import { Cron } from 'croner';
import type { Environment } from '../../config/settings';
import { systemClock } from '../../core/clock';
import type { Logger } from '../../core/log';
import { createFleet, type ApplicationOverrides } from '../../composition';
import { FLEET_SCHEDULE } from '../../fleet/tenant-runs';
import {
  queueTenantRuns,
  fleetRunDeps,
  raisePoisonedTenantRun,
  runTenant,
  type TenantRunOutcome,
} from '../../ops/tenant-runs';
import { startQueueWorker } from '../../local/queue-trigger';

/**
 * `npm start` with FLEET_APP_CLIENT_ID: what the function app's fleet functions do in Azure
 * (functions/fleet.ts), on this machine, where Core Tools cannot run: the fleet timer on its schedule, and
 * one listener each on the tenant runs' queue and its poison queue, with the host's queue semantics.
 */
export async function startLocalFleet(
  env: Environment,
  logger: Logger,
  printRunEvent: (line: string) => void,
  overrides: ApplicationOverrides = {},
): Promise<{ stop(): Promise<void> }> {
  const fleet = createFleet(env, { ...overrides, logger });
  const clock = overrides.clock ?? systemClock;
  const queues = fleet.queues();
  await Promise.all([
    fleet.tenants.ensure(),
    queues.runs.createIfNotExists(),
    queues.poison.createIfNotExists(),
  ]);
  const timer = new Cron(FLEET_SCHEDULE, { timezone: 'UTC', protect: true }, async () => {
    try {
      await queueTenantRuns({ tenants: fleet.tenants, queue: queues.runs, clock, logger });
    } catch (error) {
      logger.error('fleet: the period could not be queued', { error: (error as Error).message });
    }
  });
  const runs = startQueueWorker(queues, (message) =>
    runTenant(message, fleetRunDeps(fleet, { clock, logger, emit: printRunEvent })),
  );
  // Raising the alert never throws, so a poisoned run is never moved on from the poison queue.
  const poisoned = startQueueWorker(
    { runs: queues.poison, poison: queues.poison },
    async (message, context) =>
      raisePoisonedTenantRun(message, {
        clock,
        emit: printRunEvent,
        dequeueCount: context.dequeueCount,
      }),
  );
  logger.info(
    `fleet: tenant runs every 15 minutes (next ${timer.nextRun()?.toISOString()}), on queue ${queues.runs.name}`,
  );
  return {
    stop: async () => {
      timer.stop();
      await Promise.all([runs.stop(), poisoned.stop()]);
    },
  };
}

/**
 * Every enabled customer tenant's run now, one after the other, as the queue trigger runs each: at `npm
 * start`, beside the home tenant's first runs, and for `npm start -- --once`, which waits for no queue. A
 * tenant whose run fails is said in the log and does not keep the next from its run.
 */
export async function runTenantsNow(
  env: Environment,
  logger: Logger,
  printRunEvent: (line: string) => void,
  overrides: ApplicationOverrides = {},
): Promise<{ tenantId: string; outcome: TenantRunOutcome | 'failed' }[]> {
  const fleet = createFleet(env, { ...overrides, logger });
  const clock = overrides.clock ?? systemClock;
  const results: { tenantId: string; outcome: TenantRunOutcome | 'failed' }[] = [];
  for (const tenant of (await fleet.tenants.list()).filter((t) => t.enabled)) {
    // The message as the host hands it to the trigger: decoded.
    const message = { tenantId: tenant.tenantId, queuedAt: clock.now().toISOString() };
    try {
      const outcome = await runTenant(message, fleetRunDeps(fleet, { clock, logger, emit: printRunEvent }));
      results.push({ tenantId: tenant.tenantId, outcome });
    } catch (error) {
      logger.error('fleet: a tenant run failed', {
        tenant: tenant.tenantId,
        error: (error as Error).message,
      });
      results.push({ tenantId: tenant.tenantId, outcome: 'failed' });
    }
  }
  return results;
}

/** A customer tenant in the tenants table unless it is there already (the demo's, at every `npm start`). */
export async function addTenantOnce(
  env: Environment,
  tenant: { tenantId: string; displayName: string },
): Promise<void> {
  const tenants = createFleet(env).tenants;
  await tenants.ensure();
  if (!(await tenants.get(tenant.tenantId))) await tenants.add({ ...tenant, settings: {} });
}
