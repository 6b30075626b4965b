/**
 * The chaos run: many simulated days of quarantines and releases against the Microsoft 365
 * simulator and an on-disk Azurite, with faults injected at random in every dependency and the jobs run in
 * a separate process that is SIGKILLed at random moments and restarted. After the storm, with the faults
 * off, the jobs run until quiet, and the invariants are checked against the simulator's outbox.
 *
 * Seeded and repeatable in what it decides (the workload, the faults, when to kill); the exact point a kill
 * lands depends on timing, which is the point.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { DAY, HOUR, MINUTE, ManualClock } from '../../lib/core/clock';
import { startAzuriteTables, type RunningAzurite } from '../../lib/local/azurite';
import { ensureCertificate } from '../../lib/simulator/certificate';
import { startSimulator, type Simulator } from '../../lib/simulator';
import type { CapturedEmail, FaultSpec } from '../../lib/simulator/contract';
import type { QuarantineType } from '../../lib/simulator/quarantine';

export interface ChaosOptions {
  seed: number;
  days: number;
  /** Simulated minutes between two runs of the jobs (default 60). */
  periodMinutes?: number;
  /** Chance that a period gets faults (default 0.4). */
  faultRate?: number;
  /** Chance that a job run is SIGKILLed (default 0.12). */
  killRate?: number;
  /** New quarantined messages per simulated day (default 14). */
  messagesPerDay?: number;
  /** Chance that Azurite is restarted under a job run (default 0.015). */
  azuriteRestartRate?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface ChaosFigures {
  seed: number;
  simulatedDays: number;
  periods: number;
  jobRuns: number;
  messages: number;
  /** Released units (message, recipient) the simulator knows. */
  releases: number;
  releasesOutbound: number;
  faults: Record<string, number>;
  kills: number;
  azuriteRestarts: number;
  quietPeriods: number;
  emailsExpected: number;
  /** Units told, counted by the outbox. */
  emailsSent: number;
  /** Emails in the outbox. */
  emails: number;
  duplicated: number;
  missing: number;
  unexpected: number;
  releaseRowsMissing: number;
  duplicateRows: number;
  violations: string[];
  wallSeconds: number;
}

/** The repository (this file runs from test/chaos under jest, and from dist/test/chaos under `npm run chaos`). */
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
const ROOT = findRoot(__dirname);
const WORKER = path.join(ROOT, 'test/chaos/worker.js');
const START = Date.parse('2026-03-02T00:00:00Z');
const INTERNAL = ['contoso.com', 'contoso.onmicrosoft.com', 'sales.eu.contoso.com'];
const EXTERNAL = ['fabrikam.example', 'northwind.example', 'tailspin.example'];
const ADMINS = ['adele.vance@contoso.com', 'alex.wilber@contoso.com'];

/** mulberry32: small, seedable, good enough to pick faults. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p: number) => next() < p,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
  };
}
type Rng = ReturnType<typeof rng>;

interface PlannedRelease {
  at: number;
  recipients: string[];
  by: string; // UPN or 'system'
  latencyMs: number;
}

const REVIEWER = 'quarantine.reviewer@contoso.com';

interface Message {
  n: number;
  kind: string;
  subject: string;
  sender: string;
  recipients: string[];
  type: QuarantineType;
  direction?: 'Inbound' | 'Outbound';
  createdAt: number;
  expiresAt: number;
  releases: PlannedRelease[];
  deleteAt?: number;
  /** Filled once added to the simulator. */
  networkMessageId?: string;
  /** Recipients actually released (when the release call succeeded). */
  released: Set<string>;
  /** Outbound mail of the tenant's own sender: its releases must be told. */
  notifiable: boolean;
  deleted: boolean;
}

const address = (r: Rng, domains: readonly string[], prefix = 'user') =>
  `${prefix}${r.int(1, 40)}@${r.pick(domains)}`;

function planMessage(r: Rng, n: number, createdAt: number, endAt: number): Message {
  const kinds = [
    ['outbound-rule', 35],
    ['outbound-dlp', 15],
    ['outbound-reported', 8],
    ['inbound-phish', 12],
    ['inbound-spoofed-internal', 10],
    ['inbound-spam', 10],
    ['no-sender', 5],
    ['outbound-from-outsider', 5],
  ] as const;
  const total = kinds.reduce((a, [, w]) => a + w, 0);
  let roll = r.next() * total;
  let kind: string = kinds[0][0];
  for (const [k, w] of kinds) {
    if ((roll -= w) < 0) {
      kind = k;
      break;
    }
  }
  const count = r.int(1, 3);
  const external = () => [...new Set(Array.from({ length: count }, () => address(r, EXTERNAL, 'partner')))];
  const internal = () => [...new Set(Array.from({ length: count }, () => address(r, INTERNAL)))];
  let sender = address(r, INTERNAL, 'sender');
  let recipients = external();
  let type: QuarantineType = 'TransportRule';
  let direction: 'Inbound' | 'Outbound' | undefined;
  let notifiable = true;
  switch (kind) {
    case 'outbound-dlp':
      type = 'DataLossPrevention';
      break;
    case 'outbound-reported': // Reported Outbound and addressed outside: outbound by the second rule.
      type = 'Phish';
      direction = 'Outbound';
      break;
    case 'inbound-phish':
      sender = address(r, EXTERNAL, 'phisher');
      recipients = internal();
      type = 'Phish';
      notifiable = false;
      break;
    case 'inbound-spoofed-internal': // An internal-looking sender on inbound phish: never emailed.
      recipients = internal();
      type = 'HighConfPhish';
      direction = 'Inbound';
      notifiable = false;
      break;
    case 'inbound-spam':
      sender = address(r, EXTERNAL, 'bulk');
      recipients = internal();
      type = 'Spam';
      notifiable = false;
      break;
    case 'no-sender':
      sender = '';
      recipients = internal();
      type = 'Malware';
      direction = 'Outbound'; // the field oddity: no sender, reported Outbound
      notifiable = false;
      break;
    case 'outbound-from-outsider': // A transport rule on mail from outside the tenant: not our sender.
      sender = address(r, EXTERNAL, 'outsider');
      notifiable = false;
      break;
  }
  const retention = type === 'Spam' ? 15 * DAY : 30 * DAY;
  const expiresAt = createdAt + retention;
  const message: Message = {
    n,
    kind,
    subject: `Chaos message ${n} <${kind}> "q${r.int(1, 4)}" & co`,
    sender,
    recipients,
    type,
    direction,
    createdAt,
    expiresAt,
    releases: [],
    released: new Set(),
    notifiable,
    deleted: false,
  };
  // Fate: most are released (in one go or in parts), some never; some are deleted later; some expire.
  const lastChance = Math.min(expiresAt - 2 * HOUR, endAt);
  if (r.chance(0.75)) {
    const by = () => (r.chance(0.25) ? 'system' : r.pick(ADMINS));
    // Late audit records: latency from 30 minutes up to 20 hours (the look-back is 24 hours).
    const latency = () => (r.chance(0.2) ? r.int(6 * 60, 20 * 60) : r.int(30, 120)) * MINUTE;
    const first = createdAt + r.int(1, 3 * 24 * 60) * MINUTE;
    if (first < lastChance) {
      if (recipients.length > 1 && r.chance(0.4)) {
        const split = r.int(1, recipients.length - 1);
        message.releases.push({
          at: first,
          recipients: recipients.slice(0, split),
          by: by(),
          latencyMs: latency(),
        });
        const second = first + r.int(30, 2 * 24 * 60) * MINUTE;
        if (second < lastChance) {
          message.releases.push({
            at: second,
            recipients: recipients.slice(split),
            by: by(),
            latencyMs: latency(),
          });
        }
      } else {
        message.releases.push({ at: first, recipients: [...recipients], by: by(), latencyMs: latency() });
      }
    }
  }
  if (r.chance(0.2)) {
    // Deleted at least a day after it was quarantined and after its last release, so the app saw it.
    const after =
      Math.max(createdAt, ...message.releases.map((p) => p.at)) + DAY + r.int(0, 2 * 24 * 60) * MINUTE;
    if (after < expiresAt) message.deleteAt = after;
  }
  return message;
}

// ---------------------------------------------------------------- faults

type FaultMaker = (sim: Simulator, r: Rng) => string;

const fault =
  (spec: Omit<FaultSpec, 'count'>, name: string, maxCount = 3): FaultMaker =>
  (sim, r) => {
    sim.scenario.injectFault({ ...spec, count: r.int(1, maxCount) });
    return name;
  };

const FAULTS: FaultMaker[] = [
  fault({ service: 'exchange', kind: 'throttle', retryAfterSeconds: 1 }, 'exchange 429 with Retry-After'),
  fault({ service: 'exchange', kind: 'throttle' }, 'exchange 429 without Retry-After'),
  fault({ service: 'exchange', kind: 'concurrency' }, 'exchange 429 concurrency text'),
  fault({ service: 'exchange', kind: 'unavailable' }, 'exchange 503'),
  fault({ service: 'exchange', kind: 'server-error' }, 'exchange 500'),
  fault({ service: 'exchange', kind: 'gateway-timeout' }, 'exchange 504'),
  fault({ service: 'exchange', kind: 'transient' }, 'exchange 400 ServerBusy'),
  fault({ service: 'exchange', kind: 'timeout' }, 'exchange timeout', 1),
  fault({ service: 'exchange', kind: 'reset' }, 'exchange connection reset'),
  fault({ service: 'exchange', kind: 'missing-role' }, 'exchange 403 NUL bytes', 1),
  fault({ service: 'graph', kind: 'throttle', retryAfterSeconds: 1 }, 'graph 429 with Retry-After', 2),
  fault({ service: 'graph', kind: 'throttle' }, 'graph 429 without Retry-After', 2),
  fault({ service: 'graph', kind: 'server-error' }, 'graph 500'),
  fault({ service: 'graph', kind: 'unavailable', retryAfterSeconds: 1 }, 'graph 503'),
  fault({ service: 'graph', kind: 'timeout' }, 'graph timeout', 1),
  fault({ service: 'graph', kind: 'reset' }, 'graph connection reset', 1),
  fault({ service: 'login', kind: 'server-error' }, 'login 500', 1),
  fault({ service: 'acs', kind: 'throttle', retryAfterSeconds: 30 }, 'acs 429 with Retry-After', 2),
  fault({ service: 'acs', kind: 'server-error' }, 'acs 500', 2),
  fault({ service: 'acs', kind: 'timeout' }, 'acs timeout', 1),
  fault({ service: 'acs', kind: 'reset' }, 'acs connection reset', 1),
  (sim, r) => {
    sim.scenario.acs.failNext(r.pick([429, 500, 503]), 1);
    return 'acs failed send';
  },
  (sim) => {
    sim.scenario.acs.loseNextAnswers(1);
    return 'acs accepted, answer lost';
  },
  (sim) => {
    sim.scenario.configureAuditQueries({ failNext: 1 });
    return 'audit query fails';
  },
];

/** Faults that last a few periods: they are switched off again by the driver. */
const SPELLS = ['audit queries hang', 'acs limits'] as const;

// ---------------------------------------------------------------- the job process

class Worker {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  private seq = 0;
  spawned = 0;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  private start(): Promise<void> {
    this.spawned += 1;
    const child = fork(WORKER, [], { env: this.env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    this.child = child;
    return new Promise<void>((resolve, reject) => {
      const onMessage = (m: { type?: string }) => {
        if (m?.type === 'ready') {
          child.off('exit', onExit);
          child.off('message', onMessage);
          resolve();
        }
      };
      const onExit = (code: number | null) =>
        reject(new Error(`worker exited (${code}) before ready: ${stderr}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  /** Runs one job; `killAfterMs` SIGKILLs the process that long after the command, if it has not answered. */
  async run(
    job: 'snapshot' | 'notify',
    now: Date,
    killAfterMs?: number,
    watchdogMs = 120_000,
  ): Promise<{ outcome: 'done' | 'killed' | 'failed'; summary?: Record<string, unknown>; error?: string }> {
    for (
      let attempt = 0;
      !this.child || this.child.exitCode !== null || this.child.signalCode !== null;
      attempt++
    ) {
      this.ready = this.start();
      try {
        await this.ready;
      } catch (error) {
        this.child = undefined;
        if (attempt >= 5) throw error;
        await new Promise((r) => setTimeout(r, 500)); // e.g. Azurite restarting
      }
    }
    const child = this.child;
    const id = ++this.seq;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (value: Awaited<ReturnType<Worker['run']>>) => {
        if (settled) return;
        settled = true;
        clearTimeout(killer);
        clearTimeout(watchdog);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(value);
      };
      const onMessage = (m: {
        type?: string;
        id?: number;
        summary?: Record<string, unknown>;
        error?: string;
      }) => {
        if (m?.type === 'done' && m.id === id)
          finish({ outcome: m.error ? 'failed' : 'done', summary: m.summary, error: m.error });
      };
      const onExit = () => finish({ outcome: 'killed' });
      const kill = () => {
        child.kill('SIGKILL');
      };
      const killer = killAfterMs === undefined ? undefined : setTimeout(kill, killAfterMs);
      const watchdog = setTimeout(kill, watchdogMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ type: 'run', id, job, now: now.toISOString() });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

// ---------------------------------------------------------------- the run

export async function runChaos(options: ChaosOptions): Promise<ChaosFigures> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const r = rng(options.seed);
  const periodMs = (options.periodMinutes ?? 60) * MINUTE;
  const faultRate = options.faultRate ?? 0.4;
  const killRate = options.killRate ?? 0.12;
  const perPeriod = ((options.messagesPerDay ?? 14) * periodMs) / DAY;
  const stormEnd = START + options.days * DAY;

  const dir = mkdtempSync(path.join(tmpdir(), 'qrn-chaos-'));
  const certificate = await ensureCertificate(path.join(ROOT, '.local/certs'));
  const clock = new ManualClock(new Date(START));
  const sim = await startSimulator({ clock, certificate, tokenLifetimeMs: 365 * DAY });
  let azurite: RunningAzurite = await startAzuriteTables({ location: path.join(dir, 'azurite') });
  const azuritePort = azurite.port;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_EXTRA_CA_CERTS: certificate.certPath,
    AZURE_TENANT_ID: sim.tenantId,
    AZURE_CLIENT_ID: sim.clientId,
    AZURE_CLIENT_SECRET: sim.clientSecret,
    AZURE_AUTHORITY_HOST: sim.urls.login,
    EXCHANGE_ADMIN_API_URL: sim.urls.exchange,
    GRAPH_API_URL: sim.urls.graph,
    ACS_CONNECTION_STRING: sim.acsConnectionString,
    EMAIL_SENDER_ADDRESS: sim.senderAddress,
    TABLES_CONNECTION_STRING: azurite.connectionString,
    TABLE_NAME_PREFIX: 'chaos',
    AUDIT_QUERY_POLL_SECONDS: '60',
  };
  const worker = new Worker(env);
  const figures: ChaosFigures = {
    seed: options.seed,
    simulatedDays: options.days,
    periods: 0,
    jobRuns: 0,
    messages: 0,
    releases: 0,
    releasesOutbound: 0,
    faults: {},
    kills: 0,
    azuriteRestarts: 0,
    quietPeriods: 0,
    emailsExpected: 0,
    emailsSent: 0,
    emails: 0,
    duplicated: 0,
    missing: 0,
    unexpected: 0,
    releaseRowsMissing: 0,
    duplicateRows: 0,
    violations: [],
    wallSeconds: 0,
  };
  const count = (name: string) => (figures.faults[name] = (figures.faults[name] ?? 0) + 1);
  const messages: Message[] = [];
  let spellUntil: Partial<Record<(typeof SPELLS)[number], number>> = {};
  let azuriteDown: Promise<void> | undefined;
  let periodFaults: string[] = [];

  const restartAzurite = async (downMs: number) => {
    await azurite.stop();
    await new Promise((res) => setTimeout(res, downMs));
    azurite = await startAzuriteTables({ location: path.join(dir, 'azurite'), port: azuritePort });
  };

  /** One job run, maybe killed, maybe with Azurite restarted under it. */
  const runJob = async (job: 'snapshot' | 'notify', chaos: boolean) => {
    figures.jobRuns += 1;
    const kill = chaos && r.chance(killRate) ? r.int(10, 400) : undefined;
    if (chaos && r.chance(options.azuriteRestartRate ?? 0.015)) {
      count('azurite restart');
      figures.azuriteRestarts += 1;
      const at = r.int(0, 400);
      const down = r.int(200, 1500);
      azuriteDown = new Promise((res) => setTimeout(res, at)).then(() => restartAzurite(down));
    }
    const began = Date.now();
    const result = await worker.run(job, clock.now(), kill);
    const took = Date.now() - began;
    if (took > 2000 && process.env.CHAOS_DEBUG)
      log(`slow ${job} ${took} ms (${result.outcome}) faults: ${periodFaults.join(', ')}`);
    if (azuriteDown) {
      await azuriteDown;
      azuriteDown = undefined;
    }
    if (result.outcome === 'killed') figures.kills += 1;
    return result;
  };

  /** Applies the workload due before `until`. */
  let reviewerCopies = false;
  // A generator of their own, so that the switches leave the seed's workload and faults as they were.
  const sw = rng(options.seed + 1);
  /**
   * The inconvenient service's switches, each turned on and off at random (docs/wire-contract.md):
   * Exchange's own server pages (Prefer honoured or not), pages cut whatever Prefer asks, expiring
   * continuations, nextLinks always refused, empty answers without `value`, a list that hides
   * ReleasedUser, releases copied to a reviewer, ACS operations that fail after their 202, and a reused
   * Operation-Id answered with the earlier operation. A suppressed recipient is not among them: its unit
   * is rightly never told, which this run would count as missing. Server pages are never smaller than the
   * tenant's three accepted domains: Get-AcceptedDomain has no PageSize, so with its nextLink refused a
   * cut list could only be read from Graph, which knows nothing of MatchSubDomains.
   */
  const flipSwitches = () => {
    const flip = (name: string) => {
      const on = sw.chance(0.15);
      if (on) count(`switch: ${name}`);
      return on;
    };
    if (flip('exchange server pages')) {
      sim.scenario.setExchangeQuirks({ serverPageSize: sw.pick([0, 3, 5]), honourPrefer: sw.chance(0.5) });
    }
    if (flip('exchange cuts pages whatever Prefer asks')) {
      sim.scenario.setExchangeQuirks({ cutPagesAt: sw.pick([0, 3, 5]) });
    }
    if (flip('continuation expires')) sim.scenario.setExchangeQuirks({ expireNextContinuations: 1 });
    if (flip('nextLinks refused')) {
      sim.scenario.setExchangeQuirks({ refuseNextLinks: !sim.scenario.exchangeQuirks().refuseNextLinks });
    }
    if (flip('empty answers without value')) {
      sim.scenario.setExchangeQuirks({ emptyValue: sw.pick(['list', 'null', 'absent'] as const) });
    }
    if (flip('list hides ReleasedUser')) {
      sim.scenario.setExchangeQuirks({
        listHidesReleaseFields: !sim.scenario.exchangeQuirks().listHidesReleaseFields,
      });
    }
    if (flip('reviewer copies')) reviewerCopies = !reviewerCopies;
    if (flip('acs fails after accepting')) {
      const on = sim.scenario.acs.quirks().failAfterAccept === 'none';
      sim.scenario.acs.setQuirks({ failAfterAccept: on ? 'generic' : 'none', failAfterAcceptRate: 0.25 });
    }
    if (flip('acs reused id answers earlier')) {
      sim.scenario.acs.setQuirks({
        reusedIdAnswersEarlier: !sim.scenario.acs.quirks().reusedIdAnswersEarlier,
      });
    }
  };

  const applyWorkload = (until: number) => {
    for (const m of messages) {
      if (!m.networkMessageId || m.deleted) continue;
      for (const plan of m.releases) {
        if (plan.at >= until || plan.at < until - periodMs) continue;
        if (plan.at >= m.expiresAt) continue;
        sim.scenario.setAuditLatency(plan.latencyMs);
        try {
          // With the switch on, some releases also send a copy to a reviewer who never was a recipient:
          // that unit must never be told (it is not in m.released).
          const copy = reviewerCopies && m.recipients.length > 0 && sw.chance(0.3) ? [REVIEWER] : [];
          if (copy.length > 0) count('release with a reviewer copy');
          sim.scenario.release({
            networkMessageId: m.networkMessageId,
            recipients: [...plan.recipients, ...copy],
            by: plan.by,
            at: new Date(plan.at),
          });
          for (const to of plan.recipients) m.released.add(to.toLowerCase());
        } catch (error) {
          figures.violations.push(`driver: release of #${m.n} failed: ${(error as Error).message}`);
        }
      }
      if (m.deleteAt !== undefined && m.deleteAt < until) {
        sim.scenario.deleteMessage(m.networkMessageId);
        m.deleted = true;
      }
    }
  };

  try {
    // ------------------------------------------------------------ the storm
    for (let t = START + periodMs; t <= stormEnd; t += periodMs) {
      figures.periods += 1;
      // New messages quarantined during the period.
      let arrivals = Math.floor(perPeriod) + (r.chance(perPeriod - Math.floor(perPeriod)) ? 1 : 0);
      while (arrivals-- > 0) {
        const createdAt = t - r.int(1, periodMs / MINUTE - 1) * MINUTE;
        const m = planMessage(r, messages.length + 1, createdAt, stormEnd);
        messages.push(m);
      }
      clock.set(new Date(t));
      for (const m of messages) {
        if (m.networkMessageId || m.createdAt >= t) continue;
        m.networkMessageId = sim.scenario.addMessage({
          sender: m.sender,
          recipients: m.recipients,
          subject: m.subject,
          type: m.type,
          direction: m.direction,
          receivedAt: new Date(m.createdAt),
          expiresAt: new Date(m.expiresAt),
        }).networkMessageId;
      }
      applyWorkload(t);

      // Faults for this period.
      sim.scenario.clearFaults();
      periodFaults = [];
      for (const spell of SPELLS) {
        if (spellUntil[spell] !== undefined && spellUntil[spell]! <= t) {
          if (spell === 'audit queries hang') sim.scenario.configureAuditQueries({ hang: false });
          else sim.scenario.acs.setLimits({ perMinute: 5, perHour: 10 });
          delete spellUntil[spell];
        }
      }
      if (r.chance(faultRate)) {
        for (let i = r.int(1, 3); i > 0; i--) {
          const name = r.pick(FAULTS)(sim, r);
          count(name);
          periodFaults.push(name);
        }
        if (r.chance(0.1) && spellUntil['audit queries hang'] === undefined) {
          sim.scenario.configureAuditQueries({ hang: true });
          spellUntil['audit queries hang'] = t + r.int(1, 4) * periodMs;
          count('audit queries hang');
        }
        if (r.chance(0.1) && spellUntil['acs limits'] === undefined) {
          sim.scenario.acs.setLimits({ perMinute: 1, perHour: 2 });
          spellUntil['acs limits'] = t + r.int(1, 4) * periodMs;
          count('acs limits');
        }
      }

      flipSwitches();
      await runJob('snapshot', true);
      await runJob('notify', true);
      if (figures.periods % 24 === 0) {
        log(
          `day ${((t - START) / DAY).toFixed(1)}: ${messages.length} messages, ${sim.scenario.emails().length} emails, ` +
            `${figures.kills} kills, ${Object.values(figures.faults).reduce((a, b) => a + b, 0)} faults`,
        );
      }
    }

    // ------------------------------------------------------------ faults off; run until quiet
    sim.scenario.clearFaults();
    sim.scenario.configureAuditQueries({ hang: false, failNext: 0 });
    sim.scenario.acs.setLimits({ perMinute: 5, perHour: 10 });
    // Failed deliveries off too (a unit must be deliverable in the end); the other switches stay as they are.
    sim.scenario.acs.setQuirks({ failAfterAccept: 'none' });
    sim.scenario.setExchangeQuirks({ expireNextContinuations: 0 });
    spellUntil = {};
    const releasesTable = TableClient.fromConnectionString(azurite.connectionString, 'chaosReleases', {
      allowInsecureConnection: true,
    });
    const notificationsTable = TableClient.fromConnectionString(
      azurite.connectionString,
      'chaosNotifications',
      {
        allowInsecureConnection: true,
      },
    );
    let quietSince = -1;
    let lastEmails = -1;
    for (let t = stormEnd + periodMs; ; t += periodMs) {
      clock.set(new Date(t));
      figures.quietPeriods += 1;
      await runJob('snapshot', false);
      await runJob('notify', false);
      const inFlight: string[] = [];
      for await (const row of releasesTable.listEntities<Record<string, unknown>>({
        queryOptions: { filter: "status eq 'pending'" },
      }))
        inFlight.push(
          `release ${row.partitionKey}|${row.releasedTo} pending (${row.reason}; notification ${row.notificationId})`,
        );
      for await (const row of notificationsTable.listEntities<Record<string, unknown>>({
        queryOptions: { filter: "state eq 'sending' or state eq 'sent'" },
      }))
        inFlight.push(`notification ${row.rowKey} ${row.state} (${row.lastError}) units ${row.units}`);
      const busy = inFlight.length;
      const emails = sim.scenario.emails().length;
      // Quiet: past the longest audit latency, nothing pending, no email for three periods.
      if (busy === 0 && emails === lastEmails && t - stormEnd > 26 * HOUR) {
        if (quietSince < 0) quietSince = t;
        if (t - quietSince >= 3 * periodMs) break;
      } else quietSince = -1;
      lastEmails = emails;
      if (t - stormEnd > 6 * DAY) {
        figures.violations.push(`not quiet 6 days after the storm: ${inFlight.join('; ')}`);
        break;
      }
    }

    // ------------------------------------------------------------ invariants
    await check(figures, messages, sim.scenario.emails(), releasesTable, sim);
  } finally {
    await worker.stop();
    if (azuriteDown) await azuriteDown.catch(() => undefined);
    await sim.close();
    await azurite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  figures.messages = messages.filter((m) => m.networkMessageId).length;
  figures.wallSeconds = Math.round((Date.now() - started) / 1000);
  return figures;
}

/** Which (message, released-to) units an email tells, read from its plain text. */
export function unitsOf(email: CapturedEmail): { subject: string; releasedTo: string[] }[] {
  const out: { subject: string; releasedTo: string[] }[] = [];
  let subject: string | undefined;
  for (const line of (email.plainText ?? '').split('\n')) {
    const s = /^Subject: (.*)$/.exec(line);
    if (s) subject = s[1];
    const to = /^(?:Now also released|Released) to: (.*)$/i.exec(line);
    if (to && subject !== undefined) {
      out.push({ subject, releasedTo: to[1].split(', ').map((a) => a.trim().toLowerCase()) });
      subject = undefined;
    }
  }
  return out;
}

async function check(
  figures: ChaosFigures,
  messages: Message[],
  emails: CapturedEmail[],
  releasesTable: TableClient,
  sim: Simulator,
): Promise<void> {
  const v = figures.violations;
  const bySubject = new Map(messages.map((m) => [m.subject, m]));
  const accepted = (a: string) => {
    const domain = a.split('@')[1] ?? '';
    return sim.scenario
      .acceptedDomains()
      .some(
        (d) => domain === d.domainName || (d.matchSubDomains === true && domain.endsWith(`.${d.domainName}`)),
      );
  };

  // Expected: every released unit of a notifiable message.
  const expected = new Set<string>();
  const released = new Set<string>();
  for (const m of messages) {
    for (const to of m.released) {
      const key = `${m.networkMessageId}|${to}`;
      released.add(key);
      if (m.notifiable) expected.add(key);
    }
  }
  figures.releases = released.size;
  figures.releasesOutbound = expected.size;
  figures.emailsExpected = expected.size;
  figures.emails = emails.length;

  // Told, by the outbox.
  const told = new Map<string, number>();
  const tellers = new Map<string, string[]>();
  for (const email of emails) {
    const to = email.to.map((t) => t.address.toLowerCase());
    for (const address of to) {
      if (!accepted(address)) v.push(`email to ${address}, outside the accepted domains`);
      if (/system/i.test(address)) v.push(`email to a system actor: ${address}`);
    }
    const units = unitsOf(email);
    if (units.length === 0) v.push(`an email names no released message: ${email.subject}`);
    for (const unit of units) {
      const m = bySubject.get(unit.subject.replace(/&amp;/g, '&'));
      if (!m) {
        v.push(`an email names an unknown message: ${unit.subject}`);
        continue;
      }
      if (!m.notifiable) v.push(`an email for a message that must not be told (${m.kind}): #${m.n}`);
      if (!to.includes(m.sender.toLowerCase()))
        v.push(`an email about #${m.n} went to ${to.join(',')}, not its sender`);
      for (const r of unit.releasedTo) {
        const key = `${m.networkMessageId}|${r}`;
        told.set(key, (told.get(key) ?? 0) + 1);
        tellers.set(key, [
          ...(tellers.get(key) ?? []),
          `${email.operationId?.slice(0, 8)}@${email.acceptedAt}`,
        ]);
        if (!expected.has(key)) figures.unexpected += 1;
      }
    }
  }
  for (const [key, n] of told) {
    if (n > 1) {
      figures.duplicated += n - 1;
      v.push(`told ${n} times: ${key} (${tellers.get(key)?.join(', ')})`);
    }
  }
  figures.emailsSent = [...told.keys()].filter((k) => expected.has(k)).length;
  for (const key of expected) {
    if (!told.has(key)) {
      figures.missing += 1;
      v.push(`never told: ${key}`);
    }
  }
  if (figures.unexpected > 0) v.push(`${figures.unexpected} units told that must not be`);

  // The composite view: every released unit has exactly one row.
  const rows = new Map<string, number>();
  for await (const e of releasesTable.listEntities<Record<string, unknown>>()) {
    const key = `${String(e.networkMessageId).toLowerCase()}|${String(e.releasedTo).toLowerCase()}`;
    rows.set(key, (rows.get(key) ?? 0) + 1);
  }
  for (const key of released) {
    if (!rows.has(key)) {
      figures.releaseRowsMissing += 1;
      v.push(`release lost from the composite view: ${key}`);
    }
  }
  for (const [key, n] of rows) {
    if (n > 1) {
      figures.duplicateRows += n - 1;
      v.push(`duplicate release rows: ${key}`);
    }
  }
}

export function formatFigures(f: ChaosFigures): string {
  const faults = Object.entries(f.faults)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `    ${k.padEnd(34)} ${n}`)
    .join('\n');
  const total = Object.values(f.faults).reduce((a, b) => a + b, 0);
  return [
    `chaos run, seed ${f.seed}`,
    `  simulated days          ${f.simulatedDays} (${f.periods} periods, then ${f.quietPeriods} quiet ones)`,
    `  job runs                ${f.jobRuns}`,
    `  messages quarantined    ${f.messages}`,
    `  releases (units)        ${f.releases} (${f.releasesOutbound} of outbound mail)`,
    `  faults injected         ${total}`,
    faults,
    `  kills (SIGKILL)         ${f.kills}`,
    `  Azurite restarts        ${f.azuriteRestarts}`,
    `  emails expected         ${f.emailsExpected}`,
    `  emails sent             ${f.emailsSent} (in ${f.emails} emails)`,
    `  duplicated              ${f.duplicated}`,
    `  missing                 ${f.missing}`,
    `  unexpected              ${f.unexpected}`,
    `  releases lost from view ${f.releaseRowsMissing}`,
    `  duplicate rows          ${f.duplicateRows}`,
    `  wall time               ${f.wallSeconds} s`,
    f.violations.length === 0
      ? '  invariants              all hold'
      : `  INVARIANTS BROKEN (${f.violations.length}):\n${f.violations
          .slice(0, 40)
          .map((x) => `    - ${x}`)
          .join('\n')}`,
  ].join('\n');
}
