import { randomUUID } from 'node:crypto';
import { MINUTE } from '../core/clock';
import { renewedAtMost } from './lease-renewal';
import { checkDeliveries } from './delivery-status';
import { recordSuccessfulRun } from './last-run';
import { collectAuditReleases } from './notify/collect-audit-releases';
import { joinAndSend } from './notify/join-to-snapshot';
import { MessageGate } from './notify/message-gate';
import { logSummary } from './notify/log-summary';
import { purgeSettledIfDue } from './notify/purge-settled';
import { recoverUncertainSends } from './notify/recover-uncertain-sends';
import { writeHeldDecisions } from './notify/release-rows';
import { emptySummary, type NotifyDependencies, type NotifySummary, type RunState } from './notify/run-state';

export type { NotifyDependencies, NotifySummary } from './notify/run-state';

const LEASE_MS = 15 * MINUTE;

/**
 * The notify job: reads new releases from the audit source, joins every pending release to the
 * snapshot, decides who may be told, and sends one email per sender, exactly once (docs/architecture.md:
 * #audit-reading, #outbound, #exactly-once, #release-sources).
 */
export async function runNotify(deps: NotifyDependencies): Promise<NotifySummary> {
  const started = deps.clock.now();
  const summary = emptySummary();

  const lease = await deps.state.acquireLease('notify', randomUUID(), LEASE_MS);
  if (!lease) {
    summary.outcome = 'busy';
    deps.logger.info('notify: another run holds the lease; nothing done');
    return summary;
  }
  try {
    const run: RunState = {
      stillLeased: renewedAtMost(LEASE_MS / 5, deps.clock, () => lease.renew()),
      sendsClaimed: 0,
      matched: new Set(),
      failedThisRun: new Set(),
      rows: new Map(),
      snapshot: new Map(),
      // Decisions that send nothing wait for the audit records that may complete the same rows.
      heldDecisions: deps.auditSource ? [] : undefined,
    };
    await recoverUncertainSends(deps, summary);
    summary.deliveries = await checkDeliveries({ ...deps, maxAttempts: deps.settings.email.maxAttempts });
    if (deps.auditSource) {
      // Releases already known (seen early in the quarantine status, or carried over) go out first:
      // their senders should not wait for an audit query that can take many minutes. The query is asked
      // for meanwhile; a message's records are recorded once this pass is done with that message.
      const gate = new MessageGate();
      const knownReleases = joinAndSend(deps, summary, run, 'table', gate);
      knownReleases.catch(() => undefined); // its failure is the run's, thrown below
      await collectAuditReleases(deps, deps.auditSource, summary, run, knownReleases, gate);
      await knownReleases;
      await writeHeldDecisions(deps, run);
      // What is still waiting is counted by the last pass only.
      summary.pending = 0;
      summary.carriedOver = 0;
      // The releases are read once per run: the second pass works on the rows the run holds.
      await joinAndSend(deps, summary, run, 'run');
    } else {
      await joinAndSend(deps, summary, run, 'table');
    }
    summary.matched = run.matched.size;
    await purgeSettledIfDue(deps, summary);
    await recordSuccessfulRun(deps.state, 'notify', deps.clock.now()); // for GET /api/health
  } finally {
    await lease.release();
    summary.durationMs = deps.clock.now().getTime() - started.getTime();
    logSummary(deps.logger, summary);
  }
  return summary;
}
