import { randomUUID } from 'node:crypto';
import { loadSettings } from '../../lib/config/settings';
import { MINUTE, ManualClock } from '../../lib/core/clock';
import type { QuarantinedMessage } from '../../lib/core/domain';
import { MemoryLogger } from '../../lib/core/log';
import { runNotify, type NotifyDependencies, type NotifySummary } from '../../lib/jobs/notify';
import { runSnapshot, type SnapshotDeps, type SnapshotSummary } from '../../lib/jobs/snapshot';
import type { Tenant } from '../../lib/simulator/state';
import type { EmailChannel, OperationState, OutgoingEmail, SendOutcome } from '../../lib/mail/channel';
import { MemoryNotifications } from '../../lib/store/memory/notifications';
import { MemoryQuarantine } from '../../lib/store/memory/quarantine';
import { MemoryReleases } from '../../lib/store/memory/releases';
import { MemoryState } from '../../lib/store/memory/state';
import { quarantinedMessage } from '../store/contracts/quarantine.contract';
import { InProcessAuditSource, InProcessExchange, inProcessTenant } from './memory-m365';

/** An email channel whose answers a test scripts; it remembers every send and which ones it took. */
export class ScriptedChannel implements EmailChannel {
  readonly name = 'acs' as const;
  readonly supportsStatus = true;
  readonly sends: { email: OutgoingEmail; operationId: string; outcome: SendOutcome }[] = [];
  /** Operation ids the service took (answered 'accepted' to status). */
  readonly taken = new Set<string>();
  /** The next sends' outcomes, in order; 'accepted' once the script runs out. */
  readonly script: (SendOutcome | 'taken, answer lost')[] = [];

  async send(email: OutgoingEmail, operationId: string): Promise<SendOutcome> {
    const next = this.script.shift() ?? { kind: 'accepted' };
    const outcome: SendOutcome =
      next === 'taken, answer lost' ? { kind: 'failed', permanent: false, reason: 'timeout' } : next;
    if (next === 'taken, answer lost' || outcome.kind === 'accepted') this.taken.add(operationId);
    this.sends.push({ email, operationId, outcome });
    return outcome;
  }

  async status(operationId: string): Promise<OperationState> {
    return this.taken.has(operationId) ? 'accepted' : 'unknown';
  }

  /** The emails the service took, in order (one per operation id it took). */
  emails(): OutgoingEmail[] {
    const seen = new Set<string>();
    return this.sends
      .filter((s) => this.taken.has(s.operationId) && !seen.has(s.operationId) && seen.add(s.operationId))
      .map((s) => s.email);
  }

  /** Emails the service took, per recipient: one per operation id (the service de-duplicates by it). */
  delivered(): Map<string, number> {
    const ids = new Map<string, Set<string>>();
    for (const s of this.sends) {
      if (!this.taken.has(s.operationId)) continue;
      ids.set(s.email.to, (ids.get(s.email.to) ?? new Set()).add(s.operationId));
    }
    return new Map([...ids].map(([to, set]) => [to, set.size]));
  }
}

export interface MemoryTenant {
  clock: ManualClock;
  logger: MemoryLogger;
  releases: MemoryReleases;
  notifications: MemoryNotifications;
  state: MemoryState;
  quarantine: MemoryQuarantine;
  channel: ScriptedChannel;
  deps: NotifyDependencies;
  /** A message from `sender` quarantined for `recipients`, in the snapshot, and released to each of them. */
  release(sender: string, recipients: string[], releasedAt?: string): Promise<string>;
}

/**
 * A whole tenant for the notify job on the in-memory ports: no table service, no simulator. Releases are
 * known before the run (RELEASE_SOURCES quarantine: no audit source).
 */
export function memoryTenant(settings: Record<string, string> = {}): MemoryTenant {
  const clock = new ManualClock('2026-03-02T12:00:00Z');
  const logger = new MemoryLogger();
  const releases = new MemoryReleases();
  const notifications = new MemoryNotifications();
  const state = new MemoryState(clock);
  const quarantine = new MemoryQuarantine({ clock });
  const channel = new ScriptedChannel();
  const loaded = loadSettings({
    AZURE_TENANT_ID: '00000000-0000-4000-8000-000000000001',
    AZURE_CLIENT_ID: '00000000-0000-4000-8000-000000000002',
    AZURE_CLIENT_SECRET: 'secret',
    ACS_CONNECTION_STRING: 'endpoint=https://acs.example.net/;accesskey=a2V5',
    EMAIL_SENDER_ADDRESS: 'DoNotReply@notify.contoso.com',
    TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true',
    ACCEPTED_DOMAINS: 'contoso.com',
    RELEASE_SOURCES: 'quarantine',
    ...settings,
  });
  const deps: NotifyDependencies = {
    settings: loaded,
    clock,
    logger,
    state,
    releases,
    notifications,
    quarantine,
    tenantDomains: async () => ({ isAccepted: (a) => a.toLowerCase().endsWith('@contoso.com') }),
    channel,
  };
  return {
    clock,
    logger,
    releases,
    notifications,
    state,
    quarantine,
    channel,
    deps,
    async release(sender, recipients, releasedAt = clock.now().toISOString()) {
      const networkMessageId = randomUUID();
      const rows: QuarantinedMessage[] = recipients.map((r) =>
        quarantinedMessage(networkMessageId, r, { senderAddress: sender }),
      );
      await quarantine.upsertMany(rows);
      for (const releasedTo of recipients) {
        await releases.record(
          {
            id: randomUUID(),
            source: 'quarantine',
            networkMessageId,
            releasedTo,
            releasedAt,
            releasedBy: 'admin@contoso.com',
            releasedByRaw: 'admin@contoso.com',
            isSystemRelease: false,
          },
          clock.now(),
        );
      }
      return networkMessageId;
    },
  };
}

export interface MemoryWorld extends MemoryTenant {
  /** The Microsoft 365 tenant model the jobs read (lib/simulator/state.ts), in process. */
  m365: Tenant;
  exchange: InProcessExchange;
  audit: InProcessAuditSource;
  snapshotDeps: SnapshotDeps;
  runSnapshot(): Promise<SnapshotSummary>;
  runNotify(): Promise<NotifySummary>;
  /** One 15-minute period of the unattended schedule: the clock moves on, then snapshot, then notify. */
  runPeriod(): Promise<{ snapshot: SnapshotSummary; notify: NotifySummary }>;
}

/**
 * Both jobs on the in-memory stores, reading Microsoft 365 in process (test/support/memory-m365.ts):
 * the snapshot with its fast path, notify with the audit log (RELEASE_SOURCES both, unless set), one
 * clock for all. Messages are quarantined and released through `m365` as in the simulator suites.
 */
export function memoryWorld(settings: Record<string, string> = {}): MemoryWorld {
  const t = memoryTenant({ RELEASE_SOURCES: 'both', ...settings });
  t.clock.set('2026-03-02T16:00:00Z'); // as test/support/world.ts: after every fixture row was received
  const m365 = inProcessTenant(t.clock);
  const exchange = new InProcessExchange(m365);
  const audit = new InProcessAuditSource(m365, t.clock);
  if (t.deps.settings.releaseSources !== 'quarantine') t.deps.auditSource = audit;
  const snapshotDeps: SnapshotDeps = {
    exchange,
    quarantine: t.quarantine,
    state: t.state,
    clock: t.clock,
    logger: t.logger,
    settings: t.deps.settings,
    releases: t.releases,
  };
  const world: MemoryWorld = {
    ...t,
    m365,
    exchange,
    audit,
    snapshotDeps,
    runSnapshot: () => runSnapshot(snapshotDeps),
    runNotify: () => runNotify(t.deps),
    async runPeriod() {
      t.clock.advance(15 * MINUTE);
      const snapshot = await world.runSnapshot();
      const notify = await world.runNotify();
      return { snapshot, notify };
    },
  };
  return world;
}
