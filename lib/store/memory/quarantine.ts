import type { QuarantinedMessage } from '../../core/domain';
import type { QuarantineLookup } from '../../jobs/notify/ports';

/**
 * The snapshot in memory, as notify's join reads it (lib/store/quarantine-store.ts is the table-backed
 * one): rows are grouped by NetworkMessageId, found case-insensitively, with or without braces.
 */
export class MemoryQuarantine implements QuarantineLookup {
  private readonly rows = new Map<string, Map<string, QuarantinedMessage>>();

  private static key(networkMessageId: string): string {
    return networkMessageId
      .trim()
      .replace(/^\{|\}$/g, '')
      .toLowerCase();
  }

  /** Upserts the messages (one per row id): the same rows twice leave the same snapshot. */
  async upsertMany(messages: readonly QuarantinedMessage[]): Promise<{ written: number }> {
    for (const message of messages) {
      const key = MemoryQuarantine.key(message.networkMessageId);
      const rows = this.rows.get(key) ?? new Map<string, QuarantinedMessage>();
      rows.set(message.rowId, structuredClone(message));
      this.rows.set(key, rows);
    }
    return { written: messages.length };
  }

  async findByNetworkMessageId(networkMessageId: string): Promise<QuarantinedMessage[]> {
    const key = MemoryQuarantine.key(networkMessageId);
    if (key === '') return [];
    return [...(this.rows.get(key)?.values() ?? [])].map((m) => structuredClone(m));
  }
}
