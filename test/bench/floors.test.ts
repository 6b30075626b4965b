import { TableClient } from '@azure/data-tables';
import { ClientSecretCredential } from '@azure/identity';
import { DAY } from '../../lib/core/clock';
import { startWorld, type World } from '../support/world';
import { Generator } from './data';
import { backfillFloor, notifyFloor } from './floors';
import { simulatorEndpoints } from './shared';
import { storedByNotify } from './table-copies';

/**
 * The bench's floors are only floors if they store what our jobs store: the same rows under the same
 * keys. Here both run on one small tenant and their tables are compared (their speed is the bench's).
 */
describe('the bench floors store what our jobs store', () => {
  let world: World;
  let generator: Generator;
  const floorTables: TableClient[] = [];
  const connectionString = () => process.env.TEST_TABLES_CONNECTION_STRING!;
  const floorTable = async (suffix: string) => {
    const table = TableClient.fromConnectionString(
      connectionString(),
      `${world.settings.tableNamePrefix}floor${suffix}`,
      { allowInsecureConnection: true },
    );
    await table.createTable();
    floorTables.push(table);
    return table;
  };
  /** Rows with the given fields, or every property as stored (ETags and timestamps left out). */
  const rows = async (table: TableClient, fields?: string[]) => {
    const found: Record<string, unknown>[] = [];
    for await (const entity of table.listEntities<Record<string, unknown>>()) {
      const { etag: _etag, timestamp: _timestamp, ...stored } = entity as Record<string, unknown>;
      found.push(
        fields
          ? Object.fromEntries(['partitionKey', 'rowKey', ...fields].map((f) => [f, entity[f]]))
          : stored,
      );
    }
    const key = (row: Record<string, unknown>) => `${String(row.partitionKey)}|${String(row.rowKey)}`;
    return found.sort((a, b) => key(a).localeCompare(key(b)));
  };

  beforeAll(async () => {
    world = await startWorld({ settings: { NOTIFY_DRY_RUN: 'true' } });
    world.simulator.scenario.setAuditLatency(0);
    world.simulator.scenario.configureAuditQueries({ notStartedMs: 0, runningMs: 0 });
    generator = new Generator(world.simulator.scenario);
    // More than one page of 1,000, so that the floor fetches a page while it writes another.
    generator.addRows(1_500, generator.spreadOverMonth(world.clock.now()));
  });
  afterAll(async () => {
    await Promise.all(floorTables.map((t) => t.deleteTable()));
    await world.close();
  });

  test('the backfill floor writes the rows the snapshot writes, fetching each page once', async () => {
    const summary = await world.app.runSnapshot();
    const endpoints = simulatorEndpoints(world.simulator, connectionString());
    const token = await new ClientSecretCredential(
      world.simulator.tenantId,
      world.simulator.clientId,
      world.simulator.clientSecret,
      {
        authorityHost: world.simulator.urls.login,
        disableInstanceDiscovery: true,
      },
    ).getToken(`${new URL(endpoints.exchangeUrl).origin}/.default`);
    const end = world.clock.now();
    const table = await floorTable('Quarantine');

    const figures = await backfillFloor(endpoints, token.token, table, {
      start: new Date(end.getTime() - 30 * DAY).toISOString(),
      end: end.toISOString(),
    });

    expect(figures).toMatchObject({ rows: 1_500, exchangeCalls: 2 });
    expect(summary).toMatchObject({ rowsWritten: 1_500 });
    const fields = ['identity', 'senderAddress', 'subject', 'type', 'direction', 'receivedAt', 'expiresAt'];
    const floorRows = await rows(table, fields);
    expect(floorRows).toHaveLength(1_500);
    expect(floorRows).toEqual(await rows(world.app.tables.quarantine, fields));
  });

  test("notify's floor stores the release rows and emails a dry-run notify stores, every property, under the same keys", async () => {
    for (const message of generator.pickReleases(30)) {
      world.simulator.scenario.release({
        networkMessageId: message.networkMessageId,
        by: generator.releaser(),
      });
    }
    await world.app.runSnapshot();
    const summary = await world.app.runNotify();
    expect(summary.emailsComposed).toBeGreaterThan(0);
    const prefix = world.settings.tableNamePrefix;
    const stored = await storedByNotify(connectionString(), prefix);
    expect(stored.notifications).toHaveLength(summary.emailsComposed);
    const tables = {
      snapshot: world.app.tables.quarantine,
      releases: await floorTable('Releases'),
      emails: await floorTable('Emails'),
    };

    const figures = await notifyFloor(tables, stored, 8);

    const releases = await rows(tables.releases);
    expect(new Set(releases.map((row) => row.partitionKey)).size).toBe(30);
    expect(figures).toEqual({ units: releases.length, emails: stored.notifications.length });
    expect(releases).toEqual(await rows(world.app.tables.releases));
    // The rows as the dry run left them: its decision, and the email each was composed into.
    expect(releases.filter((row) => typeof row.notificationId === 'string').length).toBeGreaterThan(0);
    expect(await rows(tables.emails)).toEqual(await rows(world.app.tables.notifications));
  });
});
