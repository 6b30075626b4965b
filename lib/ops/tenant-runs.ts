import type { Clock } from '../core/clock';
import type { Logger } from '../core/log';
import { encodeTenantRun, parseTenantRun, spreadDelaySeconds } from '../fleet/tenant-runs';
import type { TenantRecord } from '../fleet/tenants-store';
import { observeJob, startFailureEvent } from './observe-run';
import { runEventLine, type RunEvent } from './run-event';

/**
 * Each customer tenant's run, observed (docs/architecture.md#many-tenants): the fleet timer's queueing, the
 * queue trigger's snapshot then notify, and the poison queue's alert. Every run event carries the tenant.
 */

export interface QueueSender {
  sendMessage(text: string, options: { visibilityTimeout: number }): Promise<unknown>;
}

export interface FleetPeriodSummary {
  queued: number;
  disabled: number;
}

/** The fleet timer: one message per enabled tenant, each made visible at the tenant's place in the period. */
export async function queueTenantRuns(deps: {
  tenants: { list(): Promise<TenantRecord[]> };
  queue: QueueSender;
  clock: Clock;
  logger: Logger;
  /** Seconds the period's runs are spread over (SPREAD_SECONDS; the bench compresses its periods). */
  spreadSeconds?: number;
}): Promise<FleetPeriodSummary> {
  const tenants = await deps.tenants.list();
  const queuedAt = deps.clock.now().toISOString();
  const enabled = tenants.filter((t) => t.enabled);
  // One tenant's message that cannot be queued must not keep the others from theirs.
  const sent = await Promise.allSettled(
    enabled.map((t) =>
      deps.queue.sendMessage(encodeTenantRun({ tenantId: t.tenantId, queuedAt }), {
        visibilityTimeout: spreadDelaySeconds(t.tenantId, deps.spreadSeconds),
      }),
    ),
  );
  const failed = sent.flatMap((r, i) =>
    r.status === 'rejected' ? [{ tenant: enabled[i], error: r.reason }] : [],
  );
  for (const f of failed) {
    deps.logger.error('fleet: a tenant run could not be queued', {
      tenant: f.tenant.tenantId,
      error: f.error instanceof Error ? f.error.message : String(f.error),
    });
  }
  const summary = { queued: enabled.length - failed.length, disabled: tenants.length - enabled.length };
  deps.logger.info('fleet: tenant runs queued', { ...summary, failed: failed.length });
  if (failed.length > 0) throw new Error(`${failed.length} tenant run(s) could not be queued`);
  return summary;
}

/** What a tenant's run needs from the fleet: its row, and the application built for it. */
export interface TenantRunDeps {
  tenants: { get(tenantId: string): Promise<TenantRecord | undefined> };
  openTenant(tenant: TenantRecord, logger: Logger): Promise<Parameters<typeof observeJob>[0]>;
  clock: Clock;
  logger: Logger;
  /** Where each run event goes (the invocation's log in Azure), carrying the tenant. */
  emit(line: string, event: RunEvent): void;
}

export type TenantRunOutcome = 'ran' | 'gone' | 'disabled';

/**
 * The queue-triggered function's work: the tenant's snapshot, then its notify, each under the tenant's
 * own leases and state (its own tables). A failed job fails the message, so the platform retries it and,
 * after its last attempt, sets it aside in the poison queue. A tenant removed or disabled since the message
 * was queued is not run.
 */
export async function runTenant(value: unknown, deps: TenantRunDeps): Promise<TenantRunOutcome> {
  const message = parseTenantRun(value);
  const tenant = await deps.tenants.get(message.tenantId);
  if (!tenant) {
    deps.logger.info('fleet: the tenant is no longer served; its run is dropped', {
      tenant: message.tenantId,
    });
    return 'gone';
  }
  if (!tenant.enabled) {
    deps.logger.info('fleet: the tenant is disabled; its run is dropped', { tenant: tenant.tenantId });
    return 'disabled';
  }
  const emit = (event: RunEvent) => {
    const withTenant = { ...event, tenantId: tenant.tenantId };
    deps.emit(runEventLine(withTenant), withTenant);
  };
  let application: Parameters<typeof observeJob>[0];
  try {
    application = await deps.openTenant(tenant, deps.logger);
  } catch (error) {
    emit(startFailureEvent('snapshot', error, deps.clock.now()));
    throw error;
  }
  const failures: string[] = [];
  for (const job of ['snapshot', 'notify'] as const) {
    try {
      const { event } = await observeJob(application, job, deps.logger, (_line, event) => emit(event));
      if (event.outcome === 'failed') failures.push(`${job}: ${event.failure}`);
    } catch (error) {
      failures.push(`${job}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`tenant ${tenant.tenantId} failed: ${failures.join('; ')}`);
  return 'ran';
}

/**
 * The poison queue's function: a tenant run that failed every attempt raises that tenant's alert (one
 * failed run event naming it), and says so in the log. The message stays in the poison queue until read.
 */
export function raisePoisonedTenantRun(
  value: unknown,
  deps: { clock: Clock; emit(line: string, event: RunEvent): void; dequeueCount?: number },
): RunEvent {
  let tenantId: string | undefined;
  try {
    tenantId = parseTenantRun(value).tenantId;
  } catch {
    tenantId = undefined;
  }
  const attempts = deps.dequeueCount === undefined ? 'every attempt' : `${deps.dequeueCount} attempts`;
  const error = new Error(
    tenantId
      ? `the tenant's run failed ${attempts} and was set aside in the poison queue; its earlier run events say why`
      : `a malformed tenant run message was set aside in the poison queue`,
  );
  const event = {
    ...startFailureEvent('snapshot', error, deps.clock.now()),
    ...(tenantId ? { tenantId } : {}),
  };
  deps.emit(runEventLine(event), event);
  return event;
}
