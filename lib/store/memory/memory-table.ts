/**
 * What the in-memory stores share with a table: rows are copies (a caller's object is never the stored
 * one), an absent property is not stored, every write gives a new ETag, and a write guarded by a stale
 * ETag is refused.
 */
export class MemoryTable<T extends object> {
  private readonly rows = new Map<string, { value: T; etag: string }>();
  private writes = 0;

  get size(): number {
    return this.rows.size;
  }

  read(key: string): (T & { etag: string }) | undefined {
    const found = this.rows.get(key);
    return found ? { ...copy(found.value), etag: found.etag } : undefined;
  }

  /**
   * Writes as `guard` says: 'upsert' (create or replace), 'absent' (create only), an ETag (replace that
   * version) or undefined (replace whatever is there). The new ETag, or why nothing was written.
   */
  write(
    key: string,
    value: T,
    guard: 'upsert' | 'absent' | string | undefined,
  ): string | 'conflict' | 'missing' {
    const existing = this.rows.get(key);
    if (guard === 'absent' && existing) return 'conflict';
    if (guard !== 'absent' && guard !== 'upsert' && !existing) return 'missing';
    if (guard !== 'absent' && guard !== undefined && guard !== 'upsert' && existing?.etag !== guard)
      return 'conflict';
    const etag = `W/"memory-${++this.writes}"`;
    this.rows.set(key, { value: copy(value), etag });
    return etag;
  }

  delete(key: string): boolean {
    return this.rows.delete(key);
  }

  /** Every row with its key, in key order (a table lists in PartitionKey, RowKey order). */
  entries(): { key: string; value: T & { etag: string } }[] {
    return [...this.rows.keys()].sort().map((key) => ({ key, value: this.read(key)! }));
  }
}

/** A deep copy without undefined properties and without the read-side `etag`. */
function copy<T extends object>(value: T): T {
  const clone = JSON.parse(JSON.stringify(value)) as T & { etag?: string };
  delete clone.etag;
  return clone;
}

/** The error a table gives for a write to a row that is not there. */
export function notFound(what: string): Error {
  return Object.assign(new Error(`${what} does not exist`), { statusCode: 404 });
}
