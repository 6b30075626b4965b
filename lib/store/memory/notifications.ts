import { notificationErrorOf } from '../../core/outcomes';
import { senderPartitionKey, type NotificationRecord } from '../notifications-store';
import { MemoryTable, notFound } from './memory-table';

/**
 * The notifications table in memory (lib/store/notifications-store.ts is the table-backed one), as notify's
 * NotificationsPort reads it.
 */
export class MemoryNotifications {
  private readonly table = new MemoryTable<NotificationRecord>();

  private static key(sender: string, id: string): string {
    return `${senderPartitionKey(sender)}\n${id}`;
  }

  /** As the table-backed store does: the error's code is the store's to give, from its sentence. */
  private static stored(record: NotificationRecord): NotificationRecord {
    const { etag: _etag, storedPartitionKey: _stored, lastErrorCode: _given, ...rest } = record;
    const lastErrorCode = notificationErrorOf(record.lastError);
    return lastErrorCode ? { ...rest, lastErrorCode } : rest;
  }

  async get(sender: string, id: string): Promise<NotificationRecord | undefined> {
    return this.table.read(MemoryNotifications.key(sender, id));
  }

  async create(record: NotificationRecord): Promise<boolean> {
    const key = MemoryNotifications.key(record.sender, record.id);
    const written = this.table.write(key, MemoryNotifications.stored(record), 'absent');
    if (written === 'conflict') return false;
    record.etag = written;
    return true;
  }

  async update(record: NotificationRecord): Promise<boolean> {
    const key = MemoryNotifications.key(record.sender, record.id);
    const written = this.table.write(key, MemoryNotifications.stored(record), record.etag);
    if (written === 'missing') throw notFound('the notification');
    if (written === 'conflict') return false;
    record.etag = written;
    return true;
  }

  async listUnfinished(): Promise<NotificationRecord[]> {
    return this.all().filter((r) => r.state === 'sending' || r.state === 'sent');
  }

  async listAwaitingDelivery(limit: number): Promise<NotificationRecord[]> {
    if (limit <= 0) return [];
    return this.all()
      .filter((r) => r.delivery === 'awaiting')
      .slice(0, limit);
  }

  async purgeFinishedBefore(before: Date): Promise<number> {
    const at = before.toISOString();
    let deleted = 0;
    for (const { key, value } of this.table.entries()) {
      const finished = value.state === 'complete' || value.state === 'abandoned' || value.state === 'dry-run';
      if (finished && value.createdAt < at && this.table.delete(key)) deleted += 1;
    }
    return deleted;
  }

  private all(): NotificationRecord[] {
    return this.table.entries().map((e) => e.value);
  }
}
