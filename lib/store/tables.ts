import {
  TableClient,
  TableServiceClient,
  type TableEntity,
  type TableServiceClientOptions,
} from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { TableStorageSettings } from '../config/settings';
import { originGuardPolicy } from '../core/origin-guard';

export type TableName = 'quarantine' | 'releases' | 'notifications' | 'state';
export const TABLE_NAMES: readonly TableName[] = ['quarantine', 'releases', 'notifications', 'state'];

/** Each table's name after TABLE_NAME_PREFIX. */
export const TABLE_SUFFIXES: Readonly<Record<TableName, string>> = {
  quarantine: 'Quarantine',
  releases: 'Releases',
  notifications: 'Notifications',
  state: 'State',
};

/** The app's four tables, opened once by the composition root. */
export type Tables = Record<TableName, TableClient>;

export function tableClient(
  storage: TableStorageSettings,
  tableName: string,
  credential: TokenCredential,
  options: TableServiceClientOptions = {},
): TableClient {
  const client =
    storage.kind === 'accountUrl'
      ? new TableClient(storage.accountUrl, tableName, credential, options)
      : // Azurite speaks plain http on loopback; real accounts are https and this flag changes nothing for them.
        TableClient.fromConnectionString(storage.connectionString, tableName, {
          ...options,
          allowInsecureConnection: true,
        });
  // The account's key signature or token goes to the account's own endpoint only.
  client.pipeline.addPolicy(originGuardPolicy('tables', client.url), { afterPhase: 'Sign' });
  return client;
}

export function tableServiceClient(
  storage: TableStorageSettings,
  credential: TokenCredential,
): TableServiceClient {
  if (storage.kind === 'accountUrl') return new TableServiceClient(storage.accountUrl, credential);
  return TableServiceClient.fromConnectionString(storage.connectionString, { allowInsecureConnection: true });
}

export function openTables(
  storage: TableStorageSettings,
  prefix: string,
  credential: TokenCredential,
  options: TableServiceClientOptions = {},
): Tables {
  const tables = {} as Tables;
  for (const name of TABLE_NAMES) {
    tables[name] = tableClient(storage, `${prefix}${TABLE_SUFFIXES[name]}`, credential, options);
  }
  return tables;
}

/** Creates the tables that do not exist yet (idempotent; createTable ignores "already exists"). */
export async function ensureTables(tables: Tables): Promise<void> {
  await Promise.all(Object.values(tables).map((t) => t.createTable()));
}

export function isStatus(error: unknown, status: number): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { statusCode?: number }).statusCode === status
  );
}

/** Reads one entity, or undefined when it does not exist. */
export async function getEntityOrUndefined<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
): Promise<(TableEntity<T> & { etag: string }) | undefined> {
  try {
    return (await table.getEntity<T>(partitionKey, rowKey)) as TableEntity<T> & { etag: string };
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

/** Escapes a value for an OData string literal in a table query filter. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Deletes every entity matching an OData filter (a row already gone is fine); returns how many. */
export async function deleteWhere(table: TableClient, filter: string): Promise<number> {
  let deleted = 0;
  const keys = table.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } });
  for await (const entity of keys) {
    try {
      await table.deleteEntity(entity.partitionKey!, entity.rowKey!);
      deleted += 1;
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }
  return deleted;
}

/** An entity-group transaction holds at most 100 operations. */
export const MAX_TRANSACTION_OPS = 100;
/** Below the 4 MiB transaction limit, leaving room for the batch envelope. */
const MAX_TRANSACTION_BYTES = 3_500_000;

/** Splits one partition's entities into transactions of at most 100 operations and 3.5 MB, in order. */
export function inTransactions<E extends object>(entities: readonly E[]): E[][] {
  const groups: E[][] = [];
  let current: E[] = [];
  let bytes = 0;
  for (const entity of entities) {
    const size = Buffer.byteLength(JSON.stringify(entity)) + 1_000;
    if (
      current.length > 0 &&
      (current.length >= MAX_TRANSACTION_OPS || bytes + size > MAX_TRANSACTION_BYTES)
    ) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entity);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
