import { systemClock, type Clock } from '../../core/clock';
import type { QuarantinedMessage } from '../../core/domain';
import { fromEntity, toEntity, type WriteResult } from '../quarantine-store';

export interface MemoryQuarantineOptions {
  clock?: Clock;
  /**
   * The error the store gives for a row it refuses for a reason of its own (as the table answers 400 for
   * one entity); undefined stores the row. For scenarios of docs/architecture.md#set-aside.
   */
  refuses?: (message: QuarantinedMessage) => Error | undefined;
}

/** A row as the table-backed store would write it: fields cut to the table's limits by the same code. */
type Row = ReturnType<typeof toEntity>;

/**
 * The snapshot in memory, as the snapshot writes it and notify's join reads it
 * (lib/store/quarantine-store.ts is the table-backed one): rows are grouped by NetworkMessageId, found
 * case-insensitively, with or without braces, and kept until their retention ends. Each row is kept as the
 * table-backed store's entity (`toEntity`) and read back by its `fromEntity`, so outside text is cut and
 * marked exactly as in the table. The jobs read it through their ports (QuarantineLookup, QuarantineWriter).
 */
export class MemoryQuarantine {
  private readonly rows = new Map<string, Map<string, Row>>();
  private readonly clock: Clock;
  private readonly refuses: MemoryQuarantineOptions['refuses'];

  constructor(options: MemoryQuarantineOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.refuses = options.refuses;
  }

  private static key(networkMessageId: string): string {
    return networkMessageId
      .trim()
      .replace(/^\{|\}$/g, '')
      .toLowerCase();
  }

  /** Upserts the messages (one per row id): the same rows twice leave the same snapshot. */
  async upsertMany(messages: readonly QuarantinedMessage[]): Promise<WriteResult> {
    const batch = new Map<string, QuarantinedMessage>();
    for (const message of messages) {
      batch.set(`${MemoryQuarantine.key(message.networkMessageId)}\n${message.rowId}`, message);
    }
    let written = 0;
    let truncated = 0;
    const refused: WriteResult['refused'] = [];
    for (const message of batch.values()) {
      const key = MemoryQuarantine.key(message.networkMessageId);
      const error = this.refuses?.(message);
      if (error) {
        refused.push({ networkMessageId: key, error });
        continue;
      }
      const rows = this.rows.get(key) ?? new Map<string, Row>();
      const entity = toEntity(message, this.clock.now());
      if (entity.truncated !== undefined) truncated += 1;
      rows.set(message.rowId, entity);
      this.rows.set(key, rows);
      written += 1;
    }
    return { written, truncated, refused };
  }

  async findByNetworkMessageId(networkMessageId: string): Promise<QuarantinedMessage[]> {
    const key = MemoryQuarantine.key(networkMessageId);
    if (key === '') return [];
    return [...(this.rows.get(key)?.values() ?? [])].map((row) => fromEntity(row));
  }

  async purgeExpired(before: Date): Promise<number> {
    const at = before.toISOString();
    let deleted = 0;
    for (const [key, rows] of this.rows) {
      for (const [rowId, row] of rows) {
        if (String(row.retainUntil) < at && rows.delete(rowId)) deleted += 1;
      }
      if (rows.size === 0) this.rows.delete(key);
    }
    return deleted;
  }
}
