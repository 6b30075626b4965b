/**
 * One Flex Consumption instance of the fleet bench (test/bench/fleet.ts), in a process of its own so that
 * its memory is the worker's alone: the fleet built once with `createFleet`, as an instance keeps it between
 * invocations, and one queue listener playing the host's trigger (lib/local/queue-trigger.ts) that runs each
 * tenant's snapshot and notify. The simulator and Azurite live in the parent. Over IPC:
 *   parent -> { setup } once, then per period { start: clock offset } ... { stop }, then { exit }
 *   child  -> ready; one TenantRunReport per tenant run; one WorkerPeriod after each stop
 */
import type { TableClient } from '@azure/data-tables';
import { createFleet, type Application } from '../../lib/composition';
import { systemClock, type Clock } from '../../lib/core/clock';
import { startQueueWorker, type QueueTriggerSettings } from '../../lib/local/queue-trigger';
import { fleetRunDeps, runTenant } from '../../lib/ops/tenant-runs';
import type { RunEvent } from '../../lib/ops/run-event';
import { countRequests, emptyCounts, quietLogger, watchRetainedHeap, type TableCounts } from './shared';

export interface FleetWorkerSetup {
  env: Record<string, string>;
  queueName: string;
  trigger: QueueTriggerSettings;
  /** The exchange client's retry budget (the throttled tenant gives up after seconds in the bench). */
  exchangeTimeouts: { maxRetryMs: number; maxRetries: number; retryDelayMs: number; maxRetryDelayMs: number };
}

export type FleetWorkerCommand =
  { setup: FleetWorkerSetup } | { start: { clockOffsetMs: number } } | { stop: true } | { exit: true };

/** One tenant run, as the parent needs it: its run events (tenant, job, outcome, failure) and its time. */
export interface TenantRunReport {
  tenantId: string;
  seconds: number;
  events: Pick<RunEvent, 'job' | 'outcome' | 'failure' | 'failureClass'>[];
}

/** The worker's figures for one period. */
export interface WorkerPeriod {
  handled: number;
  poisoned: number;
  tables: TableCounts;
  /** Peak RSS of this process so far (it serves nothing but its listener). */
  peakRssBytes: number;
  /** Heap in use after the period and a full GC: what the instance keeps between periods. */
  heapAfterGcBytes: number;
  /** The largest heap in use just after a full collection during the period's runs. */
  heapDuringRunsBytes: number;
  /** Customer tenants' applications this worker opened so far (the fleet keeps the most recent few). */
  applications: number;
}

export type FleetWorkerMessage =
  { ready: { idleRssBytes: number } } | { run: TenantRunReport } | { period: WorkerPeriod };

/** The parent's simulated time: the bench moves its clock forward 15 minutes a period. */
class ParentClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal);
  }
}

function serve(setup: FleetWorkerSetup): void {
  const clock = new ParentClock();
  const fleet = createFleet(setup.env, {
    clock,
    logger: quietLogger,
    timeouts: { exchange: setup.exchangeTimeouts },
    queueName: setup.queueName,
  });
  const tables = emptyCounts();
  const counted = new WeakSet<Application>();
  let applications = 0;
  const send = (message: FleetWorkerMessage) =>
    new Promise<void>((resolve) => process.send?.(message, () => resolve()));

  const handler = async (message: unknown) => {
    const started = performance.now();
    const tenantId = (message as { tenantId: string }).tenantId;
    const events: TenantRunReport['events'] = [];
    try {
      await runTenant(message, {
        ...fleetRunDeps(fleet, {
          clock,
          logger: quietLogger,
          emit: (_line, e) =>
            events.push({ job: e.job, outcome: e.outcome, failure: e.failure, failureClass: e.failureClass }),
        }),
        openTenant: async (tenant, logger) => {
          const app = await fleet.openTenant(tenant, logger);
          if (!counted.has(app)) {
            counted.add(app);
            applications += 1;
            countRequests(Object.values(app.tables) as TableClient[], tables);
          }
          return app;
        },
      });
    } finally {
      void send({ run: { tenantId, seconds: (performance.now() - started) / 1000, events } });
    }
  };

  let listener: ReturnType<typeof startQueueWorker> | undefined;
  let retained: (() => number) | undefined;
  process.on('message', (command: FleetWorkerCommand) => {
    if ('start' in command) {
      clock.offsetMs = command.start.clockOffsetMs;
      Object.assign(tables, emptyCounts());
      retained = watchRetainedHeap();
      listener = startQueueWorker(fleet.queues(), handler, setup.trigger, 200);
    } else if ('stop' in command) {
      void listener!.stop().then((totals) => {
        const heapDuringRunsBytes = retained!();
        (globalThis as { gc?: () => void }).gc?.();
        return send({
          period: {
            handled: totals.handled,
            poisoned: totals.poisoned,
            tables: { ...tables },
            peakRssBytes: process.resourceUsage().maxRSS * 1024,
            heapAfterGcBytes: process.memoryUsage().heapUsed,
            heapDuringRunsBytes,
            applications,
          },
        });
      });
    } else if ('exit' in command) {
      process.exit(0);
    }
  });
  (globalThis as { gc?: () => void }).gc?.();
  void send({ ready: { idleRssBytes: process.memoryUsage().rss } });
}

process.once('message', (command: FleetWorkerCommand) => {
  if ('setup' in command) serve(command.setup);
});
