/**
 * The floors the bench holds our jobs against: the least work the design allows for the same result, with
 * raw `@azure/data-tables` calls and plain `fetch`, nothing else. They store what our jobs store (the same
 * keys, test/bench-floors.test.ts checks it); how fast they do it is the bench's to measure.
 */
import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { withConcurrency } from '../../lib/core/concurrency';
import type { Endpoints } from './shared';

const PAGE_SIZE = 1000;
/** Partitions written at once, as the app's quarantine store writes them. */
export const PARTITIONS_IN_FLIGHT = 8;

/** Plain HTTP: the same InvokeCommand call as the app, with fetch and a bearer token, nothing else. */
async function fetchPage(endpoints: Endpoints, token: string, parameters: Record<string, unknown>) {
  const url = `${endpoints.exchangeUrl}/adminapi/beta/${endpoints.tenantId}/InvokeCommand`;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'x-anchormailbox': `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${endpoints.tenantId}`,
    },
    body: JSON.stringify({ CmdletInput: { CmdletName: 'Get-QuarantineMessage', Parameters: parameters } }),
  });
  if (!response.ok) throw new Error(`Get-QuarantineMessage answered ${response.status}`);
  return ((await response.json()) as { value: Record<string, unknown>[] }).value;
}

const exchangeDate = (iso: string) => iso.replace(/\.(\d{3})Z$/, '.$10000Z');

/** One page of the window (1-based). */
function windowPage(endpoints: Endpoints, token: string, window: QuarantineWindow, page: number) {
  return fetchPage(endpoints, token, {
    StartReceivedDate: exchangeDate(window.start),
    EndReceivedDate: exchangeDate(window.end),
    PageSize: PAGE_SIZE,
    Page: page,
  });
}

export interface QuarantineWindow {
  start: string;
  end: string;
}

/** Every page of the window, one at a time (the seed method's way). */
export async function* windowPages(endpoints: Endpoints, token: string, window: QuarantineWindow) {
  for (let page = 1; ; page++) {
    const rows = await windowPage(endpoints, token, window, page);
    yield rows;
    if (rows.length < PAGE_SIZE) return;
  }
}

const iso = (value: unknown) =>
  typeof value === 'string' ? new Date(Date.parse(value)).toISOString() : undefined;
const list = (value: unknown) => JSON.stringify(Array.isArray(value) ? value : []);

/** The same properties the snapshot stores, copied without checks. */
export function minimalEntity(row: Record<string, unknown>): TableEntity<Record<string, unknown>> {
  const [pk, rk] = String(row.Identity).split('\\');
  return {
    partitionKey: pk.toLowerCase(),
    rowKey: rk.toLowerCase(),
    identity: row.Identity,
    senderAddress: row.SenderAddress,
    recipientCount: row.RecipientCount,
    subject: row.Subject,
    type: row.Type,
    releasedCount: row.ReleasedCount,
    retainUntil: iso(row.Expires),
    receivedAt: iso(row.ReceivedTime),
    expiresAt: iso(row.Expires),
    quarantineType: row.QuarantineTypes,
    policyType: row.PolicyType,
    policyName: row.PolicyName,
    direction: row.Direction,
    releaseStatus: row.ReleaseStatus,
    released: row.Released,
    systemReleased: row.SystemReleased,
    internetMessageId: row.MessageId,
    size: row.Size,
    recipients: list(row.RecipientAddress),
    releasedBy: list(row.ReleasedBy),
    releasedUsers: list(row.ReleasedUser),
  };
}

/** One transaction per partition (a plain upsert for one entity), eight partitions in flight. */
async function writePage(table: TableClient, page: Record<string, unknown>[]) {
  const partitions = new Map<string, TableEntity<Record<string, unknown>>[]>();
  for (const row of page) {
    const entity = minimalEntity(row);
    const group = partitions.get(entity.partitionKey) ?? [];
    group.push(entity);
    partitions.set(entity.partitionKey, group);
  }
  await withConcurrency([...partitions.values()], PARTITIONS_IN_FLIGHT, async (group) => {
    if (group.length === 1) await table.upsertEntity(group[0], 'Replace');
    else await table.submitTransaction(group.map((e): TransactionAction => ['upsert', e, 'Replace']));
  });
}

export interface BackfillFloorFigures {
  rows: number;
  exchangeCalls: number;
  /** Summed duration of the page fetches, and of the page writes: the floor takes about the larger. */
  fetchMs: number;
  writeMs: number;
}

/**
 * The backfill's floor: the window's pages fetched and written, the next page fetched while this one is
 * written (at most one page ahead, as paging allows no more without holding pages in memory). Its time is
 * about the larger of fetching and writing, not their sum: nothing less can store the same rows.
 */
export async function backfillFloor(
  endpoints: Endpoints,
  token: string,
  table: TableClient,
  window: QuarantineWindow,
): Promise<BackfillFloorFigures> {
  const figures: BackfillFloorFigures = { rows: 0, exchangeCalls: 0, fetchMs: 0, writeMs: 0 };
  const fetchTimed = async (page: number) => {
    const started = performance.now();
    const rows = await windowPage(endpoints, token, window, page);
    figures.fetchMs += performance.now() - started;
    return rows;
  };
  let next = fetchTimed(1);
  for (let page = 1; ; page++) {
    const rows = await next;
    figures.exchangeCalls += 1;
    const more = rows.length === PAGE_SIZE;
    if (more) {
      next = fetchTimed(page + 1);
      // Awaited on the next turn; a failure meanwhile is not an unhandled rejection.
      next.catch(() => undefined);
    }
    const started = performance.now();
    await writePage(table, rows);
    figures.writeMs += performance.now() - started;
    figures.rows += rows.length;
    if (!more) return figures;
  }
}

/** What a notify run left in its tables: every release row and every email it recorded, as stored. */
export interface StoredByNotify {
  releases: TableEntity<Record<string, unknown>>[];
  notifications: TableEntity<Record<string, unknown>>[];
}

export interface NotifyFloorTables {
  /** The snapshot our backfill wrote (read only). */
  snapshot: TableClient;
  /** The floor's release rows: the app's, under the app's keys. */
  releases: TableClient;
  /** The floor's emails: the app's notification records, under the app's keys. */
  emails: TableClient;
}

/** The snapshot's partition of a message: its NetworkMessageId without braces, in lower case. */
const messageKey = (networkMessageId: string) => networkMessageId.replace(/^\{|\}$/g, '').toLowerCase();
const odata = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * Notify's floor: the least table work the design allows for the same releases and emails. Each released
 * message is joined to the snapshot with one partition query (its rows are the only source of its sender)
 * and its release rows recorded in one entity-group transaction (they share the message's partition); each
 * email is one write. It stores exactly what the app's run stored (`stored`: the same rows, every
 * property), so the table server does the same work per write. `inFlight` messages and emails at once, as
 * the app looks up. No audit reading, deciding, composing or run state: a run that stores less, or joins
 * with fewer queries, stores less than the app must.
 */
export async function notifyFloor(
  tables: NotifyFloorTables,
  stored: StoredByNotify,
  inFlight: number,
): Promise<{ units: number; emails: number }> {
  const byMessage = new Map<string, TableEntity<Record<string, unknown>>[]>();
  for (const row of stored.releases) {
    const rows = byMessage.get(row.partitionKey) ?? [];
    rows.push(row);
    byMessage.set(row.partitionKey, rows);
  }
  let units = 0;
  await withConcurrency([...byMessage.values()], inFlight, async (rows) => {
    const key = messageKey(String(rows[0].networkMessageId ?? rows[0].partitionKey));
    const snapshotRows = tables.snapshot.listEntities({
      queryOptions: { filter: `PartitionKey eq ${odata(key)}` },
    });
    for await (const snapshotRow of snapshotRows) void snapshotRow; // read as the app reads it, every page
    if (rows.length === 1) await tables.releases.upsertEntity(rows[0], 'Replace');
    else
      await tables.releases.submitTransaction(
        rows.map((row): TransactionAction => ['upsert', row, 'Replace']),
      );
    units += rows.length;
  });
  await withConcurrency(stored.notifications, inFlight, async (email) => {
    await tables.emails.upsertEntity(email, 'Replace');
  });
  return { units, emails: stored.notifications.length };
}
