/**
 * `npm run bench -- --fleet` (1,000 tenants; `--quick` 200; `--fleet-tenants N`): one deployment serving
 * many customer tenants (docs/architecture.md#many-tenants), through several 15-minute periods on Azurite's
 * queue service with the host's queue-trigger semantics (lib/local/queue-trigger.ts), against the simulator
 * serving every tenant under one host. A single tenant runs the same periods through the single-tenant
 * composition first: the fleet's per-tenant calls are compared with it.
 *
 * The tenants' runs happen in worker processes (fleet-worker.ts), one per Flex Consumption instance the
 * bench plays, so each worker's memory is its own; the simulator and Azurite stay here. Periods 1 to 3 are
 * clean; in period 4 one tenant has withdrawn consent and another is throttled by Exchange on every call:
 * the others must finish as in period 3. Then the console's fleet page is asked, and the figures the
 * instance limit is derived from are written to infra/fleet-sizing.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { loadSettings, SETTINGS_CATALOGUE } from '../../lib/config/settings';
import type { FleetTenantView } from '../../lib/console/view';
import { MINUTE, OffsetClock } from '../../lib/core/clock';
import {
  createApplication,
  createFleet,
  OPEN_TENANT_APPLICATIONS,
  type Application,
} from '../../lib/composition';
import {
  consoleAssetsDir,
  consoleFleetOf,
  createConsoleHandler,
  type ConsoleRequest,
} from '../../lib/entrypoints/console/handlers';
import { SPREAD_SECONDS } from '../../lib/fleet/tenant-runs';
import { queueTenantRuns } from '../../lib/ops/tenant-runs';
import { startAzuriteQueues, startAzuriteTables } from '../../lib/local/azurite';
import { HOST_QUEUE_TRIGGER } from '../../lib/local/queue-trigger';
import { observeJob } from '../../lib/ops/observe-run';
import { FILTER_HEADER } from '../../lib/report/filters';
import { startSimulator, type ScenarioApi, type Simulator } from '../../lib/simulator';
import { PRICES } from './cost';
import type {
  FleetWorkerCommand,
  FleetWorkerMessage,
  FleetWorkerSetup,
  TenantRunReport,
  WorkerPeriod,
} from './fleet-worker';
import {
  FLEET_SIZING_FILE,
  FLEX_INSTANCE_LIMITS,
  fleetInstanceLimit,
  runsMemoryAllows,
  runsPerInstance,
  workerFits,
  writeFleetSizing,
} from './fleet-sizing';
import { appEnvironment, countRequests, emptyCounts, quietLogger, simulatorEndpoints } from './shared';

const PERIOD_SECONDS = 15 * 60;
const CLEAN_PERIODS = 3;
const MESSAGES_PER_TENANT = 20;
/** Instances the bench plays at once, each a worker process with one queue listener (batch 4, new batch at 2). */
const INSTANCES = 4;
/** The deployment's instance memory (FUNCTION_INSTANCE_MEMORY_MB, default 512): one listener each. */
const INSTANCE_MB = 512;
/** The instances must be able to take twice the measured work: real services answer slower than the simulator. */
const HEADROOM = 2;
/**
 * The fleet page's answer at 1,000 tenants: the console's other views answer in about a second (the console
 * bench), and an administrator opening the home view waits for this table; two seconds keeps it a page load.
 */
const FLEET_PAGE_SECONDS = 2;
/**
 * Each tenant run's own table requests beyond the single tenant's: the fleet page's status, measured at its
 * end (lib/ops/tenant-status.ts): the health's four point reads and one scan of the releases. (Its write goes
 * to the tenants table, not counted here.)
 */
const STATUS_UPKEEP = 5;

export interface FleetBenchOptions {
  tenants: number;
  certificate: { cert: string; key: string };
  /** The repository: the measured figures are written to its infra/fleet-sizing.json. */
  root: string;
  log(line: string): void;
}

interface Period {
  seconds: number;
  apiCalls: number;
  loginCalls: number;
  tableRequests: number;
  healthyRunSeconds: number[];
  healthyRan: number;
  poisoned: number;
  failedTenants: string[];
  workers: WorkerPeriod[];
}

function tenantIdOf(i: number): string {
  const hex = i.toString(16).padStart(12, '0');
  return `f1ee${hex.slice(0, 4)}-0000-4000-8000-${hex}`;
}

function seed(scenario: ScenarioApi): string[] {
  scenario.configureAuditQueries({ notStartedMs: 0, runningMs: 0 });
  const ids: string[] = [];
  for (let m = 0; m < MESSAGES_PER_TENANT; m++) {
    ids.push(
      scenario.addMessage({
        sender: 'megan.bowen@contoso.com',
        recipients: [`partner${m}@fabrikam.example`],
        subject: `Order ${m}`,
        type: 'TransportRule',
      }).networkMessageId,
    );
  }
  return ids;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** One worker process: a Flex Consumption instance with its one queue listener (fleet-worker.ts). */
class WorkerProcess {
  private readonly child: ChildProcess;
  private readonly waiting: ((message: FleetWorkerMessage) => boolean)[] = [];

  constructor(onRun: (run: TenantRunReport) => void) {
    this.child = fork(path.join(__dirname, 'fleet-worker.js'), [], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: FleetWorkerMessage) => {
      if ('run' in message) onRun(message.run);
      const i = this.waiting.findIndex((accept) => accept(message));
      if (i >= 0) this.waiting.splice(i, 1);
    });
  }

  private next<T extends FleetWorkerMessage>(pick: (m: FleetWorkerMessage) => m is T): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`fleet worker exited (${code})`));
      this.child.once('exit', onExit);
      this.waiting.push((message) => {
        if (!pick(message)) return false;
        this.child.off('exit', onExit);
        resolve(message);
        return true;
      });
    });
  }

  /** Builds the worker's fleet; its RSS then, before any run. */
  async setup(setup: FleetWorkerSetup): Promise<number> {
    const ready = this.next((m): m is Extract<FleetWorkerMessage, { ready: unknown }> => 'ready' in m);
    this.send({ setup });
    return (await ready).ready.idleRssBytes;
  }

  start(clockOffsetMs: number): void {
    this.send({ start: { clockOffsetMs } });
  }

  async stop(): Promise<WorkerPeriod> {
    const done = this.next((m): m is { period: WorkerPeriod } => 'period' in m);
    this.send({ stop: true });
    return (await done).period;
  }

  exit(): void {
    if (this.child.connected) this.send({ exit: true });
  }

  private send(command: FleetWorkerCommand): void {
    this.child.send(command);
  }
}

export async function benchFleet(options: FleetBenchOptions): Promise<string[]> {
  const { log } = options;
  const [tables, queues] = await Promise.all([startAzuriteTables(), startAzuriteQueues()]);
  const clock = new OffsetClock();
  const ids = Array.from({ length: options.tenants }, (_, i) => tenantIdOf(i));
  const simulator: Simulator = await startSimulator({
    certificate: options.certificate,
    clock,
    fleetTenants: ids,
    tokenLifetimeMs: 24 * 60 * MINUTE,
    requestLogLimit: 1_000_000,
  });
  let parentPeakRss = 0;
  const sampler = setInterval(
    () => (parentPeakRss = Math.max(parentPeakRss, process.memoryUsage().rss)),
    100,
  );
  const workers: WorkerProcess[] = [];
  try {
    const env = appEnvironment(
      simulatorEndpoints(simulator, tables.connectionString),
      `b${randomBytes(3).toString('hex')}`,
      {
        FLEET_APP_CLIENT_ID: simulator.fleet.appClientId,
        AzureWebJobsStorage: queues.connectionString,
      },
    );
    const released = new Map<string, string[]>();
    released.set(simulator.tenantId, seed(simulator.scenario));
    for (const id of ids) released.set(id, seed(simulator.fleet.tenant(id)));
    const releaseOne = (tenantId: string, period: number) => {
      const scenario =
        tenantId === simulator.tenantId ? simulator.scenario : simulator.fleet.tenant(tenantId);
      scenario.release({ networkMessageId: released.get(tenantId)![period], by: 'adele.vance@contoso.com' });
    };
    const apiCalls = () => simulator.scenario.requests().filter((r) => r.service !== 'login').length;
    const loginCalls = () => simulator.scenario.requests().filter((r) => r.service === 'login').length;

    // The single tenant, through the single-tenant composition: what each fleet tenant should cost. It runs
    // in each period just before the fleet, at the same clock, so both see the same audit latency.
    const single: Application = await createApplication(loadSettings(env), { clock, logger: quietLogger });
    const singleTables = emptyCounts();
    countRequests(Object.values(single.tables), singleTables);
    const baseline: { apiCalls: number; tableRequests: number }[] = [];
    const runSingle = async (p: number) => {
      releaseOne(simulator.tenantId, p);
      simulator.scenario.clearRequests();
      const before = singleTables.total;
      for (const job of ['snapshot', 'notify'] as const)
        await observeJob(single, job, quietLogger, () => undefined);
      baseline.push({ apiCalls: apiCalls(), tableRequests: singleTables.total - before });
    };

    // The fleet: its tenants and queue from here (the fleet timer's side), its runs in the workers.
    const queueName = `bench-${randomBytes(4).toString('hex')}`;
    const fleet = createFleet(env, { clock, logger: quietLogger, queueName });
    await fleet.tenants.ensure();
    await fleet.queues().runs.createIfNotExists();
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(
        ids
          .slice(i, i + 50)
          .map((tenantId, j) =>
            fleet.tenants.add({ tenantId, displayName: `Tenant ${i + j}`, settings: {} }),
          ),
      );
    }
    const runs = new Map<string, TenantRunReport>();
    const told = new Set<string>();
    const onRun = (run: TenantRunReport) => {
      runs.set(run.tenantId, run);
      if (run.events.some((e) => e.job === 'notify')) told.add(run.tenantId);
    };
    const setup: FleetWorkerSetup = {
      env,
      queueName,
      trigger: { ...HOST_QUEUE_TRIGGER, retryDelaySeconds: 1 },
      // The throttled tenant gives up after seconds, not the jobs' minutes: its five attempts fit the bench.
      exchangeTimeouts: { maxRetryMs: 5_000, maxRetries: 2, retryDelayMs: 500, maxRetryDelayMs: 2_000 },
    };
    for (let w = 0; w < INSTANCES; w++) workers.push(new WorkerProcess(onRun));
    const idleRss = Math.max(...(await Promise.all(workers.map((w) => w.setup(setup)))));

    const refusing = ids[0];
    const throttled = ids[1];
    const periods: Period[] = [];
    for (let p = 0; p < CLEAN_PERIODS + 1; p++) {
      const failing = p === CLEAN_PERIODS;
      clock.advance(15 * MINUTE);
      if (!failing) await runSingle(p);
      for (const id of ids) releaseOne(id, p);
      if (failing) {
        // Consent withdrawn: Entra refuses new tokens, and the services refuse the ones still cached.
        simulator.fleet.tenant(refusing).setConsent(false);
        for (const service of ['exchange', 'graph'] as const) {
          simulator.scenario.injectFault({
            service,
            kind: 'unauthorized',
            count: 1_000_000,
            tenant: refusing,
          });
        }
        simulator.scenario.injectFault({
          service: 'exchange',
          kind: 'throttle',
          retryAfterSeconds: 2,
          count: 1_000_000,
          tenant: throttled,
        });
      }
      simulator.scenario.clearRequests();
      runs.clear();
      told.clear();
      const started = performance.now();
      // The whole period's work at once (no spread): the time is the fleet's throughput, not the schedule.
      await queueTenantRuns({
        tenants: fleet.tenants,
        queue: fleet.queues().runs,
        clock,
        logger: quietLogger,
        spreadSeconds: 1,
      });
      for (const w of workers) w.start(clock.now().getTime() - Date.now());
      const healthy = ids.filter((id) => !failing || (id !== refusing && id !== throttled));
      while (healthy.some((id) => !told.has(id))) await new Promise((r) => setTimeout(r, 100));
      const seconds = (performance.now() - started) / 1000;
      const healthyRunSeconds = healthy.map((id) => runs.get(id)?.seconds ?? 0);
      // Then the failing tenants' retries run to the poison queue.
      while ((await fleet.queues().runs.getProperties()).approximateMessagesCount! > 0) {
        await new Promise((r) => setTimeout(r, 250));
      }
      const workerPeriods = await Promise.all(workers.map((w) => w.stop()));
      const events = [...runs.entries()].flatMap(([tenantId, run]) =>
        run.events.map((e) => ({ ...e, tenantId })),
      );
      periods.push({
        seconds,
        apiCalls: apiCalls(),
        loginCalls: loginCalls(),
        tableRequests: workerPeriods.reduce((n, w) => n + w.tables.total, 0),
        healthyRunSeconds,
        healthyRan: healthy.filter((id) =>
          events.some((e) => e.tenantId === id && e.job === 'notify' && e.outcome !== 'failed'),
        ).length,
        poisoned: workerPeriods.reduce((n, w) => n + w.poisoned, 0),
        failedTenants: [...new Set(events.filter((e) => e.outcome === 'failed').map((e) => e.tenantId))],
        workers: workerPeriods,
      });
      log(`fleet bench: period ${p + 1} done in ${seconds.toFixed(1)} s`);
    }
    const fleetPage = await timeFleetPage(fleet, clock);
    log(
      `fleet bench: fleet page answered in ${fleetPage.firstSeconds.toFixed(2)} s, then ${fleetPage.againSeconds.toFixed(2)} s`,
    );
    const sizing = measuredSizing(options.tenants, periods[CLEAN_PERIODS - 1], periods, {
      idleRss,
      // A deployment's wait (the default), not the bench's own shorter setting.
      auditWaitSeconds: Number(
        SETTINGS_CATALOGUE.find((spec) => spec.name === 'AUDIT_QUERY_POLL_SECONDS')?.default,
      ),
    });
    writeFleetSizing(options.root, sizing);
    return report(
      options.tenants,
      baseline,
      periods,
      parentPeakRss,
      [refusing, throttled],
      fleetPage,
      sizing,
    );
  } finally {
    clearInterval(sampler);
    for (const w of workers) w.exit();
    await simulator.close();
    await Promise.all([tables.stop(), queues.stop()]);
  }
}

/**
 * The console's fleet page after the periods, through the console's own handler, as a fresh instance
 * answers it first (no tenant opened yet) and then again.
 */
async function timeFleetPage(fleet: ReturnType<typeof createFleet>, clock: OffsetClock) {
  const settings = fleet.settings;
  const handler = createConsoleHandler({
    access: { authorize: async () => ({ allowed: true, user: 'bench' }) },
    application: () => Promise.reject(new Error('the fleet page reads no home tenant')),
    health: { settings: () => settings, application: () => Promise.reject(new Error('not read')), clock },
    fleet: consoleFleetOf(fleet),
    assetsDir: consoleAssetsDir(),
  });
  const ask = async () => {
    const started = performance.now();
    const response = await handler({
      method: 'GET',
      url: new URL('http://127.0.0.1/api/console/data/fleet'),
      header: (name) => (name === FILTER_HEADER ? 'period=30' : null),
    } satisfies ConsoleRequest);
    const seconds = (performance.now() - started) / 1000;
    const body = JSON.parse(String(response.body)) as { tenants?: FleetTenantView[] };
    return { seconds, status: response.status, tenants: body.tenants ?? [] };
  };
  const first = await ask();
  const again = await ask();
  return {
    firstSeconds: first.seconds,
    againSeconds: again.seconds,
    status: first.status,
    tenants: first.tenants.length,
    unhealthy: first.tenants.filter((t) => t.status === 'unhealthy').length,
  };
}

function measuredSizing(
  tenants: number,
  steady: Period,
  periods: Period[],
  worker: { idleRss: number; auditWaitSeconds: number },
) {
  return {
    measuredAt: new Date().toISOString(),
    benchTenants: tenants,
    loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
    tenantRunMilliseconds: Math.ceil(percentile(steady.healthyRunSeconds, 95) * 1000),
    auditWaitSeconds: worker.auditWaitSeconds,
    workerIdleRssMB: Math.ceil(worker.idleRss / 1048576),
    workerPeakRssMB: Math.ceil(
      Math.max(...periods.flatMap((p) => p.workers.map((w) => w.peakRssBytes))) / 1048576,
    ),
    instanceMemoryMB: INSTANCE_MB,
    batchSize: HOST_QUEUE_TRIGGER.batchSize,
    newBatchThreshold: HOST_QUEUE_TRIGGER.newBatchThreshold,
    spreadSeconds: SPREAD_SECONDS,
    headroom: HEADROOM,
  };
}

const MiB = (bytes: number) => (bytes / 1048576).toFixed(0);

function report(
  tenants: number,
  baseline: { apiCalls: number; tableRequests: number }[],
  periods: Period[],
  parentPeakRss: number,
  failing: string[],
  fleetPage: Awaited<ReturnType<typeof timeFleetPage>>,
  sizing: ReturnType<typeof measuredSizing>,
): string[] {
  const clean = periods.slice(0, CLEAN_PERIODS);
  const failed = periods[CLEAN_PERIODS];
  const steady = clean[clean.length - 1];
  const mark = (ok: boolean) => (ok ? 'OK  ' : 'MISS');
  const lines = [
    `Fleet: ${tenants} tenants, ${INSTANCES} worker processes of one queue listener each (batch ${HOST_QUEUE_TRIGGER.batchSize}, new batch at ${HOST_QUEUE_TRIGGER.newBatchThreshold}), ${CLEAN_PERIODS} clean periods then one with 2 failing tenants; load average ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  ];
  for (const [i, p] of clean.entries()) {
    const perTenantApi = p.apiCalls / tenants;
    const perTenantTable = p.tableRequests / tenants;
    const expectedTable = baseline[i].tableRequests + STATUS_UPKEEP;
    lines.push(
      `  ${mark(p.seconds <= PERIOD_SECONDS / 2)} period ${i + 1}: ${p.seconds.toFixed(1)} s for every tenant's snapshot and notify (target: at most half the ${PERIOD_SECONDS} s period)`,
      `  ${mark(perTenantApi === baseline[i].apiCalls)} period ${i + 1}: ${perTenantApi.toFixed(2)} Exchange/Graph calls per tenant, single tenant ${baseline[i].apiCalls} (target: equal); sign-in requests ${p.loginCalls}`,
      // Table requests are counted retries included: a few retries under many tenants' load are not more work.
      `  ${mark(Math.abs(perTenantTable - expectedTable) <= expectedTable * 0.02)} period ${i + 1}: ${perTenantTable.toFixed(2)} table requests per tenant, single tenant ${baseline[i].tableRequests} + ${STATUS_UPKEEP} for the fleet page's status (target: equal, retries aside: within 2%)`,
    );
  }
  const p95Clean = percentile(steady.healthyRunSeconds, 95);
  const p95Failing = percentile(failed.healthyRunSeconds, 95);
  const healthyCount = tenants - failing.length;
  lines.push(
    `  ${mark(failed.healthyRan === healthyCount)} failing period: ${failed.healthyRan} of ${healthyCount} healthy tenants told (target: all)`,
    `  ${mark(p95Failing <= p95Clean * 1.5 + 0.5)} failing period: healthy tenants' run p95 ${p95Failing.toFixed(2)} s, clean period ${p95Clean.toFixed(2)} s (target: not delayed, within 1.5x + 0.5 s); whole period ${failed.seconds.toFixed(1)} s vs ${steady.seconds.toFixed(1)} s`,
    `  ${mark(failed.poisoned === failing.length && failed.failedTenants.length === failing.length)} failing period: ${failed.poisoned} message(s) poisoned, failed run events name ${failed.failedTenants.length} tenant(s): ${failed.failedTenants.join(', ')} (target: exactly the 2 failing)`,
  );
  // Each worker's memory: its process holds nothing but the fleet's clients, the tenants' applications it keeps and its runs.
  for (let w = 0; w < INSTANCES; w++) {
    const own = periods.map((p) => p.workers[w]);
    lines.push(
      `       worker ${w + 1}: peak RSS ${MiB(Math.max(...own.map((o) => o.peakRssBytes)))} MiB; heap after GC per period ${own.map((o) => MiB(o.heapAfterGcBytes)).join(', ')} MiB; largest heap after a full GC during runs ${MiB(Math.max(...own.map((o) => o.heapDuringRunsBytes)))} MiB; ${own[own.length - 1].applications} tenants' applications opened, at most ${OPEN_TENANT_APPLICATIONS} kept`,
    );
  }
  const allows = runsMemoryAllows(sizing);
  lines.push(
    `  ${mark(allows >= runsPerInstance(sizing))} batch: ${runsPerInstance(sizing)} runs at once per instance; half the instance's memory allows ${allows} (idle worker ${sizing.workerIdleRssMB} MiB, each run at once about ${((sizing.workerPeakRssMB - sizing.workerIdleRssMB) / runsPerInstance(sizing)).toFixed(1)} MiB)`,
    `  ${mark(workerFits(sizing))} peak RSS of a worker ${sizing.workerPeakRssMB} MiB, running up to ${HOST_QUEUE_TRIGGER.batchSize + HOST_QUEUE_TRIGGER.newBatchThreshold} tenant runs at once (target: within half the ${INSTANCE_MB} MB instance the Bicep configures; the rest is the Functions host's) ${workerFits(sizing) ? 'MET' : 'MISSED'}`,
    `       peak RSS of the bench's parent (the simulator holding all ${tenants} tenants, Azurite clients): ${MiB(parentPeakRss)} MiB`,
  );
  const pageOk =
    fleetPage.status === 200 && fleetPage.tenants === tenants && fleetPage.firstSeconds <= FLEET_PAGE_SECONDS;
  lines.push(
    `  ${mark(pageOk)} fleet page (GET console/data/fleet, 30 days): ${fleetPage.firstSeconds.toFixed(2)} s from a fresh instance, ${fleetPage.againSeconds.toFixed(2)} s again; ${fleetPage.tenants} tenants, ${fleetPage.unhealthy} unhealthy (target: at most ${FLEET_PAGE_SECONDS} s) ${pageOk ? 'MET' : 'MISSED'}`,
  );
  const instances = fleetInstanceLimit(sizing, tenants);
  lines.push(
    `       instance limit these figures imply for ${tenants} tenants: ceil(${sizing.headroom} x ${tenants} x (${sizing.tenantRunMilliseconds} ms run + ${sizing.auditWaitSeconds} s audit wait) / (${runsPerInstance(sizing)} runs x ${sizing.spreadSeconds} s)) within ${FLEX_INSTANCE_LIMITS.lowest}..${FLEX_INSTANCE_LIMITS.highest} = ${instances}; for 1,000 tenants ${fleetInstanceLimit(sizing, 1_000)} (written to ${FLEET_SIZING_FILE}, read by infra/main.bicep)`,
  );
  // The bill: each of the instances the workers stand for is billed while it executes, the whole period's work.
  const gbSeconds = (steady.seconds * INSTANCES * INSTANCE_MB) / 1024;
  const periodsPerMonth = 4 * 24 * 30;
  const compute = (gbSeconds * periodsPerMonth * PRICES.flexPerGbSecond) / tenants;
  const executions = ((tenants * 2 + 1) * periodsPerMonth * PRICES.flexPerMillionExecutions) / 1e6 / tenants;
  const storage = ((steady.tableRequests / tenants) * periodsPerMonth * PRICES.tablePer10kTransactions) / 1e4;
  lines.push(
    `       monthly bill per tenant (steady period, ${INSTANCES} instances of ${INSTANCE_MB} MB busy for it, no free grant): compute $${compute.toFixed(4)}, executions $${executions.toFixed(4)}, table transactions $${storage.toFixed(4)}, total $${(compute + executions + storage).toFixed(4)}`,
  );
  return lines;
}
