/**
 * The catch-up after an outage: the app was stopped for three days while administrators released
 * messages; then both timers run again on their schedule (every 15 minutes, simulated time) against the
 * ACS limits of an Azure-managed domain, NOT in dry run, until every sender is told.
 *
 * Time is the chaos run's mechanism (test/chaos/driver.ts): the simulator gets a ManualClock that this
 * module sets at each period; the app runs in one job process of its own (catch-up-worker.ts), built once
 * with `createApplication` and a DrivenClock that each run moves to the period's time. The audit records
 * and the quarantine's released status are in the simulator before the first run after the outage.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DAY, HOUR, MINUTE, ManualClock } from '../../lib/core/clock';
import { startSimulator, type Simulator } from '../../lib/simulator';
import { unitsOf } from '../chaos/driver';
import type { ScheduledRun, ScheduledRunResult } from './catch-up-worker';
import { Generator, type GeneratedMessage } from './data';
import { simulatorEndpoints, type Endpoints, type TableCounts } from './shared';

const PERIOD_MS = 15 * MINUTE;
const STOPPED_MS = 3 * DAY;
/** The Azure-managed domain's sending limits (docs/wire-contract.md, ACS). */
const ACS_LIMITS = { perMinute: 5, perHour: 10 };
/** The outage starts here (the app's settings are its defaults, MAX_EMAILS_PER_RUN included). */
const START = Date.parse('2026-03-02T08:00:00Z');

export interface CatchUpOptions {
  /** Released messages waiting when the app starts again. */
  releases: number;
  /** Quarantine rows of the tenant before the outage (spread over its 20 days). */
  rows: number;
  /** Periods at most (each: one snapshot run, then one notify run). */
  maxPeriods: number;
  /** Real minutes at most. */
  maxMinutes: number;
  certificate: { cert: string; key: string };
  tablesConnectionString: string;
  /** The repository (host.json gives the run's time budget). */
  root: string;
  log: (line: string) => void;
}

/** One run's figures, as the report shows them. */
export interface RunFigures {
  wallSeconds: number;
  /** By the run's own clock: real time plus what it slept. */
  durationSeconds: number;
  /** Time during which at least one table request was in flight. */
  tableSeconds: number;
  tables: TableCounts;
}

export interface CatchUpFigures {
  releasedMessages: number;
  releasedUnits: number;
  /** Released units of the tenant's own outbound mail: each must be told once. */
  unitsToTell: number;
  quarantineRows: number;
  stoppedDays: number;
  periodMinutes: number;
  acsLimits: typeof ACS_LIMITS;
  firstSnapshot: RunFigures & { releasesSeenEarly: unknown };
  firstNotify: RunFigures & { emailsSent: number; newReleases: number; carriedOver: number };
  /** Periods run after the outage (one snapshot and one notify run each). */
  periods: number;
  converged: boolean;
  /** Why the runs stopped before every sender was told. */
  cappedBy?: string;
  /** Simulated time from the restart until the last sender was told (null: not converged). */
  simulatedHoursUntilAllTold: number | null;
  emails: number;
  unitsTold: number;
  /** The longest a told unit waited from its release to its email, in simulated hours. */
  longestWaitHours: number;
  longestRun: { job: 'snapshot' | 'notify'; period: number; seconds: number };
  budget: { seconds: number; source: string };
  withinBudget: boolean;
  /** Exchange calls of the snapshot runs other than the window and the Released query. */
  snapshotOtherExchangeCalls: number;
  /** Get-AcceptedDomain calls of the notify runs (read when a decision needs them, cached a day). */
  notifyAcceptedDomainCalls: number;
  check: { earlierThanRelease: number; twice: number; missing: number; unexpected: number; ok: boolean };
  peakRssMB: number;
  /** Heap the app keeps after a full GC, after the first period and after the last: flat or growing. */
  heapAfterGcMB: { firstPeriod: number; lastPeriod: number };
  /** The largest heap in use just after a full collection during any run. */
  heapDuringRunMB: number;
  realSeconds: number;
}

/** The Functions host stops an invocation after host.json's functionTimeout: the hard budget of a run. */
export function runBudget(root: string): { seconds: number; source: string } {
  const host = JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8')) as { functionTimeout?: string };
  const [h, m, s] = (host.functionTimeout ?? '00:30:00').split(':').map(Number);
  return {
    seconds: h * 3600 + m * 60 + s,
    source:
      `host.json functionTimeout ${host.functionTimeout}: the host stops a run after it, which is tighter ` +
      `than the notify lease and the timer period (15 minutes each); a run cut off leaves its work to the next`,
  };
}

class JobProcess {
  private child!: ChildProcess;

  async start(endpoints: Endpoints, prefix: string, settings: Record<string, string>): Promise<void> {
    this.child = fork(path.join(__dirname, 'child.js'), [], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = this.next();
    this.child.send({ kind: 'scheduled-runs', endpoints, prefix, settings });
    await ready;
  }

  private next<T>(): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`catch-up job process exited (${code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (m: T) => {
        this.child.off('exit', onExit);
        resolve(m);
      });
    });
  }

  async run(job: ScheduledRun['job'], now: Date): Promise<ScheduledRunResult> {
    const answer = this.next<ScheduledRunResult>();
    this.child.send({ job, now: now.toISOString() } satisfies ScheduledRun);
    const result = await answer;
    if (result.error) throw new Error(`catch-up ${job} run at ${now.toISOString()} failed: ${result.error}`);
    return result;
  }

  stop(): void {
    if (this.child.connected) this.child.send({ stop: true });
  }
}

const seconds = (ms: number) => Math.round(ms) / 1000;
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function runFigures(r: ScheduledRunResult): RunFigures {
  return {
    wallSeconds: seconds(r.wallMs),
    durationSeconds: seconds(r.durationMs),
    tableSeconds: seconds(r.tables.busyMs),
    tables: r.tables,
  };
}

export async function runCatchUp(options: CatchUpOptions): Promise<CatchUpFigures> {
  const began = Date.now();
  const { log } = options;
  const clock = new ManualClock(new Date(START));
  const sim: Simulator = await startSimulator({
    clock,
    certificate: options.certificate,
    tokenLifetimeMs: 365 * DAY,
  });
  const job = new JobProcess();
  try {
    sim.scenario.setAuditLatency(0);
    sim.scenario.configureAuditQueries({ notStartedMs: 0, runningMs: 0 });
    sim.scenario.acs.setLimits(ACS_LIMITS);
    const endpoints = simulatorEndpoints(sim, options.tablesConnectionString);

    // Before the outage: a tenant the app has copied and read up to START.
    const generator = new Generator(sim.scenario, 11);
    generator.addRows(options.rows, generator.spreadOverDays(new Date(START), 20));
    await job.start(endpoints, 'catchup', { NOTIFY_DRY_RUN: 'false' });
    await job.run('snapshot', clock.now());
    await job.run('notify', clock.now());

    // Three days stopped: mail keeps arriving, and administrators release messages.
    const restart = START + STOPPED_MS;
    clock.set(new Date(restart));
    const released = generator.pickReleases(options.releases);
    generator.addRows(Math.round((options.rows * 3) / 20), generator.spreadOverDays(new Date(restart), 3));
    const releasedAt = new Map<string, number>();
    const toTell = new Set<string>();
    const bySubject = new Map<string, GeneratedMessage>();
    released.forEach((message, i) => {
      const at = START + Math.floor(((i + 0.5) * STOPPED_MS) / released.length);
      sim.scenario.release({
        networkMessageId: message.networkMessageId,
        by: generator.releaser(),
        at: new Date(at),
      });
      bySubject.set(message.subject, message);
      for (const to of message.recipients) {
        const key = `${message.networkMessageId}|${to.toLowerCase()}`;
        releasedAt.set(key, at);
        // The tenant's own outbound mail (an internal sender, held by a mail flow rule or DLP).
        if (message.direction === 'Outbound') toTell.add(key);
      }
    });
    log(
      `catch-up: ${released.length} released messages (${releasedAt.size} units, ${toTell.size} to tell) ` +
        `waiting after ${STOPPED_MS / DAY} days stopped; timers every ${PERIOD_MS / MINUTE} min, ACS ` +
        `${ACS_LIMITS.perMinute}/min and ${ACS_LIMITS.perHour}/hour, not dry run`,
    );

    /** Units told so far, by the outbox: how many times each, and the emails that told them. */
    const told = () => {
      const counts = new Map<string, { times: number; at: number[] }>();
      let unknown = 0;
      for (const email of sim.scenario.emails()) {
        for (const unit of unitsOf(email)) {
          // The email defangs what reads as a link or a file name ("export 9[.]xlsx").
          const message = bySubject.get(unit.subject.replace(/\[\.\]/g, '.'));
          if (!message) {
            unknown += 1;
            continue;
          }
          for (const to of unit.releasedTo) {
            const key = `${message.networkMessageId}|${to}`;
            const entry = counts.get(key) ?? { times: 0, at: [] };
            entry.times += 1;
            entry.at.push(Date.parse(email.acceptedAt));
            counts.set(key, entry);
          }
        }
      }
      return { counts, unknown };
    };

    const budget = runBudget(options.root);
    let first: { snapshot: ScheduledRunResult; notify: ScheduledRunResult } | undefined;
    let longest: CatchUpFigures['longestRun'] = { job: 'snapshot', period: 0, seconds: 0 };
    let snapshotOther = 0;
    let notifyDomains = 0;
    let peakRss = 0;
    let lastHeap = 0;
    let heapDuringRun = 0;
    let periods = 0;
    let doneAt: number | undefined;
    let cappedBy: string | undefined;
    for (;;) {
      const t = restart + periods * PERIOD_MS;
      clock.set(new Date(t));
      periods += 1;
      sim.scenario.clearRequests();
      const snapshot = await job.run('snapshot', new Date(t));
      snapshotOther += sim.scenario
        .requests('exchange')
        .filter((r) => r.cmdlet && r.cmdlet.toLowerCase() !== 'get-quarantinemessage').length;
      sim.scenario.clearRequests();
      const notify = await job.run('notify', new Date(t + snapshot.durationMs));
      notifyDomains += sim.scenario
        .requests('exchange')
        .filter((r) => r.cmdlet?.toLowerCase() === 'get-accepteddomain').length;
      first ??= { snapshot, notify };
      lastHeap = notify.heapAfterGcBytes;
      for (const r of [snapshot, notify]) {
        peakRss = Math.max(peakRss, r.peakRssBytes);
        heapDuringRun = Math.max(heapDuringRun, r.heapDuringRunBytes);
        if (r.durationMs / 1000 > longest.seconds)
          longest = { job: r.job, period: periods, seconds: seconds(r.durationMs) };
      }
      const { counts } = told();
      const tellingDone = [...toTell].every((key) => counts.has(key));
      if (periods === 1 || periods % 16 === 0 || tellingDone) {
        log(
          `catch-up: period ${periods} (restart + ${((t - restart) / HOUR).toFixed(2)} h): ` +
            `${[...toTell].filter((k) => counts.has(k)).length}/${toTell.size} units told in ` +
            `${sim.scenario.emails().length} emails; snapshot ${seconds(snapshot.wallMs)} s, notify ` +
            `${seconds(notify.wallMs)} s (${notify.tables.total} table requests)`,
        );
      }
      if (tellingDone) {
        doneAt = t + snapshot.durationMs + notify.durationMs;
        break;
      }
      if (periods >= options.maxPeriods) cappedBy = `the cap of ${options.maxPeriods} periods`;
      else if (Date.now() - began > options.maxMinutes * MINUTE)
        cappedBy = `the cap of ${options.maxMinutes} real minutes`;
      if (cappedBy) {
        log(
          `catch-up: NOT CONVERGED: stopped by ${cappedBy} after ${periods} periods ` +
            `(${((t - restart) / HOUR).toFixed(1)} simulated hours)`,
        );
        break;
      }
    }

    // Every email against the releases it tells.
    const { counts, unknown } = told();
    let earlier = 0;
    let twice = 0;
    let unexpected = unknown;
    let longestWait = 0;
    for (const [key, entry] of counts) {
      if (entry.times > 1) twice += entry.times - 1;
      if (!toTell.has(key)) unexpected += 1;
      const at = releasedAt.get(key);
      for (const sent of entry.at) {
        if (at === undefined || sent < at) earlier += 1;
        else longestWait = Math.max(longestWait, sent - at);
      }
    }
    const missing = [...toTell].filter((key) => !counts.has(key)).length;
    const f = first!;
    return {
      releasedMessages: released.length,
      releasedUnits: releasedAt.size,
      unitsToTell: toTell.size,
      quarantineRows: generator.rows,
      stoppedDays: STOPPED_MS / DAY,
      periodMinutes: PERIOD_MS / MINUTE,
      acsLimits: ACS_LIMITS,
      firstSnapshot: {
        ...runFigures(f.snapshot),
        releasesSeenEarly: f.snapshot.summary.releasesSeenEarly,
      },
      firstNotify: {
        ...runFigures(f.notify),
        emailsSent: Number(f.notify.summary.emailsSent),
        newReleases: Number(f.notify.summary.newReleases),
        carriedOver: Number(f.notify.summary.carriedOver),
      },
      periods,
      converged: doneAt !== undefined,
      ...(cappedBy ? { cappedBy } : {}),
      simulatedHoursUntilAllTold:
        doneAt === undefined ? null : Math.round(((doneAt - restart) / HOUR) * 100) / 100,
      emails: sim.scenario.emails().length,
      unitsTold: [...toTell].filter((key) => counts.has(key)).length,
      longestWaitHours: Math.round((longestWait / HOUR) * 100) / 100,
      longestRun: longest,
      budget,
      withinBudget: longest.seconds <= budget.seconds,
      snapshotOtherExchangeCalls: snapshotOther,
      notifyAcceptedDomainCalls: notifyDomains,
      check: {
        earlierThanRelease: earlier,
        twice,
        missing,
        unexpected,
        ok: earlier === 0 && twice === 0 && unexpected === 0 && (doneAt === undefined || missing === 0),
      },
      peakRssMB: mb(peakRss),
      heapAfterGcMB: { firstPeriod: mb(f.notify.heapAfterGcBytes), lastPeriod: mb(lastHeap) },
      heapDuringRunMB: mb(heapDuringRun),
      realSeconds: seconds(Date.now() - began),
    };
  } finally {
    job.stop();
    await sim.close();
  }
}

/** The report's lines. */
export function catchUpLines(c: CatchUpFigures, quick: boolean): string[] {
  const t = (r: RunFigures) =>
    `${r.wallSeconds} s (table work ${r.tableSeconds} s: ${r.tables.total} table requests = ` +
    `${r.tables.queries} queries in ${r.tables.queryRequests} pages, ${r.tables.pointReads} point reads, ` +
    `${r.tables.singleWrites} single writes, ${r.tables.transactions} transactions of ${r.tables.transactionOps})`;
  return [
    `catch-up     ${c.releasedMessages} released messages${quick ? ' (quick: the full bench waits 2,000)' : ''} ` +
      `(${c.releasedUnits} units, ${c.unitsToTell} to tell; ${c.quarantineRows} quarantine rows) waiting after ` +
      `${c.stoppedDays} days stopped; both timers every ${c.periodMinutes} min (simulated), ACS ` +
      `${c.acsLimits.perMinute}/min and ${c.acsLimits.perHour}/hour, not dry run`,
    `             first snapshot run ${t(c.firstSnapshot)}`,
    `             first notify run ${t(c.firstNotify)}; ${c.firstNotify.emailsSent} emails sent, ` +
      `${c.firstNotify.carriedOver} releases carried over`,
    c.converged
      ? `             every sender told after ${c.periods} periods (${c.periods} snapshot + ${c.periods} notify runs): ` +
        `${c.simulatedHoursUntilAllTold} simulated hours after the restart, ${c.emails} emails; longest wait ` +
        `from release to email ${c.longestWaitHours} h`
      : `             NOT CONVERGED: stopped by ${c.cappedBy} after ${c.periods} periods; ${c.unitsTold} of ` +
        `${c.unitsToTell} units told in ${c.emails} emails`,
    `             longest run: ${c.longestRun.job} in period ${c.longestRun.period}, ${c.longestRun.seconds} s ` +
      `against a budget of ${c.budget.seconds} s (${c.budget.source}): ${c.withinBudget ? 'MET' : 'MISSED'}`,
    `             emails earlier than their release ${c.check.earlierThanRelease}, told twice ${c.check.twice}, ` +
      `missing ${c.converged ? c.check.missing : `${c.check.missing} (not converged)`}, unexpected ` +
      `${c.check.unexpected}: ${c.check.ok ? 'MET' : 'MISSED'}`,
    `             Exchange calls besides the window and the Released query in ${c.periods} snapshot runs: ` +
      `${c.snapshotOtherExchangeCalls}; Get-AcceptedDomain in the notify runs: ${c.notifyAcceptedDomainCalls}; ` +
      `job process peak RSS ${c.peakRssMB} MB, heap after GC ${c.heapAfterGcMB.firstPeriod} MB after the ` +
      `first period and ${c.heapAfterGcMB.lastPeriod} MB after the last, at most ${c.heapDuringRunMB} MB during a run; ${c.realSeconds} s real`,
  ];
}
