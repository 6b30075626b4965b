/**
 * The bench's table housekeeping in the parent process, never timed: dropping a run's tables, and keeping
 * the app's tables as they were before a notify run so that every paired run starts from the same state.
 */
import {
  TableClient,
  TableServiceClient,
  type TableEntity,
  type TransactionAction,
} from '@azure/data-tables';
import { withConcurrency } from '../../lib/core/concurrency';
import type { StoredByNotify } from './floors';

const open = (connectionString: string, name: string) =>
  TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });

/** Deletes every table whose name starts with `prefix`. */
export async function dropTables(connectionString: string, prefix: string): Promise<void> {
  const service = TableServiceClient.fromConnectionString(connectionString, {
    allowInsecureConnection: true,
  });
  const names: string[] = [];
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) names.push(table.name);
  await Promise.all(names.map((name) => service.deleteTable(name)));
}

type Entity = TableEntity<Record<string, unknown>>;
export type SavedTables = Map<string, Entity[]>;

/** Every entity of these tables, as stored (ETags and timestamps left out). */
export async function saveTables(connectionString: string, names: string[]): Promise<SavedTables> {
  const saved: SavedTables = new Map();
  for (const name of names) {
    const entities: Entity[] = [];
    for await (const entity of open(connectionString, name).listEntities<Record<string, unknown>>()) {
      const { etag: _etag, timestamp: _timestamp, ...rest } = entity as Entity & { timestamp?: unknown };
      entities.push(rest as Entity);
    }
    saved.set(name, entities);
  }
  return saved;
}

/** Puts the tables back exactly as saved: emptied, then each partition written in transactions. */
export async function restoreTables(connectionString: string, saved: SavedTables): Promise<void> {
  for (const [name, entities] of saved) {
    const table = open(connectionString, name);
    await table.deleteTable();
    await table.createTable();
    const partitions = new Map<string, Entity[]>();
    for (const entity of entities) {
      const group = partitions.get(entity.partitionKey) ?? [];
      group.push(entity);
      partitions.set(entity.partitionKey, group);
    }
    const chunks = [...partitions.values()].flatMap((group) =>
      Array.from({ length: Math.ceil(group.length / 100) }, (_, i) => group.slice(i * 100, i * 100 + 100)),
    );
    await withConcurrency(chunks, 8, async (chunk) => {
      await table.submitTransaction(chunk.map((e): TransactionAction => ['upsert', e, 'Replace']));
    });
  }
}

/** What a notify run stored: its release rows and its notification records (the floor stores the same). */
export async function storedByNotify(connectionString: string, prefix: string): Promise<StoredByNotify> {
  const saved = await saveTables(connectionString, [`${prefix}Releases`, `${prefix}Notifications`]);
  return {
    releases: saved.get(`${prefix}Releases`) ?? [],
    notifications: saved.get(`${prefix}Notifications`) ?? [],
  };
}
