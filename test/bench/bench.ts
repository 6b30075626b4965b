/**
 * `npm run bench`: the snapshot and notify jobs measured against their floors (test/bench/floors.ts) and the
 * seed article's method, on generated data, in one run. `npm run bench -- --quick` is a small version.
 * Each ratio to a floor is the median of five interleaved pairs (test/bench/pairs.ts), with its spread.
 *
 * The parent process holds the Microsoft 365 simulator (with the generated tenant) and a fresh Azurite;
 * every measured job runs in a child process of its own, so that each peak RSS is that job's alone.
 * First, before any of that starts, the deployment package (npm run package) is measured against what
 * azd shipped before it: size, file count and cold load of the entry points (issue 17).
 *
 *   --quick             10,000 rows, 200 releases, RSS at 2,000 and 10,000 rows
 *   --rows N            rows in the quarantine (default 100,000); one row per recipient, as Exchange lists them
 *   --releases M        released messages (default 2,000)
 *   --small N           the smaller RSS size (default 10,000)
 *   --out FILE          where the JSON goes (default .local/bench/results.json)
 *   --console           only the console's part (10,000 releases; first table page and tiles)
 *   --catch-up N        released messages waiting after three days stopped (default 2,000; --quick 200;
 *                       0 skips the catch-up); test/bench/catch-up.ts
 *   --catch-up-rows N   quarantine rows of the catch-up's tenant (default 10 per released message)
 *   --catch-up-periods N  15-minute periods at most before the catch-up is reported unconverged (default 1,000)
 *   --catch-up-minutes N  real minutes at most for the catch-up (default 60; --quick 20)
 *   --catch-up-only     only the catch-up (its figures printed, not written)
 *   --fleet             only many tenants: 1,000 tenants (--quick 200, --fleet-tenants N) through four
 *                       periods on Azurite queues; test/bench/fleet.ts
 */
import { fork, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAzuriteTables } from '../../lib/local/azurite';
import { ensureCertificate } from '../../lib/simulator/certificate';
import { startSimulator, type Simulator } from '../../lib/simulator';
import { MINUTE } from '../../lib/core/clock';
import { SNAPSHOT_MAX_LOOKBACK_MS } from '../../lib/jobs/snapshot';
import { SNAPSHOT_LOOKUPS_IN_FLIGHT } from '../../lib/jobs/notify/look-up-snapshot';
import { catchUpLines, runCatchUp, type CatchUpFigures } from './catch-up';
import { benchConsole, consoleBenchLines } from './console';
import { benchFleet } from './fleet';
import { Generator } from './data';
import { measurePackage, type PackageFigures } from './package-figures';
import { ASSUMPTIONS, billLines, PRICES, type MeasuredRuns } from './cost';
import type { StoredByNotify } from './floors';
import { interleaved, medianOf, spread, spreadText, type Pair, type Spread } from './pairs';
import { dropTables, restoreTables, saveTables, storedByNotify } from './table-copies';
import {
  auditReleasesOf,
  simulatorEndpoints,
  type TableCounts,
  type ChildJob,
  type ChildResult,
} from './shared';

const ROOT = path.resolve(__dirname, '../../../..');
const STEADY_NEW_ROWS = 1_000;
const PAGE = 1_000;
/**
 * Interleaved pairs (ours, floor) per ratio: a target is judged on their median. The quick run's pairs are
 * short (a notify run of 1.5 s moves by a tenth when the machine stalls; single pairs of the same code
 * ranged from 0.8x to 2x on this 2-vCPU machine), so it takes nine; the full run's, a minute or more each,
 * hold still with five.
 */
const pairsFor = (quick: boolean) => (quick ? 9 : 5);
/** The app's tables a notify run writes: put back before each of its paired runs. */
const NOTIFY_TABLES = ['qrnReleases', 'qrnNotifications', 'qrnState'];

interface Options {
  quick: boolean;
  rows: number;
  releases: number;
  small: number;
  out: string;
  catchUp: { releases: number; rows: number; maxPeriods: number; maxMinutes: number };
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const value = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} wants a positive whole number`);
    return n;
  };
  const outIndex = argv.indexOf('--out');
  const catchUpReleases =
    argv.includes('--catch-up') && argv[argv.indexOf('--catch-up') + 1] === '0'
      ? 0
      : value('--catch-up', quick ? 200 : 2_000);
  return {
    quick,
    rows: value('--rows', quick ? 10_000 : 100_000),
    releases: value('--releases', quick ? 200 : 2_000),
    small: value('--small', quick ? 2_000 : 10_000),
    out: outIndex >= 0 ? path.resolve(argv[outIndex + 1]) : path.join(ROOT, '.local/bench/results.json'),
    catchUp: {
      releases: catchUpReleases,
      rows: value('--catch-up-rows', catchUpReleases * 10),
      maxPeriods: value('--catch-up-periods', 1_000),
      maxMinutes: value('--catch-up-minutes', quick ? 20 : 60),
    },
  };
}

/** Runs one job in a child process and waits for its answer. */
function inChild(job: ChildJob): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'child.js'), [], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let answered = false;
    child.once('message', (message: ChildResult) => {
      answered = true;
      if (message.error) reject(new Error(`${job.kind} failed in its child process: ${message.error}`));
      else resolve(message);
    });
    child.once('exit', (code) => {
      if (!answered) reject(new Error(`${job.kind} child exited with code ${code} without an answer`));
    });
    child.send(job);
  });
}

/** Exchange calls the simulator saw since the last clear: the window, the Released query, any other. */
function exchangeCalls(sim: Simulator) {
  const calls = sim.scenario.requests('exchange').filter((r) => r.cmdlet);
  const released = calls.filter((r) => r.parameters && 'ReleaseStatus' in r.parameters).length;
  const window = calls.filter(
    (r) =>
      r.cmdlet?.toLowerCase() === 'get-quarantinemessage' &&
      !(r.parameters && 'ReleaseStatus' in r.parameters),
  ).length;
  return { total: calls.length, window, released, other: calls.length - window - released };
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const s = (ms: number) => Math.round(ms) / 1000;
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
/** Two significant digits, for ratios far below 0.01. */
const smallRatio = (a: number, b: number) => Number((a / b).toPrecision(2));

/** The 1, 5 and 15-minute load averages: other work on the machine slows both sides of a pair. */
const loadAverage = () => os.loadavg().map((n) => Math.round(n * 100) / 100);

function log(line: string) {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const certificate = await ensureCertificate(path.join(ROOT, '.local/certs'));
  if (process.env.NODE_EXTRA_CA_CERTS !== certificate.certPath) {
    // Node reads the extra CA only at start: run again with it (the children inherit it).
    const again = spawnSync(process.execPath, [__filename, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, NODE_EXTRA_CA_CERTS: certificate.certPath },
    });
    process.exit(again.status ?? 1);
  }

  if (process.argv.includes('--console')) {
    const tables = await startAzuriteTables();
    try {
      process.stdout.write(`${consoleBenchLines(await benchConsole(tables.connectionString)).join('\n')}\n`);
    } finally {
      await tables.stop();
    }
    return;
  }

  if (process.argv.includes('--fleet')) {
    const i = process.argv.indexOf('--fleet-tenants');
    const tenants = i >= 0 ? Number(process.argv[i + 1]) : options.quick ? 200 : 1_000;
    process.stdout.write(`${(await benchFleet({ tenants, certificate, root: ROOT, log })).join('\n')}\n`);
    return;
  }

  if (process.argv.includes('--catch-up-only')) {
    const tables = await startAzuriteTables();
    try {
      const figures = await runCatchUp({
        ...options.catchUp,
        certificate,
        tablesConnectionString: tables.connectionString,
        root: ROOT,
        log,
      });
      process.stdout.write(`${catchUpLines(figures, options.quick).join('\n')}\n`);
    } finally {
      await tables.stop();
    }
    return;
  }

  const started = Date.now();
  const loadAtStart = loadAverage();
  // 0. The deployment package, measured while nothing else of the bench runs.
  log('package: building it, compiling the unbundled dist/ and loading both in fresh processes');
  const packaged = await measurePackage(ROOT, { runs: options.quick ? 7 : 11, zipToday: !options.quick });
  log(
    `package: ${mb(packaged.ours.zipBytes)} MB zip, ${packaged.ours.files} files; cold load ${packaged.coldLoad.oursMs.toFixed(0)} ms ` +
      `(unbundled ${packaged.coldLoad.todayMs.toFixed(0)} ms) in ${s(Date.now() - started)} s`,
  );
  log(
    `bench: ${options.rows} rows, ${options.releases} releases, RSS at ${options.small} and ${options.rows} rows`,
  );
  const azurite = await startAzuriteTables();
  const sim = await startSimulator({ certificate, tokenLifetimeMs: 24 * 60 * MINUTE });
  try {
    sim.scenario.setAuditLatency(0);
    sim.scenario.configureAuditQueries({ notStartedMs: 0, runningMs: 0 });
    const endpoints = simulatorEndpoints(sim, azurite.connectionString, azurite.process.pid);
    const generator = new Generator(sim.scenario);
    const window = () => {
      const end = new Date();
      return {
        start: new Date(end.getTime() - SNAPSHOT_MAX_LOOKBACK_MS).toISOString(),
        end: end.toISOString(),
      };
    };

    // 1. The smaller size: backfill on its own tables, for its peak RSS.
    let t = Date.now();
    generator.addRows(options.small, generator.spreadOverMonth(new Date()));
    log(`generated ${generator.rows} rows (${generator.messages.length} messages) in ${s(Date.now() - t)} s`);
    sim.scenario.clearRequests();
    const small = await inChild({ kind: 'app-snapshot', endpoints, prefix: 'small', settings: {} });
    const smallCalls = exchangeCalls(sim);
    log(`backfill ${options.small} rows: ${s(small.wallMs)} s, peak RSS ${mb(small.peakRssBytes)} MB`);

    // 2. The full size.
    t = Date.now();
    generator.addRows(options.rows - generator.rows, generator.spreadOverMonth(new Date()));
    log(`generated ${generator.rows} rows (${generator.messages.length} messages) in ${s(Date.now() - t)} s`);

    // Ours then the floor, five times over (nine in the quick run; each backfill into tables of its own,
    // dropped after it; the first of ours is kept as the tenant's snapshot for what follows).
    let backfillCalls = exchangeCalls(sim);
    const backfillPairs = await interleaved(
      pairsFor(options.quick),
      async (i) => {
        const prefix = i === 0 ? 'qrn' : `qrnpair${i}`;
        sim.scenario.clearRequests();
        const run = await inChild({ kind: 'app-snapshot', endpoints, prefix, settings: {} });
        if (i === 0) backfillCalls = exchangeCalls(sim);
        else await dropTables(azurite.connectionString, prefix);
        return run;
      },
      async (i) => {
        const run = await inChild({ kind: 'minimum', endpoints, prefix: `minimum${i}`, ...window() });
        await dropTables(azurite.connectionString, `minimum${i}`);
        return run;
      },
      ({ ours, floor }, i) =>
        log(
          `backfill pair ${i + 1}: ours ${s(ours.wallMs)} s (peak RSS ${mb(ours.peakRssBytes)} MB), floor ${s(floor.wallMs)} s ` +
            `(fetch ${s(floor.details.fetchMs as number)} s, write ${s(floor.details.writeMs as number)} s): ${ratio(ours.wallMs, floor.wallMs)}x`,
        ),
    );
    const backfill = backfillPairs[0].ours;
    const minimum = backfillPairs[0].floor;

    // 3. Steady state: 1,000 new rows since the backfill.
    generator.addRows(STEADY_NEW_ROWS, () => new Date());
    sim.scenario.clearRequests();
    const steady = await inChild({ kind: 'app-snapshot', endpoints, prefix: 'qrn', settings: {} });
    const steadyCalls = exchangeCalls(sim);
    log(
      `steady state (+${STEADY_NEW_ROWS} rows): ${s(steady.wallMs)} s, ${steadyCalls.total} Exchange calls`,
    );

    // 4. M releases: the next snapshot sees them early, notify joins and composes (dry run).
    t = Date.now();
    const released = generator.pickReleases(options.releases);
    for (const message of released) {
      const by = generator.releaser();
      sim.scenario.release({ networkMessageId: message.networkMessageId, by });
    }
    const releasedUnits = released.reduce((n, m) => n + m.rows, 0);
    log(`released ${released.length} messages (${releasedUnits} units) in ${s(Date.now() - t)} s`);
    sim.scenario.clearRequests();
    const afterRelease = await inChild({ kind: 'app-snapshot', endpoints, prefix: 'qrn', settings: {} });
    const afterReleaseCalls = exchangeCalls(sim);
    log(
      `snapshot after the releases: ${s(afterRelease.wallMs)} s, ${afterReleaseCalls.total} Exchange calls`,
    );
    // Ours then the floor, five times over (nine in the quick run) on the same releases: the app's tables
    // are put back as they were before the first notify run, the floor's are dropped; the floor stores the
    // release rows and notification records ours' first run stored.
    const auditReleases = auditReleasesOf(sim);
    const notifyStart = await saveTables(azurite.connectionString, NOTIFY_TABLES);
    let stored: StoredByNotify = { releases: [], notifications: [] };
    const notifyPairs = await interleaved(
      pairsFor(options.quick),
      async (i) => {
        if (i > 0) {
          await restoreTables(azurite.connectionString, notifyStart);
          // The state table put back knows none of the audit queries ours asked for: the simulated tenant
          // forgets them too, or nine runs in a minute would meet Graph's quota of five creations a minute.
          sim.scenario.forgetAuditQueries();
        }
        const run = await inChild({ kind: 'app-notify', endpoints, prefix: 'qrn', settings: {} });
        if (i === 0) stored = await storedByNotify(azurite.connectionString, 'qrn');
        return run;
      },
      async () => {
        await dropTables(azurite.connectionString, 'notifyfloor');
        return inChild({
          kind: 'notify-minimum',
          endpoints,
          snapshotPrefix: 'qrn',
          prefix: 'notifyfloor',
          stored,
          inFlight: SNAPSHOT_LOOKUPS_IN_FLIGHT,
        });
      },
      ({ ours, floor }, i) =>
        log(
          `notify pair ${i + 1}: ours ${s(ours.wallMs)} s, ${ours.tables.total} table requests (peak RSS ${mb(ours.peakRssBytes)} MB); ` +
            `floor ${s(floor.wallMs)} s, ${floor.tables.total} table requests: ${ratio(ours.wallMs, floor.wallMs)}x, ${ratio(ours.tables.total, floor.tables.total)}x`,
        ),
    );
    const notify = notifyPairs[0].ours;
    const notifyMinimum = notifyPairs[0].floor;

    // 4b. Steady state again, now with the M releases inside the Released query's 30 days: what every
    // run costs a tenant that releases M messages a month (the fast path re-reads its released rows).
    generator.addRows(STEADY_NEW_ROWS, () => new Date());
    sim.scenario.clearRequests();
    const steadyReleased = await inChild({ kind: 'app-snapshot', endpoints, prefix: 'qrn', settings: {} });
    const steadyReleasedCalls = exchangeCalls(sim);
    log(
      `steady state with ${released.length} released messages in the window: ${s(steadyReleased.wallMs)} s, ` +
        `${steadyReleasedCalls.total} Exchange calls`,
    );

    // 5. The seed article's method on the same tenant: the whole quarantine, then a nested-loop join.
    sim.scenario.clearRequests();
    const seed = await inChild({ kind: 'seed', endpoints, ...window(), releases: auditReleases });
    log(`seed method: ${s(seed.wallMs)} s, ${seed.details.exchangeCalls} Exchange calls`);

    // 6. The catch-up after three days stopped, on a tenant and a simulated clock of its own.
    const catchUp =
      options.catchUp.releases === 0
        ? undefined
        : await runCatchUp({
            ...options.catchUp,
            certificate,
            tablesConnectionString: azurite.connectionString,
            root: ROOT,
            log,
          });

    const report = buildReport({
      options,
      generator,
      small,
      smallCalls,
      minimum,
      backfill,
      backfillPairs,
      backfillCalls,
      steady,
      steadyCalls,
      afterRelease,
      afterReleaseCalls,
      notify,
      notifyMinimum,
      notifyPairs,
      steadyReleased,
      steadyReleasedCalls,
      seed,
      released: { messages: released.length, units: releasedUnits, auditRecords: auditReleases.length },
      catchUp,
      packaged,
      load: { atStart: loadAtStart, atEnd: loadAverage() },
      totalMs: Date.now() - started,
    });
    const consoleBench = await benchConsole(azurite.connectionString);
    mkdirSync(path.dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify({ ...report, console: consoleBench }, null, 2)}\n`);
    printReport(report);
    process.stdout.write(`${consoleBenchLines(consoleBench).join('\n')}\n`);
    log(`figures written to ${options.out}`);
    const failed = Object.entries(report.targets).filter(([, v]) => !v.met);
    if (failed.length > 0) log(`targets missed: ${failed.map(([k]) => k).join(', ')} (see the report)`);
  } finally {
    await sim.close();
    await azurite.stop();
  }
}

type Report = ReturnType<typeof buildReport>;

function buildReport(r: {
  options: Options;
  generator: Generator;
  small: ChildResult;
  smallCalls: ReturnType<typeof exchangeCalls>;
  minimum: ChildResult;
  backfill: ChildResult;
  backfillPairs: Pair[];
  backfillCalls: ReturnType<typeof exchangeCalls>;
  steady: ChildResult;
  steadyCalls: ReturnType<typeof exchangeCalls>;
  afterRelease: ChildResult;
  afterReleaseCalls: ReturnType<typeof exchangeCalls>;
  notify: ChildResult;
  notifyMinimum: ChildResult;
  notifyPairs: Pair[];
  steadyReleased: ChildResult;
  steadyReleasedCalls: ReturnType<typeof exchangeCalls>;
  seed: ChildResult;
  released: { messages: number; units: number; auditRecords: number };
  catchUp: CatchUpFigures | undefined;
  packaged: PackageFigures;
  /** The machine's load averages (1, 5, 15 minutes) when the run started and when its jobs ended. */
  load: { atStart: number[]; atEnd: number[] };
  totalMs: number;
}) {
  const summary = (c: ChildResult) => c.details.summary as Record<string, unknown> & { rowsWritten: number };
  const notifySummary = r.notify.details.summary as Record<string, number>;
  const backfillRows = summary(r.backfill).rowsWritten;
  const steadyWindowRows = summary(r.steady).rowsFetched as unknown as number;
  const steadyTarget = exchangeCallsAtMost(summary(r.steady));
  const steadyReleasedTarget = exchangeCallsAtMost(summary(r.steadyReleased));
  const retainedFlat = r.backfill.heapUsedBytes / r.small.heapUsedBytes;
  // The join's queries: the snapshot's partitions (the state table's cache reads are not part of the join).
  const queriesPerMessage = (r.notify.tables.queriesByTable.qrnQuarantine ?? 0) / r.released.messages;
  const rssFlat = r.backfill.peakRssBytes / r.small.peakRssBytes;
  // Every run of our own jobs (not the baselines): the largest decides the instance memory.
  const backfillRuns = r.backfillPairs.map((pair) => pair.ours);
  const notifyRuns = r.notifyPairs.map((pair) => pair.ours);
  const peakOf = (runs: ChildResult[]) => Math.max(...runs.map((c) => c.peakRssBytes));
  const heapDuringRun = (runs: ChildResult[]) =>
    Math.max(...runs.map((c) => c.details.retainedHeapDuringRunBytes as number));
  const ourPeakRss = peakOf([
    r.small,
    ...backfillRuns,
    r.steady,
    r.afterRelease,
    ...notifyRuns,
    r.steadyReleased,
  ]);
  const p = r.packaged;
  // Each side's median over its paired runs; each ratio the median of the pairs' own ratios.
  const wall = (c: ChildResult) => c.wallMs;
  const median = (pairs: Pair[], side: 'ours' | 'floor', measure: (c: ChildResult) => number) =>
    medianOf(
      pairs.map((pair) => pair[side]),
      measure,
    );
  // What ours does with no table request in flight (test/bench/shared.ts, tableIdle): the step that costs
  // the difference where the floor, which only talks to the tables, has none.
  const idle = (pairs: Pair[], part: 'beforeFirstMs' | 'betweenMs' | 'afterLastMs') =>
    median(
      pairs,
      'ours',
      (c) => (c.details.tableIdle as Record<typeof part, number> | undefined)?.[part] ?? 0,
    );
  // Where the time goes when neither side waits on the other: the CPU each run took of its own process and
  // of the table server, and what a notify run does after its last snapshot lookup.
  const cpu = (pairs: Pair[], side: 'ours' | 'floor', of: 'processMs' | 'tableServerMs') =>
    median(
      pairs,
      side,
      (c) => (c.details.cpu as Record<typeof of, number | undefined> | undefined)?.[of] ?? NaN,
    );
  const cpuText = (pairs: Pair[], side: 'ours' | 'floor') => {
    const server = cpu(pairs, side, 'tableServerMs');
    const runMs = median(pairs, side, wall);
    return (
      `its process ${s(cpu(pairs, side, 'processMs'))} s of CPU` +
      (Number.isNaN(server)
        ? ''
        : `, the table server ${s(server)} s (busy ${Math.round((server / runMs) * 100)}% of the run)`)
    );
  };
  const afterLookups = (pairs: Pair[], side: 'ours' | 'floor') =>
    s(median(pairs, side, (c) => (c.details.afterLastLookupMs as number | undefined) ?? NaN));
  const idleText = (pairs: Pair[], before: string, between: string, after: string) =>
    `with no table request in flight ${s(idle(pairs, 'beforeFirstMs'))} s before the first (${before}), ` +
    `${s(idle(pairs, 'betweenMs'))} s between them (${between}) and ${s(idle(pairs, 'afterLastMs'))} s after the last (${after})`;
  const backfillMs = median(r.backfillPairs, 'ours', wall);
  const floorMs = median(r.backfillPairs, 'floor', wall);
  const notifyMs = median(r.notifyPairs, 'ours', wall);
  const notifyFloorMs = median(r.notifyPairs, 'floor', wall);
  const backfillSpread = spread(r.backfillPairs, wall);
  const notifyTimeSpread = spread(r.notifyPairs, wall);
  const notifyRequestSpread = spread(r.notifyPairs, (c) => c.tables.total);
  const notifyTimeRatio = notifyTimeSpread.median;
  const notifyRequestRatio = notifyRequestSpread.median;
  const steps = {
    backfill:
      `ours, like the floor, fetches and maps the next page while it writes this one: table work ${s(median(r.backfillPairs, 'ours', (c) => c.tables.busyMs))} s of ${s(backfillMs)} s; ` +
      `${idleText(r.backfillPairs, "the run's start", "the first page's fetch, and any wait for the next page", 'its summary')}; ` +
      `the floor fetches the next page (${s(median(r.backfillPairs, 'floor', (c) => c.details.fetchMs as number))} s in all) ` +
      `while it writes (${s(median(r.backfillPairs, 'floor', (c) => c.details.writeMs as number))} s)`,
    notifyTime:
      `ours ${s(notifyMs)} s: table work ${s(median(r.notifyPairs, 'ours', (c) => c.tables.busyMs))} s; ` +
      `${idleText(r.notifyPairs, "the run's start", `reading the pending releases, the mailbox settings and the audit log, composing ${notifySummary.emailsComposed} emails`, 'its summary')}; ` +
      `floor ${s(notifyFloorMs)} s. CPU: ours ${cpuText(r.notifyPairs, 'ours')}; the floor ${cpuText(r.notifyPairs, 'floor')}. ` +
      `After its last snapshot lookup ours takes ${afterLookups(r.notifyPairs, 'ours')} s more (composing the emails, then recording the ` +
      `audit records with the decisions, one write per message: its own process the busier), the floor ` +
      `${afterLookups(r.notifyPairs, 'floor')} s (its writes go alongside its lookups: it decides nothing)`,
    notifyRequests:
      `${requestsOverFloor(r.notify.tables, r.notifyMinimum.tables)}; ours writes the releases table ` +
      `${Math.round(((r.notify.tables.writesByTable.qrnReleases ?? 0) / r.released.messages) * 100) / 100} times per released message ` +
      `(the floor ${Math.round(((r.notifyMinimum.tables.writesByTable.notifyfloorReleases ?? 0) / r.released.messages) * 100) / 100}), ` +
      `its other tables ${JSON.stringify({ ...r.notify.tables.writesByTable, qrnReleases: undefined })}`,
  };
  const coldLoadRatio = ratio(p.coldLoad.oursMs, p.coldLoad.todayMs);
  return {
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
      node: process.version,
      platform: `${os.type()} ${os.release()}`,
      loadAverage: r.load,
    },
    parameters: {
      quick: r.options.quick,
      rows: r.generator.rows,
      messages: r.generator.messages.length,
      rowsPerMessage: Math.round((r.generator.rows / r.generator.messages.length) * 100) / 100,
      smallRows: r.options.small,
      releasedMessages: r.released.messages,
      releasedUnits: r.released.units,
      steadyNewRows: STEADY_NEW_ROWS,
      storage: 'Azurite (in memory, fresh)',
    },
    /** Three days stopped, then the timers on their schedule until every sender is told (catch-up.ts). */
    catchUp: r.catchUp ?? null,
    backfill: {
      rows: backfillRows,
      /** The median of its paired runs. */
      wallSeconds: s(backfillMs),
      rowsPerSecond: Math.round(backfillRows / (backfillMs / 1000)),
      exchangeCalls: r.backfillCalls,
      tables: r.backfill.tables,
      peakRssMB: mb(peakOf(backfillRuns)),
    },
    minimum: {
      rows: r.minimum.details.rows,
      wallSeconds: s(floorMs),
      rowsPerSecond: Math.round((r.minimum.details.rows as number) / (floorMs / 1000)),
      /** Summed durations of its page fetches and page writes, which overlap (medians). */
      fetchSeconds: s(median(r.backfillPairs, 'floor', (c) => c.details.fetchMs as number)),
      writeSeconds: s(median(r.backfillPairs, 'floor', (c) => c.details.writeMs as number)),
      exchangeCalls: r.minimum.details.exchangeCalls,
      tables: r.minimum.tables,
      peakRssMB: mb(r.minimum.peakRssBytes),
    },
    steadyState: {
      newRows: STEADY_NEW_ROWS,
      windowRows: steadyWindowRows,
      wallSeconds: s(r.steady.wallMs),
      exchangeCalls: r.steadyCalls,
      tables: r.steady.tables,
      peakRssMB: mb(r.steady.peakRssBytes),
    },
    steadyStateWithReleases: {
      newRows: STEADY_NEW_ROWS,
      releasedMessagesInWindow: r.released.messages,
      windowRows: summary(r.steadyReleased).rowsFetched,
      wallSeconds: s(r.steadyReleased.wallMs),
      exchangeCalls: r.steadyReleasedCalls,
      releasesSeenEarly: summary(r.steadyReleased).releasesSeenEarly,
      tables: r.steadyReleased.tables,
      peakRssMB: mb(r.steadyReleased.peakRssBytes),
    },
    snapshotAfterReleases: {
      wallSeconds: s(r.afterRelease.wallMs),
      exchangeCalls: r.afterReleaseCalls,
      releasesSeenEarly: summary(r.afterRelease).releasesSeenEarly,
      tables: r.afterRelease.tables,
      peakRssMB: mb(r.afterRelease.peakRssBytes),
    },
    notify: {
      releasedMessages: r.released.messages,
      releasedUnits: r.released.units,
      wallSeconds: s(notifyMs),
      emailsComposed: notifySummary.emailsComposed,
      composedPerSecond: Math.round((notifySummary.emailsComposed / (notifyMs / 1000)) * 10) / 10,
      tableQueriesPerReleasedMessage: Math.round(queriesPerMessage * 1000) / 1000,
      tableQueriesPerReleasedUnit:
        Math.round((r.notify.tables.partitionQueries / r.released.units) * 1000) / 1000,
      /** Whole-table queries of the run (pending releases, unfinished notifications), not per message. */
      tableScansPerRun: r.notify.tables.tableScans,
      tables: r.notify.tables,
      summary: notifySummary,
      peakRssMB: mb(peakOf(notifyRuns)),
      /** Medians over the paired runs: CPU of the job's process and of the table server, and the time after the last lookup. */
      cpuSeconds: {
        process: s(cpu(r.notifyPairs, 'ours', 'processMs')),
        tableServer: s(cpu(r.notifyPairs, 'ours', 'tableServerMs')),
      },
      afterLastLookupSeconds: afterLookups(r.notifyPairs, 'ours'),
    },
    /** The least table work for the same releases (test/bench/child.ts runNotifyMinimum). */
    notifyMinimum: {
      releasedMessages: r.notifyMinimum.details.releasedMessages,
      releasedUnits: r.notifyMinimum.details.units,
      emails: r.notifyMinimum.details.emails,
      inFlight: SNAPSHOT_LOOKUPS_IN_FLIGHT,
      wallSeconds: s(notifyFloorMs),
      tables: r.notifyMinimum.tables,
      peakRssMB: mb(r.notifyMinimum.peakRssBytes),
      cpuSeconds: {
        process: s(cpu(r.notifyPairs, 'floor', 'processMs')),
        tableServer: s(cpu(r.notifyPairs, 'floor', 'tableServerMs')),
      },
      afterLastLookupSeconds: afterLookups(r.notifyPairs, 'floor'),
    },
    seed: {
      rows: r.seed.details.rows,
      auditRecords: r.released.auditRecords,
      wallSeconds: s(r.seed.wallMs),
      fetchSeconds: s(r.seed.details.fetchMs as number),
      joinSeconds: s(r.seed.details.joinMs as number),
      exchangeCalls: r.seed.details.exchangeCalls,
      comparisons: r.seed.details.comparisons,
      peakRssMB: mb(r.seed.peakRssBytes),
    },
    rss: {
      [`${r.options.small}Rows`]: mb(r.small.peakRssBytes),
      [`${backfillRows}Rows`]: mb(peakOf(backfillRuns)),
      growth: Math.round(rssFlat * 100) / 100,
      /** The largest heap in use just after a full collection during the run (every paired run). */
      heapDuringRunMB: {
        backfill: mb(heapDuringRun(backfillRuns)),
        notify: mb(heapDuringRun(notifyRuns)),
      },
      /** Heap still in use after the run and a full GC: what the job retained. */
      heapAfterGcMB: {
        [`${r.options.small}Rows`]: mb(r.small.heapUsedBytes),
        [`${backfillRows}Rows`]: mb(r.backfill.heapUsedBytes),
      },
    },
    ratios: {
      backfillOursOverFloor: backfillSpread,
      /** Ours includes the audit read (simulator answers at once) and composing; the minimum only tables. */
      notifyOursOverFloorTime: notifyTimeSpread,
      notifyOursOverFloorTableRequests: notifyRequestSpread,
      /** Every seed run re-fetches and re-joins everything; ours is a steady-state snapshot run. */
      seedRunOverOurSteadyRun: ratio(r.seed.wallMs, r.steadyReleased.wallMs),
      /** The seed's every run against our one-time processing of the M releases (snapshot + notify). */
      seedRunOverOurReleaseProcessing: ratio(r.seed.wallMs, r.afterRelease.wallMs + notifyMs),
      seedExchangeCallsOverOurSteadyRun: ratio(
        r.seed.details.exchangeCalls as number,
        r.steadyReleasedCalls.total,
      ),
      seedRssOverOurs: ratio(
        r.seed.peakRssBytes,
        Math.max(r.steadyReleased.peakRssBytes, peakOf(notifyRuns)),
      ),
    },
    targets: {
      backfillWithin110xFloor: {
        met: backfillSpread.median <= 1.1,
        value: backfillSpread.median,
        limit: 1.1,
        note: `${spreadNote(backfillSpread)}; ${steps.backfill}`,
      },
      /** Every Exchange call of the run: the window's pages and the Released query's pages, nothing else. */
      steadyStateExchangeCalls: {
        met: r.steadyCalls.total <= steadyTarget.calls,
        value: r.steadyCalls.total,
        limit: steadyTarget.calls,
        note: steadyTarget.note,
      },
      steadyStateWithReleasesExchangeCalls: {
        met: r.steadyReleasedCalls.total <= steadyReleasedTarget.calls,
        value: r.steadyReleasedCalls.total,
        limit: steadyReleasedTarget.calls,
        note: steadyReleasedTarget.note,
      },
      notifyTimeWithin125xFloor: {
        met: notifyTimeRatio <= 1.25,
        value: notifyTimeRatio,
        limit: 1.25,
        note: `${spreadNote(notifyTimeSpread)}; ${steps.notifyTime}`,
      },
      notifyTableRequestsWithin110xFloor: {
        met: notifyRequestRatio <= 1.1,
        value: notifyRequestRatio,
        limit: 1.1,
        note: `${spreadNote(notifyRequestSpread)}; ${steps.notifyRequests}`,
      },
      tableQueriesPerReleasedMessage: {
        met: queriesPerMessage <= 1,
        value: Math.round(queriesPerMessage * 1000) / 1000,
        limit: 1,
      },
      peakRssUnder256MB: {
        met: peakOf(backfillRuns) < 256 * 1024 * 1024,
        value: mb(peakOf(backfillRuns)),
        limit: 256,
      },
      /** Instances get 512 MB by default (infra/main.bicep): every job's peak must stay within half of it. */
      peakRssWithinHalfOf512MB: {
        met: ourPeakRss <= 256 * 1024 * 1024,
        value: mb(ourPeakRss),
        limit: 256,
        note: 'largest peak of every run of our jobs',
      },
      /** The dry run composes and records every email in one run: the largest batch of work a run takes. */
      dryRunNotifyPeakRssWithinHalfOf512MB: {
        met: peakOf(notifyRuns) <= 256 * 1024 * 1024,
        value: mb(peakOf(notifyRuns)),
        limit: 256,
        note: `${r.released.messages} released messages, ${notifySummary.emailsComposed} emails, ${notifyRuns.length} runs; ${duringRunText(heapDuringRun(notifyRuns))}, after the run ${mb(Math.max(...notifyRuns.map((c) => c.heapUsedBytes)))} MB`,
      },
      packageZipUnder5MB: { met: p.ours.zipBytes <= 5 * 1024 * 1024, value: mb(p.ours.zipBytes), limit: 5 },
      coldLoadAtMostHalfOfUnbundled: {
        met: coldLoadRatio <= 0.5,
        value: coldLoadRatio,
        limit: 0.5,
        note: `wall time, median of ${p.coldLoad.runs} fresh processes each: ${Math.round(p.coldLoad.oursMs)} ms vs ${Math.round(p.coldLoad.todayMs)} ms (CPU ${ratio(p.coldLoad.oursCpuMs, p.coldLoad.todayCpuMs)}x)`,
      },
      /** What a run keeps after a full GC, at the full size over the smaller one: memory does not grow with N. */
      retainedHeapFlat: {
        met: retainedFlat <= 1.1,
        value: Math.round(retainedFlat * 100) / 100,
        limit: 1.1,
        note: `heap after GC ${mb(r.small.heapUsedBytes)} MB at ${r.options.small} rows, ${mb(r.backfill.heapUsedBytes)} MB at ${backfillRows} rows`,
      },
      ...(r.catchUp ? catchUpTargets(r.catchUp) : {}),
    },
    package: {
      zipMB: mb(p.ours.zipBytes),
      files: p.ours.files,
      unpackedMB: mb(p.ours.unpackedBytes),
      bundledModules: p.ours.bundledModules,
      /** What azd shipped before: the project folder through .funcignore, node_modules whole. */
      today: {
        files: p.today.files,
        unpackedMB: mb(p.today.unpackedBytes),
        zipMB: p.today.zipBytes === null ? null : mb(p.today.zipBytes),
      },
      coldLoad: {
        runs: p.coldLoad.runs,
        oursMs: Math.round(p.coldLoad.oursMs),
        todayMs: Math.round(p.coldLoad.todayMs),
        oursCpuMs: Math.round(p.coldLoad.oursCpuMs),
        todayCpuMs: Math.round(p.coldLoad.todayCpuMs),
        oursProcessMs: Math.round(p.coldLoad.oursProcessMs),
        todayProcessMs: Math.round(p.coldLoad.todayProcessMs),
        functionsRegistered: p.coldLoad.functionsRegistered,
      },
      ratios: {
        zip: p.today.zipBytes === null ? null : smallRatio(p.ours.zipBytes, p.today.zipBytes),
        files: smallRatio(p.ours.files, p.today.files),
        unpacked: smallRatio(p.ours.unpackedBytes, p.today.unpackedBytes),
        coldLoad: coldLoadRatio,
        coldLoadCpu: ratio(p.coldLoad.oursCpuMs, p.coldLoad.todayCpuMs),
        coldProcess: ratio(p.coldLoad.oursProcessMs, p.coldLoad.todayProcessMs),
      },
    },
    /** Inputs of the monthly bill (test/bench/cost.ts), from this run. */
    costInputs: {
      rowsPerMessage: r.generator.rows / r.generator.messages.length,
      releasedPerMessage: r.released.messages / r.generator.messages.length,
      steadySnapshotSeconds: r.steady.wallMs / 1000,
      steadySnapshotTableRequests: r.steady.tables.total,
      steadySnapshotNewRows: STEADY_NEW_ROWS,
      releasedSnapshotSeconds: r.steadyReleased.wallMs / 1000,
      releasedInWindow: r.released.messages,
      notifySeconds: notifyMs / 1000,
      notifyTableRequests: r.notify.tables.total,
      notifyReleasedMessages: r.released.messages,
      emailsComposed: notifySummary.emailsComposed,
      tableRequestsPerRow: r.backfill.tables.total / backfillRows,
    } satisfies MeasuredRuns,
    totalSeconds: s(r.totalMs),
  };
}

/** The heap just after a run's full collections; a short run may do none (its heap then only grew). */
const duringRunText = (bytes: number) =>
  bytes === 0
    ? 'no full collection during a run'
    : `heap just after a full collection during a run at most ${mb(bytes)} MB`;

const spreadNote = (spread: Spread) =>
  `median of ${spread.pairs} interleaved pairs, lowest ${spread.lowest}, highest ${spread.highest}`;

/** What ours asks of the table service beyond the floor, by kind: where the difference in requests lies. */
function requestsOverFloor(ours: TableCounts, floor: TableCounts) {
  const kinds: [string, number][] = [
    ['transactions', ours.transactions - floor.transactions],
    ['single writes', ours.singleWrites - floor.singleWrites],
    ['point reads', ours.pointReads - floor.pointReads],
    ['partition queries', ours.partitionQueries - floor.partitionQueries],
    ['whole-table queries', ours.tableScans - floor.tableScans],
    [
      'query pages and other',
      ours.queryRequests - ours.queries - (floor.queryRequests - floor.queries) + ours.other - floor.other,
    ],
  ];
  return `ours over the floor: ${kinds.map(([kind, n]) => `${n >= 0 ? '+' : ''}${n} ${kind}`).join(', ')}`;
}

/**
 * The least Exchange calls of a snapshot run: each listing takes floor(rows / 1000) + 1 pages (a full page
 * needs one more call to see the end, as there is no total count). Nothing else may be asked.
 */
function exchangeCallsAtMost(summary: Record<string, unknown>) {
  const pages = (rows: number) => Math.floor(rows / PAGE) + 1;
  const windowRows = Number(summary.rowsFetched);
  const released = summary.releasesSeenEarly as { releasedRows?: number } | undefined;
  const releasedRows = Number(released?.releasedRows ?? 0);
  const calls = pages(windowRows) + (released ? pages(releasedRows) : 0);
  return {
    calls,
    note: `window ${windowRows} rows = ${pages(windowRows)} page(s) + Released query ${releasedRows} rows = ${released ? pages(releasedRows) : 0} page(s); no other call`,
  };
}

function catchUpTargets(c: CatchUpFigures) {
  return {
    catchUpEverySenderTold: {
      met: c.converged,
      value: c.converged ? `${c.periods} periods` : `${c.unitsTold}/${c.unitsToTell} units`,
      limit: `${c.unitsToTell} units within the cap`,
      note: c.converged ? `${c.simulatedHoursUntilAllTold} simulated hours` : `stopped by ${c.cappedBy}`,
    },
    catchUpLongestRunWithinBudget: {
      met: c.withinBudget,
      value: c.longestRun.seconds,
      limit: c.budget.seconds,
      note: `${c.longestRun.job}, period ${c.longestRun.period}; budget: host.json functionTimeout`,
    },
    /** A warm instance keeps the app between timer ticks: its peak over every run of the catch-up. */
    catchUpPeakRssWithinHalfOf512MB: {
      met: c.peakRssMB <= 256,
      value: c.peakRssMB,
      limit: 256,
      note: `one job process for all ${c.periods * 2 + 2} runs; heap after GC ${c.heapAfterGcMB.firstPeriod} MB after the first period, ${c.heapAfterGcMB.lastPeriod} MB after the last, at most ${c.heapDuringRunMB} MB just after a full collection during a run`,
    },
    catchUpEmailsOnceAndNotBeforeRelease: {
      met: c.check.ok,
      value: `early ${c.check.earlierThanRelease}, twice ${c.check.twice}, missing ${c.check.missing}, unexpected ${c.check.unexpected}`,
      limit: 'all 0',
    },
  };
}

function printReport(report: Report) {
  const lines = [
    '',
    `machine: ${report.machine.cpus} cpus (${report.machine.cpuModel}), ${report.machine.memoryGiB} GiB, node ${report.machine.node}; load average ${report.machine.loadAverage.atStart.join(', ')} at the start, ${report.machine.loadAverage.atEnd.join(', ')} at the end`,
    `data: ${report.parameters.rows} rows = ${report.parameters.messages} messages (${report.parameters.rowsPerMessage} rows each), ${report.parameters.releasedMessages} released messages (${report.parameters.releasedUnits} units)`,
    '',
    `backfill     ours ${report.backfill.wallSeconds} s (${report.backfill.rowsPerSecond} rows/s), floor ${report.minimum.wallSeconds} s (${report.minimum.rowsPerSecond} rows/s; fetching ${report.minimum.fetchSeconds} s overlapped with writing ${report.minimum.writeSeconds} s): ours/floor ${spreadText(report.ratios.backfillOursOverFloor)}`,
    `             Exchange calls ours ${report.backfill.exchangeCalls.total} (window ${report.backfill.exchangeCalls.window}, Released ${report.backfill.exchangeCalls.released}, other ${report.backfill.exchangeCalls.other}), minimum ${report.minimum.exchangeCalls}`,
    `             table transactions ours ${report.backfill.tables.transactions} + ${report.backfill.tables.singleWrites} single writes, minimum ${report.minimum.tables.transactions} + ${report.minimum.tables.singleWrites}`,
    `             peak RSS ours ${report.backfill.peakRssMB} MB, minimum ${report.minimum.peakRssMB} MB`,
    `steady state +${report.steadyState.newRows} rows (${report.steadyState.windowRows} in the window with the overlap): ${report.steadyState.wallSeconds} s, Exchange calls ${report.steadyState.exchangeCalls.total} (window ${report.steadyState.exchangeCalls.window}, Released ${report.steadyState.exchangeCalls.released}, other ${report.steadyState.exchangeCalls.other})`,
    `steady state with ${report.steadyStateWithReleases.releasedMessagesInWindow} released messages in the 30 days: ${report.steadyStateWithReleases.wallSeconds} s, Exchange calls ${report.steadyStateWithReleases.exchangeCalls.total} (window ${report.steadyStateWithReleases.exchangeCalls.window}, Released ${report.steadyStateWithReleases.exchangeCalls.released}), table requests ${report.steadyStateWithReleases.tables.total} (point reads ${report.steadyStateWithReleases.tables.pointReads}, queries ${report.steadyStateWithReleases.tables.queryRequests})`,
    `after releases snapshot ${report.snapshotAfterReleases.wallSeconds} s, Exchange calls ${report.snapshotAfterReleases.exchangeCalls.total} (Released ${report.snapshotAfterReleases.exchangeCalls.released})`,
    `notify       ${report.notify.wallSeconds} s for ${report.notify.releasedMessages} messages (${report.notify.releasedUnits} units): ${report.notify.emailsComposed} emails composed, ${report.notify.composedPerSecond}/s; partition queries ${report.notify.tables.partitionQueries} = ${report.notify.tableQueriesPerReleasedMessage} per released message, plus ${report.notify.tableScansPerRun} table-wide queries per run (${JSON.stringify(report.notify.tables.queriesByTable)}), point reads ${report.notify.tables.pointReads}, writes ${report.notify.tables.singleWrites}`,
    `notify minimum ${report.notifyMinimum.wallSeconds} s for ${report.notifyMinimum.releasedMessages} messages (${report.notifyMinimum.releasedUnits} units, ${report.notifyMinimum.emails} emails, ${report.notifyMinimum.inFlight} in flight): table requests ${report.notifyMinimum.tables.total} (partition queries ${report.notifyMinimum.tables.partitionQueries}, writes ${report.notifyMinimum.tables.singleWrites}); ours ${report.notify.tables.total} (queries ${report.notify.tables.queryRequests}, point reads ${report.notify.tables.pointReads}, writes ${report.notify.tables.singleWrites}, transactions ${report.notify.tables.transactions})`,
    `notify ours / floor: time ${spreadText(report.ratios.notifyOursOverFloorTime)} (target <= 1.25x: ${report.targets.notifyTimeWithin125xFloor.met ? 'MET' : 'MISSED'}), table requests ${spreadText(report.ratios.notifyOursOverFloorTableRequests)} (target <= 1.1x: ${report.targets.notifyTableRequestsWithin110xFloor.met ? 'MET' : 'MISSED'})`,
    `seed method  ${report.seed.wallSeconds} s per run (fetch ${report.seed.fetchSeconds} s, nested-loop join ${report.seed.joinSeconds} s), ${report.seed.exchangeCalls} Exchange calls, peak RSS ${report.seed.peakRssMB} MB`,
    `             seed run / our steady-state run: time ${report.ratios.seedRunOverOurSteadyRun}x, Exchange calls ${report.ratios.seedExchangeCallsOverOurSteadyRun}x; seed run / our one-time processing of the releases: ${report.ratios.seedRunOverOurReleaseProcessing}x; RSS ${report.ratios.seedRssOverOurs}x`,
    ...(report.catchUp
      ? catchUpLines(report.catchUp, report.parameters.quick)
      : ['catch-up     skipped (--catch-up 0)']),
    `peak RSS     ${JSON.stringify(report.rss)}`,
    `package      ${report.package.zipMB} MB zip, ${report.package.files} files, ${report.package.unpackedMB} MB unpacked (${report.package.bundledModules} modules bundled); before: ${report.package.today.zipMB ?? 'not zipped in --quick,'} ${report.package.today.zipMB === null ? '' : 'MB zip, '}${report.package.today.files} files, ${report.package.today.unpackedMB} MB unpacked`,
    `             ratios ours/before: zip ${report.package.ratios.zip ?? 'n/a'}, files ${report.package.ratios.files}, unpacked ${report.package.ratios.unpacked}`,
    `cold load    entry points ${report.package.coldLoad.oursMs} ms vs ${report.package.coldLoad.todayMs} ms unbundled (${report.package.ratios.coldLoad}x), CPU ${report.package.coldLoad.oursCpuMs} vs ${report.package.coldLoad.todayCpuMs} ms (${report.package.ratios.coldLoadCpu}x); whole process ${report.package.coldLoad.oursProcessMs} vs ${report.package.coldLoad.todayProcessMs} ms (${report.package.ratios.coldProcess}x); median of ${report.package.coldLoad.runs}; registered ${report.package.coldLoad.functionsRegistered.ours.join(', ')}`,
    '',
    `monthly bill at 512 MB (test/bench/cost.ts; prices as of ${PRICES.asOf}; audit wait ${ASSUMPTIONS.auditWaitSeconds} s in ${ASSUMPTIONS.auditWaitingShare * 100}% of notify runs):`,
    ...billLines(report.costInputs, 512),
    '',
    'targets:',
    ...Object.entries(report.targets).map(
      ([name, t]) =>
        `  ${t.met ? 'MET   ' : 'MISSED'} ${name}: ${t.value} (limit ${t.limit})` +
        ('note' in t && t.note ? ` - ${t.note}` : ''),
    ),
    `total ${report.totalSeconds} s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
