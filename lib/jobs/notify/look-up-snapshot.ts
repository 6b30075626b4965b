import { limiter } from '../../core/concurrency';
import { isolate } from '../isolate';
import type { NotifyDependencies, NotifySummary, RunState } from './run-state';

/** Snapshot lookups in flight at once: one partition query each, bounded so a catch-up never floods the table. */
export const SNAPSHOT_LOOKUPS_IN_FLIGHT = 8;

/**
 * Looks up the snapshot rows of released messages into the run's `snapshot`, at most `inFlight` at once,
 * in the order they are asked for, each message once. A lookup that fails for a reason of its own is set
 * aside (docs/architecture.md#set-aside); an outage fails whoever waits for that message.
 */
export function snapshotLookups(
  deps: NotifyDependencies,
  summary: NotifySummary,
  run: Pick<RunState, 'snapshot'>,
  inFlight = SNAPSHOT_LOOKUPS_IN_FLIGHT,
) {
  const slot = limiter(inFlight);
  const started = new Map<string, Promise<void>>();
  return {
    /** Starts the lookups of the messages not asked for yet; resolves once every one of them is known. */
    async lookUp(networkMessageIds: Iterable<string>): Promise<void> {
      const waits: Promise<void>[] = [];
      for (const id of networkMessageIds) {
        let lookup = started.get(id);
        if (!lookup) {
          lookup = slot(async () => {
            const found = await isolate(deps, summary, 'message', id, () =>
              deps.quarantine.findByNetworkMessageId(id),
            );
            run.snapshot.set(id, found);
          });
          lookup.catch(() => undefined); // heard by whoever waits for this message
          started.set(id, lookup);
        }
        waits.push(lookup);
      }
      await Promise.all(waits);
    },
    /** Resolves once every lookup started has ended, however it ended. */
    async settled(): Promise<void> {
      await Promise.allSettled(started.values());
    },
  };
}
