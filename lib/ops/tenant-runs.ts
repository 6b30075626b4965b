import type { Clock } from '../core/clock';
import type { Logger } from '../core/log';
import { fleetAppOf, tenantFix, type FleetApp, type PermissionGap } from '../fleet/tenant-fixes';
import { encodeTenantRun, parseTenantRun, spreadDelaySeconds } from '../fleet/tenant-runs';
import type { Application, Fleet } from '../composition';
import type { TenantRecord, TenantStatus } from '../fleet/tenants-store';
import type { NotifySummary } from '../jobs/notify';
import type { SnapshotSummary } from '../jobs/snapshot';
import { permissionGap } from '../sources/failure-class';
import { observeJob, startFailureEvent } from './observe-run';
import { measureTenantStatus } from './tenant-status';
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
  tenants: {
    get(tenantId: string): Promise<TenantRecord | undefined>;
    recordStatus(tenantId: string, status: TenantStatus): Promise<boolean>;
  };
  openTenant(tenant: TenantRecord, logger: Logger): Promise<Application>;
  clock: Clock;
  logger: Logger;
  /** Where each run event goes (the invocation's log in Azure), carrying the tenant. */
  emit(line: string, event: RunEvent): void;
  /** Where the fleet's app signs in (fleetAppOf), to word the fix of a refused tenant. */
  fleetApp: FleetApp;
}

/** A tenant run's deps from the fleet it runs in: its tenants, its tenants' applications, its app. */
export function fleetRunDeps(
  fleet: Pick<Fleet, 'tenants' | 'openTenant' | 'settings'>,
  run: Pick<TenantRunDeps, 'clock' | 'logger' | 'emit'>,
): TenantRunDeps {
  return {
    tenants: fleet.tenants,
    openTenant: (tenant) => fleet.openTenant(tenant, run.logger),
    fleetApp: fleetAppOf(fleet.settings),
    ...run,
  };
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
  const app = deps.fleetApp;
  let application: Application;
  try {
    application = await deps.openTenant(tenant, deps.logger);
  } catch (error) {
    const event = withFix(
      startFailureEvent('snapshot', error, deps.clock.now()),
      tenant.tenantId,
      app,
      permissionGap(error),
    );
    emit(event);
    await keepStatus(deps, tenant.tenantId, async () => ({
      recordedAt: event.startedAt,
      lastRuns: tenant.status?.lastRuns ?? { snapshot: null, notify: null },
      problems: [`last run: snapshot: ${event.failure}`],
      periods: tenant.status?.periods ?? {},
    }));
    throw error;
  }
  const failures: string[] = [];
  const troubles: string[] = [];
  for (const job of ['snapshot', 'notify'] as const) {
    // The event is emitted once the job's error or summary tells which grant a refusal lacks.
    let event: RunEvent | undefined;
    let thrown: { error: unknown } | undefined;
    let summary: unknown;
    try {
      ({ summary } = await observeJob(application, job, deps.logger, (_line, e) => (event = e)));
    } catch (error) {
      thrown = { error };
    }
    if (event) {
      const gap = thrown
        ? permissionGap(thrown.error)
        : job === 'snapshot'
          ? (summary as SnapshotSummary | undefined)?.permissionGap
          : (summary as NotifySummary | undefined)?.audit?.permissionGap;
      event = withFix(event, tenant.tenantId, app, gap);
      emit(event);
    }
    // What the fleet page says of the run: each job's failure, partial ones too (an audit log refused).
    if (event?.failure) troubles.push(`${job}: ${event.failure}`);
    if (event?.outcome === 'failed') failures.push(`${job}: ${event.failure}`);
    else if (thrown) {
      const error = thrown.error;
      failures.push(`${job}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  await keepStatus(deps, tenant.tenantId, () => measureTenantStatus(application, troubles));
  if (failures.length > 0) throw new Error(`tenant ${tenant.tenantId} failed: ${failures.join('; ')}`);
  return 'ran';
}

/** The fleet page's status of the tenant, kept in its row; a status not kept never fails the run. */
async function keepStatus(
  deps: TenantRunDeps,
  tenantId: string,
  measure: () => Promise<TenantStatus>,
): Promise<void> {
  try {
    await deps.tenants.recordStatus(tenantId, await measure());
  } catch (error) {
    deps.logger.warn("fleet: the tenant's status for the fleet page could not be kept", {
      tenant: tenantId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/**
 * A permission failure of a customer tenant names its fix in one line (the consent link, or the role line)
 * and the doctor that checks it, so the tenant's alert says what to do. The gap comes from the error's kind
 * or code (an audit log query's refusal carries its own); a permission failure known only by its class (a
 * storage role) is sent to the doctor, which finds the grant missing.
 */
function withFix(event: RunEvent, tenantId: string, app: FleetApp, gap?: PermissionGap): RunEvent {
  if (event.failureClass !== 'permission' || event.failure === null) return event;
  const doctor = `qrn doctor --tenant ${tenantId}`;
  const fix = gap
    ? `${tenantFix(gap, tenantId, app)}; then check with ${doctor}.`
    : `${doctor} names the grant missing.`;
  return { ...event, failure: `${event.failure} Fix: ${fix}` };
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
