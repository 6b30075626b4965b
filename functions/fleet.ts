import { app, type InvocationContext, type Timer } from '@azure/functions';
import { FLEET_SCHEDULE, poisonQueueName, TENANT_RUN_QUEUE_NAME } from '../lib/fleet/tenant-runs';
import { queueHostedTenantRuns, raiseHostedPoisonedRun, runHostedTenant } from '../lib/entrypoints/runtime';

// Many tenants (docs/architecture.md#many-tenants): the timer queues one run per customer tenant; the
// platform scales the queue trigger out; what fails every attempt lands in the poison queue and alerts.
export async function fleetTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  await queueHostedTenantRuns(context);
}

export const tenantRun = (message: unknown, context: InvocationContext) => runHostedTenant(message, context);

export const tenantRunPoisoned = async (message: unknown, context: InvocationContext) =>
  raiseHostedPoisonedRun(message, context);

app.timer('fleet', { schedule: FLEET_SCHEDULE, runOnStartup: false, handler: fleetTimer });
app.storageQueue('tenantRun', {
  queueName: TENANT_RUN_QUEUE_NAME,
  connection: 'AzureWebJobsStorage',
  handler: tenantRun,
});
app.storageQueue('tenantRunPoisoned', {
  queueName: poisonQueueName(TENANT_RUN_QUEUE_NAME),
  connection: 'AzureWebJobsStorage',
  handler: tenantRunPoisoned,
});
