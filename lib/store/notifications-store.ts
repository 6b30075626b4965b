import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { deleteWhere, getEntityOrUndefined, isStatus, odataString } from './tables';
import { hashedKey, legacyEncodedKey } from './keys';
import { notificationErrorOf, type NotificationError } from '../core/outcomes';

/**
 * The notifications table: one row per email, recorded BEFORE it is sent (docs/architecture.md#exactly-once).
 *
 * States: `sending` (recorded, send under way or interrupted), `sent` (the channel accepted it; its
 * release rows may still need marking), `complete` (release rows marked), `abandoned` (the channel never
 * received it; its releases go back to the queue), `dry-run`.
 */
export type NotificationState = 'sending' | 'sent' | 'complete' | 'abandoned' | 'dry-run';

export interface ReleaseUnit {
  networkMessageId: string;
  releasedTo: string;
}

export interface NotificationRecord {
  sender: string;
  id: string;
  /** The id the channel is given (ACS Operation-Id): the same as `id`. */
  operationId: string;
  state: NotificationState;
  units: ReleaseUnit[];
  /** Where the email went: the sender, or the pilot's redirect address. */
  deliveredTo: string;
  channel: string;
  createdAt: string;
  sentAt?: string;
  lastError?: string;
  /** The code of `lastError` (lib/core/outcomes.ts), given by the store from `lastError` on every write. */
  lastErrorCode?: NotificationError;
  /**
   * What became of an accepted send (channels that can tell: ACS): awaiting its final status, delivered,
   * resend (it ended Failed: sent again under a new operation id), failed (the recipient cannot receive
   * mail, or attempts ran out), or unconfirmed (the service never gave a known final state).
   */
  delivery?: 'awaiting' | 'delivered' | 'resend' | 'failed' | 'unconfirmed';
  deliveredAt?: string;
  /** Status lookups of the current operation that answered nothing known (404 or an undocumented state). */
  unknownAnswers?: number;
  /** Every operation id this notification was sent under, in order (each recorded before its send). */
  attempts?: string[];
  etag?: string;
  /** The PartitionKey the record was read under (records written before keys were hashed keep theirs). */
  storedPartitionKey?: string;
}

/** The PartitionKey of a sender: a hash, never the address itself (lib/store/keys.ts). */
export function senderPartitionKey(sender: string): string {
  return hashedKey(sender.toLowerCase());
}

/** The operation id of a notification's n-th attempt (n from 1): the first is the notification id itself. */
export function attemptOperationId(id: string, attempt: number): string {
  if (attempt <= 1) return id;
  const hex = createHash('sha256').update(`${id}\nattempt ${attempt}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A deterministic, UUID-shaped id for the set of units an email covers: the same units always give the
 * same id, so a retried or resumed notification reuses its operation id.
 */
export function notificationId(sender: string, units: readonly ReleaseUnit[]): string {
  const key = units
    .map((u) => `${u.networkMessageId}|${u.releasedTo}`)
    .sort()
    .join('\n');
  const hex = createHash('sha256').update(`${sender.toLowerCase()}\n${key}`).digest('hex');
  // Shape it as an RFC 4122 version-5-style UUID (ACS expects a GUID-like Operation-Id).
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function toEntity(record: NotificationRecord) {
  const { etag: _etag, units, attempts, storedPartitionKey, lastErrorCode: _code, ...rest } = record;
  const entity: Record<string, unknown> = {
    partitionKey: storedPartitionKey ?? senderPartitionKey(record.sender),
    rowKey: record.id,
    ...rest,
    units: JSON.stringify(units),
    attempts: attempts === undefined ? undefined : JSON.stringify(attempts),
    lastErrorCode: notificationErrorOf(record.lastError),
  };
  for (const key of Object.keys(entity)) if (entity[key] === undefined) delete entity[key];
  return entity as { partitionKey: string; rowKey: string };
}

function fromEntity(entity: Record<string, unknown>): NotificationRecord {
  const { partitionKey, rowKey: _rk, timestamp: _ts, units, attempts, ...rest } = entity;
  const record = {
    ...(rest as unknown as NotificationRecord),
    units: JSON.parse(String(units)) as ReleaseUnit[],
    ...(typeof attempts === 'string' ? { attempts: JSON.parse(attempts) as string[] } : {}),
  };
  if (partitionKey !== senderPartitionKey(record.sender)) record.storedPartitionKey = String(partitionKey);
  // A record written before codes holds the sentence only: its code is read from the sentence.
  if (typeof record.lastError === 'string' && typeof record.lastErrorCode !== 'string')
    record.lastErrorCode = notificationErrorOf(record.lastError);
  return record;
}

export class NotificationsStore {
  constructor(private readonly table: TableClient) {}

  async get(sender: string, id: string): Promise<NotificationRecord | undefined> {
    const legacy = legacyEncodedKey(sender);
    const entity =
      (await getEntityOrUndefined<Record<string, unknown>>(this.table, senderPartitionKey(sender), id)) ??
      (legacy === undefined
        ? undefined
        : await getEntityOrUndefined<Record<string, unknown>>(this.table, legacy, id));
    return entity ? fromEntity(entity) : undefined;
  }

  /** Records a new notification; false when one with this id already exists. The record gets its ETag. */
  async create(record: NotificationRecord): Promise<boolean> {
    try {
      record.etag = (await this.table.createEntity(toEntity(record))).etag;
      return true;
    } catch (error) {
      if (isStatus(error, 409)) return false;
      throw error;
    }
  }

  /** Replaces a notification, guarded by its ETag when it has one; false on a lost race. The record gets its new ETag. */
  async update(record: NotificationRecord): Promise<boolean> {
    try {
      const response = await this.table.updateEntity(
        toEntity(record),
        'Replace',
        record.etag ? { etag: record.etag } : undefined,
      );
      record.etag = response.etag;
      return true;
    } catch (error) {
      if (isStatus(error, 412)) return false;
      throw error;
    }
  }

  /** Notifications a run must finish: interrupted sends and accepted ones whose releases are not marked. */
  async listUnfinished(): Promise<NotificationRecord[]> {
    const out: NotificationRecord[] = [];
    const filter = `state eq ${odataString('sending')} or state eq ${odataString('sent')}`;
    for await (const entity of this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter },
    })) {
      out.push(fromEntity(entity));
    }
    return out;
  }

  /** Accepted notifications whose final status is not known yet, at most `limit` of them. */
  async listAwaitingDelivery(limit: number): Promise<NotificationRecord[]> {
    const out: NotificationRecord[] = [];
    if (limit <= 0) return out;
    for await (const entity of this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `delivery eq ${odataString('awaiting')}` },
    })) {
      out.push(fromEntity(entity));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Deletes finished notifications created before `before` (never one still sending). */
  async purgeFinishedBefore(before: Date): Promise<number> {
    const finished = (['complete', 'abandoned', 'dry-run'] as const).map(
      (st) => `state eq ${odataString(st)}`,
    );
    const filter = `createdAt lt ${odataString(before.toISOString())} and (${finished.join(' or ')})`;
    return deleteWhere(this.table, filter);
  }
}
