import type { QuarantinedMessage } from '../../core/domain';
import { withConcurrency } from '../../core/concurrency';
import { isolate, SET_ASIDE } from '../isolate';
import type { NotifyDependencies, NotifySummary } from './run-state';

/** Snapshot lookups in flight at once: one partition query each, bounded so a catch-up never floods the table. */
export const SNAPSHOT_LOOKUPS_IN_FLIGHT = 8;

/**
 * The snapshot rows of each released message, looked up in bounded parallel before the join decides
 * anything. A lookup that fails for a reason of its own is set aside (docs/architecture.md#set-aside); an
 * outage fails the pass before any release row is written.
 */
export async function lookUpSnapshot(
  deps: NotifyDependencies,
  summary: NotifySummary,
  networkMessageIds: readonly string[],
  inFlight = SNAPSHOT_LOOKUPS_IN_FLIGHT,
): Promise<Map<string, QuarantinedMessage[] | typeof SET_ASIDE>> {
  const found = new Map<string, QuarantinedMessage[] | typeof SET_ASIDE>();
  await withConcurrency(networkMessageIds, inFlight, async (networkMessageId) => {
    found.set(
      networkMessageId,
      await isolate(deps, summary, 'message', networkMessageId, () =>
        deps.quarantine.findByNetworkMessageId(networkMessageId),
      ),
    );
  });
  return found;
}
