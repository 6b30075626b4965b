import type { QuarantinedMessage, ReleaseEvent } from '../../core/domain';
import type { NotificationRecord } from '../../store/notifications-store';
import type {
  RecordOutcome,
  ReleaseRow,
  ReleaseWrite,
  ReleaseWriteOutcome,
  StoredRelease,
} from '../../store/releases-store';
import type { RunLease } from '../../store/state-store';

/**
 * The narrow store interfaces the notify job uses. The table-backed stores (lib/store/*-store.ts)
 * implement them for production; lib/store/memory/ implements them in memory, and both pass the same
 * contract tests (test/store/contracts/), so notify's crash, retry and ordering rules can be tested in
 * milliseconds without a table service.
 */

/** One row per released unit (message, released-to address). */
export interface ReleasesPort {
  /** Records a release event: a new unit becomes pending; a known one is completed, never reset. */
  record(event: ReleaseEvent, now: Date): Promise<RecordOutcome>;
  get(networkMessageId: string, releasedTo: string): Promise<StoredRelease | undefined>;
  /** Replaces a row, guarded by its ETag when it has one: the new ETag, or undefined on a lost race. */
  update(row: ReleaseRow & { etag?: string }): Promise<string | undefined>;
  /**
   * Writes many rows: one entity-group transaction per message (at most 100 rows each, each row at most
   * once), a few messages at a time. Per write, in order: the row's new ETag; `conflict` when its
   * transaction lost a race (a guarded row changed, or a new row exists), in which case nothing in that
   * transaction was written; or the error that refused the transaction.
   */
  writeMany(writes: readonly ReleaseWrite[]): Promise<ReleaseWriteOutcome[]>;
  listPending(): AsyncIterable<StoredRelease>;
  listForMessage(networkMessageId: string): Promise<StoredRelease[]>;
  /** Deletes settled rows released before `before`; how many. */
  purgeSettledBefore(before: Date): Promise<number>;
}

/** One record per email, written before it is sent. */
export interface NotificationsPort {
  get(sender: string, id: string): Promise<NotificationRecord | undefined>;
  /** False when a notification with this id already exists; on success the record carries its new ETag. */
  create(record: NotificationRecord): Promise<boolean>;
  /**
   * Replaces a notification, guarded by its ETag when it has one; false on a lost race. On success the
   * record carries its new ETag.
   */
  update(record: NotificationRecord): Promise<boolean>;
  /** Notifications in state sending or sent. */
  listUnfinished(): Promise<NotificationRecord[]>;
  /** Accepted notifications whose final status is not known yet, at most `limit`. */
  listAwaitingDelivery(limit: number): Promise<NotificationRecord[]>;
  purgeFinishedBefore(before: Date): Promise<number>;
}

/** Per-job checkpoints and the lease. */
export interface StatePort {
  read<T>(job: string, key: string): Promise<T | undefined>;
  write<T>(job: string, key: string, value: T): Promise<void>;
  /** The values of many keys of one job, by key; keys without a value are left out. */
  readMany<T>(job: string, keys: readonly string[]): Promise<Map<string, T>>;
  /** Writes many values of one job (the last of a key given twice wins). */
  writeMany<T>(job: string, entries: readonly { key: string; value: T }[]): Promise<void>;
  /** The lease, or undefined while another run holds an unexpired one. */
  acquireLease(job: string, owner: string, durationMs: number): Promise<RunLease | undefined>;
}

/** The snapshot, as the join reads it: every row of one message (one per recipient). */
export interface QuarantineLookup {
  findByNetworkMessageId(networkMessageId: string): Promise<QuarantinedMessage[]>;
}
