import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { ReleaseEvent, ReleaseSource } from '../core/domain';
import { releaseReason, releaseReasonOf, type ReleaseReason } from '../core/outcomes';
import { boundedText, hashedKey, legacyEncodedKey } from './keys';
import { deleteWhere, getEntityOrUndefined, inTransactions, isStatus, odataString } from './tables';
import { withConcurrency } from '../core/concurrency';

/**
 * The releases table: the composite view "who released what, for whom".
 *
 * One row per released unit, (NetworkMessageId, released-to address) (docs/architecture.md#exactly-once): the
 * audit record and the quarantine's own release status can both report the same release, and re-read audit
 * records must not be handled twice, so the unit, not a source's record id, is the key. The audit record ids
 * that reported the unit are kept on the row.
 */

export type ReleaseStatus = 'pending' | 'notified' | 'skipped' | 'unmatched' | 'failed';

export interface ReleaseRow {
  networkMessageId: string;
  /** Lower-case address, or '' when the source named no recipient. */
  releasedTo: string;
  status: ReleaseStatus;
  /** The sentence a person reads: why, with its details. */
  reason?: string;
  /**
   * The reason's code (lib/core/outcomes.ts), given where the reason is decided; a row written with a
   * sentence alone gets the code its sentence reads as.
   */
  reasonCode?: ReleaseReason;
  /** Exact release time from the audit record, else when the quarantine status first showed it. */
  releasedAt: string;
  releasedBy?: string;
  releasedByRaw?: string;
  releasedThrough?: string;
  isSystemRelease: boolean;
  sources: ReleaseSource[];
  auditRecordIds: string[];
  firstSeenAt: string;
  // Joined from the snapshot (the sender is known before the join when the snapshot saw the release early).
  sender?: string;
  originalRecipients?: string[];
  subject?: string;
  receivedAt?: string;
  expiresAt?: string;
  type?: string;
  policyType?: string;
  policyName?: string;
  direction?: string;
  outbound?: boolean;
  // Notification.
  /** The notification in flight or sent for this unit. */
  notificationId?: string;
  sendAttempts?: number;
  notifiedAt?: string;
  /** When the email service confirmed delivery (ACS Succeeded), where it can tell. */
  deliveredAt?: string;
  updatedAt: string;
  /** The RowKey the row was read under (rows written before keys were hashed keep theirs). */
  storedRowKey?: string;
}

/** A release row as read: its ETag guards the next write (docs/architecture.md#exactly-once). */
export type StoredRelease = ReleaseRow & { etag: string };

/** One row's write in a batch: a new row, or a replacement guarded by the ETag it was read with. */
export interface ReleaseWrite {
  row: ReleaseRow;
  /** Replace only this version of the row; without it (and without `create`), replace whatever is there. */
  etag?: string;
  /** A new row: refused as a conflict when the row exists. */
  create?: boolean;
}

/** How one row's write in a batch went. */
export type ReleaseWriteOutcome = { etag: string } | { conflict: true } | { error: unknown };

interface ReleaseEntity {
  partitionKey: string;
  rowKey: string;
  etag?: string;
  [key: string]: unknown;
}

const ARRAY_FIELDS = ['sources', 'auditRecordIds', 'originalRecipients'] as const;

/**
 * The RowKey of a released-to address: a hash of the (bounded) outside text, never the text itself
 * (lib/store/keys.ts). Rows written earlier under `encodeURIComponent` keys are still read and updated
 * under their own key (`storedRowKey`); they are not migrated.
 */
export function releaseRowKey(releasedTo: string): string {
  return releasedTo === '' ? '~' : hashedKey(boundedText(releasedTo));
}

/** Messages written at once by `writeMany`. */
const PARTITIONS_IN_FLIGHT = 8;

function toEntity(row: ReleaseRow & { etag?: string }): ReleaseEntity {
  const entity: ReleaseEntity = {
    partitionKey: row.networkMessageId,
    rowKey: row.storedRowKey ?? releaseRowKey(row.releasedTo),
  };
  for (const [key, value] of Object.entries(row)) {
    if (value === undefined || key === 'storedRowKey' || key === 'reasonCode' || key === 'etag') continue;
    entity[key] = (ARRAY_FIELDS as readonly string[]).includes(key) ? JSON.stringify(value) : value;
  }
  // The code given where the reason was decided; else (a sentence alone) the code its sentence reads as.
  const reasonCode = row.reason === undefined ? undefined : (row.reasonCode ?? releaseReasonOf(row.reason));
  if (reasonCode) entity.reasonCode = reasonCode;
  return entity;
}

function fromEntity(entity: Record<string, unknown>): ReleaseRow & { etag: string } {
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entity)) {
    if (['partitionKey', 'rowKey', 'timestamp', 'odata.metadata'].includes(key)) continue;
    row[key] =
      (ARRAY_FIELDS as readonly string[]).includes(key) && typeof value === 'string'
        ? JSON.parse(value)
        : value;
  }
  if (typeof entity.rowKey === 'string' && entity.rowKey !== releaseRowKey(String(row.releasedTo ?? '')))
    row.storedRowKey = entity.rowKey;
  // A row written before reason codes holds the sentence only: its code is read from the sentence.
  if (typeof row.reason === 'string' && typeof row.reasonCode !== 'string')
    row.reasonCode = releaseReasonOf(row.reason);
  return row as unknown as ReleaseRow & { etag: string };
}

/** The key `knownUnitsSince` uses for a unit. */
export function releaseUnitKey(networkMessageId: string, releasedTo: string): string {
  return `${networkMessageId}|${releaseRowKey(releasedTo)}`;
}

export type RecordOutcome = 'new' | 'completed' | 'duplicate';

export class ReleasesStore {
  constructor(private readonly table: TableClient) {}

  async get(
    networkMessageId: string,
    releasedTo: string,
  ): Promise<(ReleaseRow & { etag: string }) | undefined> {
    const entity =
      (await getEntityOrUndefined<Record<string, unknown>>(
        this.table,
        networkMessageId,
        releaseRowKey(releasedTo),
      )) ?? (await this.getLegacy(networkMessageId, releasedTo));
    return entity ? fromEntity(entity) : undefined;
  }

  /** A row written before keys were hashed, under its `encodeURIComponent` key. */
  private async getLegacy(networkMessageId: string, releasedTo: string) {
    const legacy = releasedTo === '' ? undefined : legacyEncodedKey(releasedTo);
    if (legacy === undefined || legacy === releaseRowKey(releasedTo)) return undefined;
    return getEntityOrUndefined<Record<string, unknown>>(this.table, networkMessageId, legacy);
  }

  /**
   * Records one release event. A new unit becomes a pending row; an event for a known unit completes
   * the row (an audit record brings the exact time and releaser to a release first seen in the
   * quarantine status) and never resets its status, so it can never cause a second email.
   */
  async record(event: ReleaseEvent, now: Date): Promise<RecordOutcome> {
    for (let attempt = 0; ; attempt++) {
      // Outside text: kept well-formed and bounded, so its key and its property always agree.
      const releasedTo = boundedText(event.releasedTo ?? '');
      const existing = await this.get(event.networkMessageId, releasedTo);
      if (!existing) {
        const row = newReleaseRow(event, releasedTo, now);
        try {
          await this.table.createEntity(toEntity(row));
          return 'new';
        } catch (error) {
          if (isStatus(error, 409) && attempt < 3) continue; // recorded meanwhile: merge instead
          throw error;
        }
      }
      const merged = mergeEvent(existing, event);
      if (!merged) return 'duplicate';
      merged.updatedAt = now.toISOString();
      try {
        await this.table.updateEntity(toEntity(merged), 'Replace', { etag: existing.etag });
        return 'completed';
      } catch (error) {
        if (isStatus(error, 412) && attempt < 3) continue;
        throw error;
      }
    }
  }

  /** Replaces a row, guarded by its ETag when it has one: the new ETag, or undefined on a lost race. */
  async update(row: ReleaseRow & { etag?: string }): Promise<string | undefined> {
    const { etag, ...rest } = row;
    try {
      const response = await this.table.updateEntity(
        toEntity(rest as ReleaseRow),
        'Replace',
        etag ? { etag } : undefined,
      );
      return response.etag ?? '*';
    } catch (error) {
      if (isStatus(error, 412)) return undefined;
      throw error;
    }
  }

  /**
   * Writes many rows, one entity-group transaction per message (at most 100 rows each), a few messages at
   * a time: per write its new ETag, `conflict` when its transaction lost a race (nothing in it was
   * written), or the error that refused it.
   */
  async writeMany(writes: readonly ReleaseWrite[]): Promise<ReleaseWriteOutcome[]> {
    const outcomes: ReleaseWriteOutcome[] = new Array(writes.length);
    const byMessage = new Map<string, { index: number; entity: ReleaseEntity }[]>();
    writes.forEach((write, index) => {
      const entity = toEntity(write.row);
      const group = byMessage.get(entity.partitionKey) ?? [];
      group.push({ index, entity });
      byMessage.set(entity.partitionKey, group);
    });
    const transactions = [...byMessage.values()].flatMap((group) => inTransactions(group));
    await withConcurrency(transactions, PARTITIONS_IN_FLIGHT, async (transaction) => {
      try {
        const etags = await this.submit(
          transaction.map(({ index, entity }) => ({ write: writes[index], entity })),
        );
        transaction.forEach(({ index }, k) => (outcomes[index] = { etag: etags[k] }));
      } catch (error) {
        const outcome: ReleaseWriteOutcome =
          isStatus(error, 412) || isStatus(error, 409) || isStatus(error, 404)
            ? { conflict: true }
            : { error };
        for (const { index } of transaction) outcomes[index] = outcome;
      }
    });
    return outcomes;
  }

  /** One message's writes: a plain request for one row, else one transaction. The new ETags, in order. */
  private async submit(items: { write: ReleaseWrite; entity: ReleaseEntity }[]): Promise<string[]> {
    if (items.length === 1) {
      const [{ write, entity }] = items;
      const response = write.create
        ? await this.table.createEntity(entity)
        : await this.table.updateEntity(entity, 'Replace', write.etag ? { etag: write.etag } : undefined);
      return [response.etag ?? '*'];
    }
    const response = await this.table.submitTransaction(
      items.map(({ write, entity }): TransactionAction =>
        write.create
          ? ['create', entity]
          : ['update', entity, 'Replace', write.etag ? { etag: write.etag } : undefined],
      ),
    );
    return items.map((_, k) => response.subResponses[k]?.etag ?? '*');
  }

  /** Rows that still need work: pending (join or notification) ones. */
  async *listPending(): AsyncIterable<ReleaseRow & { etag: string }> {
    const rows = this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `status eq ${odataString('pending')}` },
    });
    for await (const entity of rows) yield fromEntity(entity);
  }

  /** Every row of one message. */
  async listForMessage(networkMessageId: string): Promise<(ReleaseRow & { etag: string })[]> {
    const out: (ReleaseRow & { etag: string })[] = [];
    const rows = this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq ${odataString(networkMessageId)}` },
    });
    for await (const entity of rows) out.push(fromEntity(entity));
    return out;
  }

  /** Streams rows for the report, filtered server-side by status and release time where given. */
  async *list(
    filter: {
      status?: ReleaseStatus;
      since?: Date;
      until?: Date;
      /** Rows after this key only, in the table's order (a page of the releases API). */
      after?: { partitionKey: string; rowKey: string };
    } = {},
  ): AsyncIterable<ReleaseRow> {
    const clauses: string[] = [];
    if (filter.after) {
      const pk = odataString(filter.after.partitionKey);
      clauses.push(
        `(PartitionKey gt ${pk} or (PartitionKey eq ${pk} and RowKey gt ${odataString(filter.after.rowKey)}))`,
      );
    }
    if (filter.status) clauses.push(`status eq ${odataString(filter.status)}`);
    if (filter.since) clauses.push(`releasedAt ge ${odataString(filter.since.toISOString())}`);
    if (filter.until) clauses.push(`releasedAt lt ${odataString(filter.until.toISOString())}`);
    const rows = this.table.listEntities<Record<string, unknown>>({
      queryOptions: clauses.length ? { filter: clauses.join(' and ') } : undefined,
    });
    for await (const entity of rows) yield fromEntity(entity);
  }

  /**
   * Like `list`, but reads only the named properties of each row (the console's scans of a period carry
   * a handful of short columns, not whole rows). The rows come back with just those properties.
   */
  async *listColumns(
    filter: { status?: ReleaseStatus; since?: Date },
    columns: readonly (keyof ReleaseRow)[],
  ): AsyncIterable<Partial<ReleaseRow>> {
    const clauses: string[] = [];
    if (filter.status) clauses.push(`status eq ${odataString(filter.status)}`);
    if (filter.since) clauses.push(`releasedAt ge ${odataString(filter.since.toISOString())}`);
    const rows = this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: clauses.length ? clauses.join(' and ') : undefined, select: [...columns] },
    });
    for await (const entity of rows) yield fromEntity(entity);
  }

  /**
   * The units (message, released-to) recorded with a release time at or after `since`, as
   * `releaseUnitKey` strings: one paged scan of keys, instead of a point read per unit.
   */
  async knownUnitsSince(since: Date): Promise<Set<string>> {
    const known = new Set<string>();
    const filter = `releasedAt ge ${odataString(since.toISOString())}`;
    const rows = this.table.listEntities<{ releasedTo?: string }>({
      queryOptions: { filter, select: ['PartitionKey', 'releasedTo'] },
    });
    // From the released-to property, so rows under old and new keys compare alike.
    for await (const entity of rows) known.add(releaseUnitKey(entity.partitionKey!, entity.releasedTo ?? ''));
    return known;
  }

  /**
   * Deletes settled rows (anything but pending) released before `before`: the report's retention.
   * Returns how many were deleted.
   */
  async purgeSettledBefore(before: Date): Promise<number> {
    const filter = `releasedAt lt ${odataString(before.toISOString())} and status ne ${odataString('pending')}`;
    return deleteWhere(this.table, filter);
  }
}

/**
 * Applies a change to a row in place: a property set to undefined is removed, and a sentence changed
 * without its code drops the old code (the store then gives the code its sentence reads as).
 */
export function applyReleaseChange(row: ReleaseRow, change: Partial<ReleaseRow>, now: Date): void {
  if ('reason' in change && !('reasonCode' in change)) delete row.reasonCode;
  Object.assign(row, change, { updatedAt: now.toISOString() });
  for (const key of Object.keys(change) as (keyof ReleaseRow)[]) {
    if (change[key] === undefined) delete row[key];
  }
}

/** The row a release unit starts as: pending until its message is found in the snapshot. */
export function newReleaseRow(event: ReleaseEvent, releasedTo: string, now: Date): ReleaseRow {
  return {
    networkMessageId: event.networkMessageId,
    releasedTo,
    status: 'pending',
    ...releaseReason('waiting-for-snapshot'),
    releasedAt: event.releasedAt,
    releasedBy: event.releasedBy,
    releasedByRaw: event.releasedByRaw,
    releasedThrough: event.releasedThrough,
    isSystemRelease: event.isSystemRelease,
    sources: [event.source],
    auditRecordIds: event.source === 'audit' ? [event.id] : [],
    firstSeenAt: now.toISOString(),
    updatedAt: now.toISOString(),
    ...(event.sender ? { sender: event.sender } : {}),
  };
}

/** The row completed by a new event, or undefined when the event adds nothing. */
export function mergeEvent(row: ReleaseRow & { etag?: string }, event: ReleaseEvent): ReleaseRow | undefined {
  const next: ReleaseRow = { ...row };
  delete (next as { etag?: string }).etag;
  let changed = false;
  if (!next.sources.includes(event.source)) {
    next.sources = [...next.sources, event.source];
    changed = true;
  }
  if (event.source === 'audit') {
    if (!next.auditRecordIds.includes(event.id)) {
      next.auditRecordIds = [...next.auditRecordIds, event.id];
      changed = true;
    }
    // The audit record is authoritative for who and when.
    if (next.releasedAt !== event.releasedAt) {
      next.releasedAt = event.releasedAt;
      changed = true;
    }
    if (
      event.releasedByRaw &&
      (next.releasedByRaw !== event.releasedByRaw || next.releasedThrough !== event.releasedThrough)
    ) {
      next.releasedBy = event.releasedBy;
      next.releasedByRaw = event.releasedByRaw;
      next.releasedThrough = event.releasedThrough;
      next.isSystemRelease = event.isSystemRelease;
      changed = true;
    }
  } else if (!next.releasedByRaw && event.releasedByRaw) {
    next.releasedBy = event.releasedBy;
    next.releasedByRaw = event.releasedByRaw;
    next.isSystemRelease = event.isSystemRelease;
    changed = true;
  }
  return changed ? next : undefined;
}
