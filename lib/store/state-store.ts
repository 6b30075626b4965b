import type { TableClient } from '@azure/data-tables';
import type { Clock } from '../core/clock';
import type { TransactionAction } from '@azure/data-tables';
import { withConcurrency } from '../core/concurrency';
import { getEntityOrUndefined, inTransactions, isStatus, odataString } from './tables';

/** A query's filter may hold at most 15 comparisons: the partition's, and 14 keys. */
const KEYS_PER_QUERY = 14;
/** Queries of `readMany` in flight at once. */
const QUERIES_IN_FLIGHT = 8;

/**
 * The state table: per-job checkpoints (JSON values) and leases. PartitionKey is the job, RowKey the key.
 */
export class StateStore {
  constructor(
    private readonly table: TableClient,
    private readonly clock: Clock,
  ) {}

  async read<T>(job: string, key: string): Promise<T | undefined> {
    const entity = await getEntityOrUndefined<{ value: string }>(this.table, job, key);
    return entity ? (JSON.parse(entity.value) as T) : undefined;
  }

  async write<T>(job: string, key: string, value: T): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: job,
        rowKey: key,
        value: JSON.stringify(value),
        updatedAt: this.clock.now().toISOString(),
      },
      'Replace',
    );
  }

  /** The values of many keys of one job, by key (absent keys are left out): one query per 14 keys, 8 at once. */
  async readMany<T>(job: string, keys: readonly string[]): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const unique = [...new Set(keys)];
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += KEYS_PER_QUERY) chunks.push(unique.slice(i, i + KEYS_PER_QUERY));
    await withConcurrency(chunks, QUERIES_IN_FLIGHT, async (chunk) => {
      const rowKeys = chunk.map((key) => `RowKey eq ${odataString(key)}`);
      const filter = `PartitionKey eq ${odataString(job)} and (${rowKeys.join(' or ')})`;
      for await (const entity of this.table.listEntities<{ value: string }>({ queryOptions: { filter } })) {
        found.set(entity.rowKey!, JSON.parse(entity.value) as T);
      }
    });
    return found;
  }

  /** Writes many values of one job: one transaction per 100 (a plain write for one). */
  async writeMany<T>(job: string, entries: readonly { key: string; value: T }[]): Promise<void> {
    const updatedAt = this.clock.now().toISOString();
    const unique = new Map(entries.map((e) => [e.key, e.value]));
    const entities = [...unique].map(([key, value]) => ({
      partitionKey: job,
      rowKey: key,
      value: JSON.stringify(value),
      updatedAt,
    }));
    for (const group of inTransactions(entities)) {
      if (group.length === 1) await this.table.upsertEntity(group[0], 'Replace');
      else await this.table.submitTransaction(group.map((e): TransactionAction => ['upsert', e, 'Replace']));
    }
  }

  /** Every value a job keeps, with its key. */
  async list<T>(job: string): Promise<{ key: string; value: T }[]> {
    const out: { key: string; value: T }[] = [];
    const filter = `PartitionKey eq '${job.replace(/'/g, "''")}'`;
    for await (const entity of this.table.listEntities<{ value: string }>({ queryOptions: { filter } })) {
      out.push({ key: entity.rowKey!, value: JSON.parse(entity.value) as T });
    }
    return out;
  }

  async remove(job: string, key: string): Promise<void> {
    try {
      await this.table.deleteEntity(job, key);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  /**
   * Takes the job's lease for `durationMs`, or returns undefined when another run holds an unexpired
   * one. Create-if-absent and ETag-guarded update make the take atomic; a lease left by a crashed run
   * simply expires.
   */
  async acquireLease(job: string, owner: string, durationMs: number): Promise<Lease | undefined> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + durationMs).toISOString();
    const entity = { partitionKey: job, rowKey: 'lease', owner, expiresAt };
    const existing = await getEntityOrUndefined<{ owner: string; expiresAt: string }>(
      this.table,
      job,
      'lease',
    );
    try {
      if (!existing) {
        await this.table.createEntity(entity);
      } else {
        if (existing.owner !== '' && new Date(existing.expiresAt).getTime() > now.getTime()) return undefined;
        await this.table.updateEntity(entity, 'Replace', { etag: existing.etag });
      }
    } catch (error) {
      if (isStatus(error, 409) || isStatus(error, 412)) return undefined; // another run won the race
      throw error;
    }
    return new Lease(this.table, this.clock, job, owner, durationMs);
  }
}

/** A job's lease: one run at a time. */
export interface RunLease {
  /** True while this run still holds the lease. */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export class Lease implements RunLease {
  constructor(
    private readonly table: TableClient,
    private readonly clock: Clock,
    readonly job: string,
    readonly owner: string,
    private readonly durationMs: number,
  ) {}

  /** True while this run still holds the lease (nobody took it over after expiry). */
  async renew(): Promise<boolean> {
    const existing = await getEntityOrUndefined<{ owner: string }>(this.table, this.job, 'lease');
    if (!existing || existing.owner !== this.owner) return false;
    const expiresAt = new Date(this.clock.now().getTime() + this.durationMs).toISOString();
    try {
      await this.table.updateEntity(
        { partitionKey: this.job, rowKey: 'lease', owner: this.owner, expiresAt },
        'Replace',
        { etag: existing.etag },
      );
      return true;
    } catch (error) {
      if (isStatus(error, 412)) return false;
      throw error;
    }
  }

  async release(): Promise<void> {
    const existing = await getEntityOrUndefined<{ owner: string }>(this.table, this.job, 'lease');
    if (!existing || existing.owner !== this.owner) return;
    try {
      await this.table.updateEntity(
        { partitionKey: this.job, rowKey: 'lease', owner: '', expiresAt: new Date(0).toISOString() },
        'Replace',
        { etag: existing.etag },
      );
    } catch (error) {
      if (!isStatus(error, 412) && !isStatus(error, 404)) throw error;
    }
  }
}
