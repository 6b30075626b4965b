/**
 * A snapshot world for tests: the Microsoft 365 simulator (sharing a manual clock with the job), the
 * real ExchangeAdminApi with a ClientSecretCredential against it, and fresh tables in the run's Azurite.
 */
import { randomBytes } from 'node:crypto';
import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import { DAY, ManualClock } from '../../lib/core/clock';
import { MemoryLogger } from '../../lib/core/log';
import type { Simulator } from '../../lib/simulator';
import { startTestSimulator } from './simulator';
import { ExchangeAdminApi } from '../../lib/sources/exchange/admin-api';
import { QuarantineStore } from '../../lib/store/quarantine-store';
import { StateStore } from '../../lib/store/state-store';
import { ensureTables, openTables, type Tables } from '../../lib/store/tables';
import type { SnapshotDeps } from '../../lib/jobs/snapshot';
import type { Settings } from '../../lib/config/settings';

/** Table access goes by connection string; this credential is never asked. */
export const NO_CREDENTIAL: TokenCredential = {
  getToken: async () => {
    throw new Error('no token: tables use a connection string in tests');
  },
};

export async function openTestTables(name: string): Promise<Tables> {
  const connectionString = process.env.TEST_TABLES_CONNECTION_STRING;
  if (!connectionString)
    throw new Error('TEST_TABLES_CONNECTION_STRING is not set (jest globalSetup starts Azurite)');
  const prefix = `${name}${randomBytes(4).toString('hex')}`;
  const tables = openTables({ kind: 'connectionString', connectionString }, prefix, NO_CREDENTIAL);
  await ensureTables(tables);
  return tables;
}

export interface SnapshotWorld {
  sim: Simulator;
  clock: ManualClock;
  tables: Tables;
  logger: MemoryLogger;
  exchange: ExchangeAdminApi;
  quarantine: QuarantineStore;
  state: StateStore;
  deps: SnapshotDeps;
  settings: Pick<Settings, 'snapshot' | 'acceptedDomains'>;
}

export async function startSnapshotWorld(
  name: string,
  options: { start?: string; maxRetryMs?: number; requestTimeoutMs?: number } = {},
): Promise<SnapshotWorld> {
  const clock = new ManualClock(options.start ?? '2026-03-02T12:00:00Z');
  // Tokens live a year by the simulator's clock: tests move that clock by weeks, MSAL caches by real time.
  const sim = await startTestSimulator({ clock, tokenLifetimeMs: 365 * DAY });
  const tables = await openTestTables(name);
  const logger = new MemoryLogger();
  const credential = new ClientSecretCredential(sim.tenantId, sim.clientId, sim.clientSecret, {
    authorityHost: sim.urls.login,
    disableInstanceDiscovery: true,
  });
  const exchange = new ExchangeAdminApi({
    baseUrl: sim.urls.exchange,
    tenantId: sim.tenantId,
    credential,
    clock,
    logger,
    retryDelayMs: 10,
    maxRetryDelayMs: 50,
    requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
    maxRetryMs: options.maxRetryMs ?? 20_000,
  });
  const quarantine = new QuarantineStore(tables.quarantine, { clock });
  const state = new StateStore(tables.state, clock);
  const settings = { snapshot: { overlapMinutes: 60, purgeGraceDays: 30 }, acceptedDomains: undefined };
  const deps: SnapshotDeps = { exchange, quarantine, state, clock, logger, settings };
  return { sim, clock, tables, logger, exchange, quarantine, state, deps, settings };
}

/** Every stored entity of the quarantine table. */
export async function storedRows(tables: Tables): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const e of tables.quarantine.listEntities<Record<string, unknown>>()) rows.push(e);
  return rows;
}
