import { releaseReasonOf } from '../../core/outcomes';
import type { ReleaseEvent } from '../../core/domain';
import { boundedText } from '../keys';
import { MAX_TRANSACTION_OPS } from '../tables';
import {
  mergeEvent,
  newReleaseRow,
  releaseRowKey,
  releaseUnitKey,
  type RecordOutcome,
  type ReleaseRow,
  type ReleaseWrite,
  type ReleaseWriteOutcome,
  type StoredRelease,
} from '../releases-store';
import { MemoryTable, notFound } from './memory-table';

/**
 * The releases table in memory (lib/store/releases-store.ts is the table-backed one), as the jobs' ports
 * read it (ReleasesPort, ReleasesSeenPort).
 */
export class MemoryReleases {
  private readonly table = new MemoryTable<ReleaseRow>();

  /** As the table-backed store does: the code given with the reason, else the one its sentence reads as. */
  private static stored(row: ReleaseRow): ReleaseRow {
    const { reasonCode: given, ...rest } = row;
    const reasonCode = row.reason === undefined ? undefined : (given ?? releaseReasonOf(row.reason));
    return reasonCode ? { ...rest, reasonCode } : rest;
  }

  private static key(networkMessageId: string, releasedTo: string): string {
    return `${networkMessageId}\n${releaseRowKey(releasedTo)}`;
  }

  async get(networkMessageId: string, releasedTo: string): Promise<StoredRelease | undefined> {
    return this.table.read(MemoryReleases.key(networkMessageId, releasedTo));
  }

  async record(event: ReleaseEvent, now: Date): Promise<RecordOutcome> {
    const releasedTo = boundedText(event.releasedTo ?? '');
    const key = MemoryReleases.key(event.networkMessageId, releasedTo);
    const existing = this.table.read(key);
    if (!existing) {
      this.table.write(key, MemoryReleases.stored(newReleaseRow(event, releasedTo, now)), 'absent');
      return 'new';
    }
    const merged = mergeEvent(existing, event);
    if (!merged) return 'duplicate';
    merged.updatedAt = now.toISOString();
    this.table.write(key, MemoryReleases.stored(merged), existing.etag);
    return 'completed';
  }

  async update(row: ReleaseRow & { etag?: string }): Promise<string | undefined> {
    const { etag, storedRowKey: _stored, ...rest } = row;
    const written = this.table.write(
      MemoryReleases.key(row.networkMessageId, row.releasedTo),
      MemoryReleases.stored(rest),
      etag,
    );
    if (written === 'missing') throw notFound('the release row');
    return written === 'conflict' ? undefined : written;
  }

  /** As a table does: each message's writes all or nothing, in transactions of at most 100 rows. */
  async writeMany(writes: readonly ReleaseWrite[]): Promise<ReleaseWriteOutcome[]> {
    const outcomes: ReleaseWriteOutcome[] = new Array(writes.length);
    const byMessage = new Map<string, number[]>();
    writes.forEach((write, index) => {
      const group = byMessage.get(write.row.networkMessageId) ?? [];
      group.push(index);
      byMessage.set(write.row.networkMessageId, group);
    });
    for (const group of byMessage.values()) {
      for (let start = 0; start < group.length; start += MAX_TRANSACTION_OPS) {
        const transaction = group.slice(start, start + MAX_TRANSACTION_OPS);
        const keyOf = (index: number) =>
          MemoryReleases.key(writes[index].row.networkMessageId, writes[index].row.releasedTo);
        const refused = transaction.some((index) => {
          const current = this.table.read(keyOf(index));
          const { create, etag } = writes[index];
          return create ? current !== undefined : !current || (etag !== undefined && current.etag !== etag);
        });
        for (const index of transaction) {
          if (refused) {
            outcomes[index] = { conflict: true };
            continue;
          }
          const { etag: _etag, storedRowKey: _stored, ...row } = writes[index].row as StoredRelease;
          const written = this.table.write(keyOf(index), MemoryReleases.stored(row), 'upsert');
          outcomes[index] = { etag: written };
        }
      }
    }
    return outcomes;
  }

  async *listPending(): AsyncIterable<StoredRelease> {
    for (const { value } of this.table.entries()) if (value.status === 'pending') yield value;
  }

  async listForMessage(networkMessageId: string): Promise<StoredRelease[]> {
    return this.table
      .entries()
      .map((e) => e.value)
      .filter((row) => row.networkMessageId === networkMessageId);
  }

  async knownUnitsSince(since: Date): Promise<Set<string>> {
    const at = since.toISOString();
    return new Set(
      this.table
        .entries()
        .filter((e) => e.value.releasedAt >= at)
        .map((e) => releaseUnitKey(e.value.networkMessageId, e.value.releasedTo)),
    );
  }

  async purgeSettledBefore(before: Date): Promise<number> {
    const at = before.toISOString();
    let deleted = 0;
    for (const { key, value } of this.table.entries()) {
      if (value.releasedAt < at && value.status !== 'pending' && this.table.delete(key)) deleted += 1;
    }
    return deleted;
  }
}
