import type { Clock } from '../../core/clock';
import type { RunLease } from '../state-store';
import { MemoryTable } from './memory-table';

interface Stored {
  value?: string;
  owner?: string;
  expiresAt?: string;
}

/**
 * The state table in memory: checkpoints and leases (lib/store/state-store.ts is the table-backed one), as
 * the jobs' StatePort (lib/jobs/notify/ports.ts) reads it.
 */
export class MemoryState {
  private readonly table = new MemoryTable<Stored>();

  constructor(private readonly clock: Clock) {}

  async read<T>(job: string, key: string): Promise<T | undefined> {
    const found = this.table.read(`${job}\n${key}`);
    return found?.value === undefined ? undefined : (JSON.parse(found.value) as T);
  }

  async write<T>(job: string, key: string, value: T): Promise<void> {
    this.table.write(`${job}\n${key}`, { value: JSON.stringify(value) }, 'upsert');
  }

  async readMany<T>(job: string, keys: readonly string[]): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    for (const key of keys) {
      const value = await this.read<T>(job, key);
      if (value !== undefined) found.set(key, value);
    }
    return found;
  }

  async writeMany<T>(job: string, entries: readonly { key: string; value: T }[]): Promise<void> {
    for (const { key, value } of entries) await this.write(job, key, value);
  }

  async acquireLease(job: string, owner: string, durationMs: number): Promise<RunLease | undefined> {
    const key = `${job}\nlease`;
    const now = this.clock.now().getTime();
    const existing = this.table.read(key);
    if (existing && existing.owner !== '' && Date.parse(existing.expiresAt ?? '') > now) return undefined;
    const entity = { owner, expiresAt: new Date(now + durationMs).toISOString() };
    if (this.table.write(key, entity, existing ? existing.etag : 'absent') === 'conflict') return undefined;
    const table = this.table;
    const clock = this.clock;
    return {
      async renew() {
        const held = table.read(key);
        if (!held || held.owner !== owner) return false;
        const expiresAt = new Date(clock.now().getTime() + durationMs).toISOString();
        return table.write(key, { owner, expiresAt }, held.etag) !== 'conflict';
      },
      async release() {
        const held = table.read(key);
        if (!held || held.owner !== owner) return;
        table.write(key, { owner: '', expiresAt: new Date(0).toISOString() }, held.etag);
      },
    };
  }
}
