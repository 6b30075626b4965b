import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { systemClock, DAY, type Clock } from '../core/clock';
import type { QuarantinedMessage } from '../core/domain';
import { isPoison } from './set-aside';
import { withConcurrency } from '../core/concurrency';
import { inTransactions, isStatus, MAX_TRANSACTION_OPS, odataString } from './tables';

/**
 * The quarantined-messages table: one entity per Get-QuarantineMessage row.
 *
 * PartitionKey is the lower-case NetworkMessageId, so a release finds all its rows (one per recipient)
 * with one partition query; RowKey is the Identity's second GUID. The raw Identity ("GUID1\GUID2") is a
 * property only: a backslash is forbidden in keys.
 *
 * Table Storage limits (docs/wire-contract.md, Azure platform) are respected so that a write never fails on
 * size: a string property is cut at 32,000 characters (64 KiB of UTF-16) with a visible marker; lists are
 * JSON text split over numbered properties (`recipients`, `recipientsPart2`, …) and only shortened (whole
 * addresses dropped from the end) when the entity would pass 1 MiB. Every cut is recorded in `truncated`: a
 * string's original length in characters, a list's original number of items.
 */

export const MAX_STRING_CHARS = 32_000;
/** Below the 1 MiB entity limit, leaving room for system properties. */
export const MAX_ENTITY_BYTES = 1_000_000;
/** Rows with neither an expiry nor a received time are kept this long after they were seen. */
const FALLBACK_RETENTION_MS = 30 * DAY;

const LIST_FIELDS = ['releasedBy', 'releasedUsers', 'recipients'] as const;
type ListField = (typeof LIST_FIELDS)[number];

export function truncationMarker(originalLength: number): string {
  return `… [cut by the snapshot: ${originalLength} characters]`;
}

type Entity = TableEntity<Record<string, unknown>>;

export interface QuarantineStoreOptions {
  clock?: Clock;
  /** Transactions (or single writes) in flight at once (default 8). */
  concurrency?: number;
}

export interface WriteResult {
  /** Entities written (after de-duplicating rows that appeared twice in one batch). */
  written: number;
  /** Entities that had a field cut to fit. */
  truncated: number;
  /**
   * Entities the table refused for a reason of their own (a 400 from the service): set aside by the
   * caller with the reason, while every other row of the batch is written (docs/architecture.md#set-aside).
   */
  refused: { networkMessageId: string; error: unknown }[];
}

export class QuarantineStore {
  private readonly clock: Clock;
  private readonly concurrency: number;

  constructor(
    private readonly table: TableClient,
    options: QuarantineStoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.concurrency = options.concurrency ?? 8;
  }

  /**
   * Upserts (Replace) the messages, in one transaction per partition where a partition has several rows.
   * Idempotent: the same rows written twice leave the same table.
   */
  async upsertMany(messages: readonly QuarantinedMessage[]): Promise<WriteResult> {
    const partitions = new Map<string, Map<string, Entity>>();
    let truncated = 0;
    for (const message of messages) {
      const entity = toEntity(message, this.clock.now());
      if (entity.truncated !== undefined) truncated++;
      let rows = partitions.get(entity.partitionKey);
      if (!rows) partitions.set(entity.partitionKey, (rows = new Map()));
      rows.set(entity.rowKey, entity); // the same row twice in one batch: the last one wins
    }

    const work: Entity[][] = [];
    for (const rows of partitions.values()) work.push(...inTransactions([...rows.values()]));
    let written = 0;
    const refused: WriteResult['refused'] = [];
    const one = async (entity: Entity) => {
      try {
        await this.table.upsertEntity(entity, 'Replace');
        written += 1;
      } catch (error) {
        if (!isPoison(error)) throw error;
        refused.push({ networkMessageId: entity.partitionKey, error });
      }
    };
    await withConcurrency(work, this.concurrency, async (group) => {
      if (group.length === 1) return one(group[0]);
      try {
        await this.table.submitTransaction(group.map((e): TransactionAction => ['upsert', e, 'Replace']));
        written += group.length;
      } catch (error) {
        if (!isPoison(error)) throw error;
        // One refused entity fails its whole transaction: write the rest one by one.
        for (const entity of group) await one(entity);
      }
    });
    return { written, truncated, refused };
  }

  /** Every row of one message (one per recipient). Case-insensitive. */
  async findByNetworkMessageId(networkMessageId: string): Promise<QuarantinedMessage[]> {
    const key = networkMessageId
      .trim()
      .replace(/^\{|\}$/g, '')
      .toLowerCase();
    if (key === '') return [];
    const found: QuarantinedMessage[] = [];
    const entities = this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq ${odataString(key)}` },
    });
    for await (const entity of entities) found.push(fromEntity(entity));
    return found;
  }

  /**
   * Deletes rows whose retention ended before `before` (their expiry; the caller adds the grace period),
   * in transactions per partition. Returns how many were deleted.
   */
  async purgeExpired(before: Date): Promise<number> {
    const entities = this.table.listEntities<Record<string, unknown>>({
      queryOptions: {
        filter: `retainUntil lt ${odataString(before.toISOString())}`,
        select: ['PartitionKey', 'RowKey'],
      },
    });
    let deleted = 0;
    let pending: Entity[][] = [];
    let current: Entity[] = [];
    const flush = async () => {
      const groups = pending;
      pending = [];
      await withConcurrency(groups, this.concurrency, async (group) => {
        const count = await this.deleteGroup(group); // read `deleted` only after the await
        deleted += count;
      });
    };
    for await (const entity of entities) {
      const key = { partitionKey: entity.partitionKey!, rowKey: entity.rowKey! };
      if (
        current.length > 0 &&
        (current[0].partitionKey !== key.partitionKey || current.length >= MAX_TRANSACTION_OPS)
      ) {
        pending.push(current);
        current = [];
      }
      current.push(key);
      if (pending.length >= this.concurrency * 4) await flush();
    }
    if (current.length > 0) pending.push(current);
    await flush();
    return deleted;
  }

  private async deleteGroup(group: Entity[]): Promise<number> {
    if (group.length > 1) {
      try {
        await this.table.submitTransaction(group.map((e): TransactionAction => ['delete', e]));
        return group.length;
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
        // One of them went meanwhile: fall back to deleting one by one.
      }
    }
    let count = 0;
    for (const e of group) {
      try {
        await this.table.deleteEntity(e.partitionKey, e.rowKey);
        count++;
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
    }
    return count;
  }
}

// --- Entity mapping -----------------------------------------------------------------------------------

/** The entity for one message, cut to Table Storage's limits. Exported for tests. */
export function toEntity(message: QuarantinedMessage, now: Date): Entity {
  const truncated: Record<string, number> = { ...(message.truncated ?? {}) };
  const entity: Entity = {
    partitionKey: message.networkMessageId.toLowerCase(),
    rowKey: message.rowId.toLowerCase(),
    identity: message.identity,
    senderAddress: message.senderAddress,
    recipientCount: message.recipientCount,
    subject: message.subject,
    type: message.type,
    releasedCount: message.releasedCount,
    retainUntil: retainUntil(message, now),
  };
  const optional: (keyof QuarantinedMessage)[] = [
    'receivedAt',
    'expiresAt',
    'quarantineType',
    'policyType',
    'policyName',
    'direction',
    'releaseStatus',
    'released',
    'systemReleased',
    'internetMessageId',
    'size',
  ];
  for (const key of optional) if (message[key] !== undefined) entity[key] = message[key];

  for (const [name, value] of Object.entries(entity)) {
    if (typeof value === 'string' && value.length > MAX_STRING_CHARS) {
      entity[name] = cutString(value);
      truncated[name] = Math.max(truncated[name] ?? 0, value.length);
    }
  }

  // Lists last: they get what room the rest of the entity leaves.
  let room = MAX_ENTITY_BYTES - entityBytes(entity) - 2_000; // the truncated record's own room
  for (const field of LIST_FIELDS) {
    const items = message[field];
    let kept = items;
    let json = JSON.stringify(kept);
    if (listBytes(field, json) > room) {
      kept = longestPrefixWithin(items, (prefix) => listBytes(field, JSON.stringify(prefix)) <= room);
      json = JSON.stringify(kept);
      truncated[field] = Math.max(truncated[field] ?? 0, items.length);
    }
    Object.assign(entity, splitList(field, json));
    room -= listBytes(field, json);
  }
  if (Object.keys(truncated).length > 0) entity.truncated = JSON.stringify(truncated);
  return entity;
}

/** The message back from its entity; tolerant of rows written by older versions. */
export function fromEntity(entity: Record<string, unknown>): QuarantinedMessage {
  const text = (name: string) => (typeof entity[name] === 'string' ? (entity[name] as string) : undefined);
  const num = (name: string) => (typeof entity[name] === 'number' ? (entity[name] as number) : undefined);
  const bool = (name: string) => (typeof entity[name] === 'boolean' ? (entity[name] as boolean) : undefined);
  const message: QuarantinedMessage = {
    networkMessageId: String(entity.partitionKey ?? ''),
    rowId: String(entity.rowKey ?? ''),
    identity: text('identity') ?? '',
    receivedAt: text('receivedAt'),
    expiresAt: text('expiresAt'),
    senderAddress: text('senderAddress') ?? '',
    recipients: joinList(entity, 'recipients'),
    recipientCount: num('recipientCount') ?? 0,
    subject: text('subject') ?? '',
    type: text('type') ?? '',
    quarantineType: text('quarantineType'),
    policyType: text('policyType'),
    policyName: text('policyName'),
    direction: text('direction'),
    releaseStatus: text('releaseStatus'),
    released: bool('released'),
    systemReleased: bool('systemReleased'),
    releasedBy: joinList(entity, 'releasedBy'),
    releasedUsers: joinList(entity, 'releasedUsers'),
    releasedCount: num('releasedCount') ?? 0,
    internetMessageId: text('internetMessageId'),
    size: num('size'),
    truncated: parseJson<Record<string, number>>(text('truncated')),
  };
  for (const key of Object.keys(message) as (keyof QuarantinedMessage)[]) {
    if (message[key] === undefined) delete message[key];
  }
  return message;
}

export function retainUntil(message: QuarantinedMessage, now: Date): string {
  if (message.expiresAt) return message.expiresAt;
  const base = message.receivedAt ? Date.parse(message.receivedAt) : now.getTime();
  return new Date(base + FALLBACK_RETENTION_MS).toISOString();
}

function cutString(value: string): string {
  const marker = truncationMarker(value.length);
  let end = MAX_STRING_CHARS - marker.length;
  if (isHighSurrogate(value.charCodeAt(end - 1))) end--; // never split a surrogate pair
  return value.slice(0, end) + marker;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function partName(field: ListField, index: number): string {
  return index === 0 ? field : `${field}Part${index + 1}`;
}

/** JSON text over as many string properties as it needs, each under the string limit. */
function splitList(field: ListField, json: string): Record<string, string> {
  const parts: Record<string, string> = {};
  let index = 0;
  let offset = 0;
  do {
    let end = Math.min(json.length, offset + MAX_STRING_CHARS);
    if (end < json.length && isHighSurrogate(json.charCodeAt(end - 1))) end--;
    parts[partName(field, index++)] = json.slice(offset, end);
    offset = end;
  } while (offset < json.length);
  return parts;
}

function joinList(entity: Record<string, unknown>, field: ListField): string[] {
  let json = '';
  for (let index = 0; ; index++) {
    const part = entity[partName(field, index)];
    if (typeof part !== 'string') break;
    json += part;
  }
  const parsed = parseJson<unknown>(json);
  return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : [];
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Table Storage's published entity-size formula. */
function entityBytes(entity: Record<string, unknown>): number {
  let size = 4 + (String(entity.partitionKey).length + String(entity.rowKey).length) * 2;
  for (const [name, value] of Object.entries(entity)) {
    if (name === 'partitionKey' || name === 'rowKey') continue;
    size += 8 + name.length * 2 + valueBytes(value);
  }
  return size;
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return 4 + value.length * 2;
  if (typeof value === 'boolean') return 1;
  return 8;
}

function listBytes(field: ListField, json: string): number {
  const parts = Math.max(1, Math.ceil(json.length / MAX_STRING_CHARS));
  return json.length * 2 + parts * (12 + (field.length + 6) * 2);
}

/** The longest prefix of `items` that `fits` (binary search; `fits` is monotone). */
function longestPrefixWithin(
  items: readonly string[],
  fits: (prefix: readonly string[]) => boolean,
): string[] {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(items.slice(0, mid))) low = mid;
    else high = mid - 1;
  }
  return items.slice(0, low);
}
