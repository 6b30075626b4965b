import type { QuarantinedMessage, ReleaseEvent } from '../../core/domain';
import type { WriteResult } from '../../store/quarantine-store';
import type { RecordOutcome } from '../../store/releases-store';
import type { ReleasesPort, StatePort } from '../notify/ports';

/**
 * The narrow store interfaces the snapshot job (lib/jobs/snapshot.ts) and its releases-seen-early pass
 * (lib/jobs/releases-seen-early.ts) use; the table-backed stores implement them.
 */

/** The snapshot table as the snapshot writes it. */
export interface QuarantineWriter {
  /** Upserts the messages (idempotent). */
  upsertMany(messages: readonly QuarantinedMessage[]): Promise<WriteResult>;
  /** Deletes rows whose retention ended before `before`; how many. */
  purgeExpired(before: Date): Promise<number>;
}

/** The releases table as releases seen early in the quarantine status reach it. */
export interface ReleasesSeenPort {
  record(event: ReleaseEvent, now: Date): Promise<RecordOutcome>;
  /** New units written at once (see lib/jobs/notify/ports.ts, ReleasesPort.writeMany). */
  writeMany: ReleasesPort['writeMany'];
  /** The units recorded with a release time at or after `since`, as `releaseUnitKey` strings. */
  knownUnitsSince(since: Date): Promise<Set<string>>;
}

/** The snapshot's checkpoint and lease. */
export type SnapshotStatePort = StatePort;
