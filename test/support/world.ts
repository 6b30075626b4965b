import { randomBytes } from 'node:crypto';
import { loadSettings, type Settings } from '../../lib/config/settings';
import { DAY, MINUTE, ManualClock } from '../../lib/core/clock';
import { MemoryLogger } from '../../lib/core/log';
import { createApplication, type Application, type ApplicationOverrides } from '../../lib/composition';
import { startSimulator, type Simulator } from '../../lib/simulator';
import { testCertificate } from './simulator';

/**
 * A whole tenant for one test: the simulator and the app sharing one ManualClock, the app's tables on
 * the run's Azurite under a prefix of their own, and settings exactly as an administrator would set them.
 */
export interface World {
  clock: ManualClock;
  simulator: Simulator;
  logger: MemoryLogger;
  settings: Settings;
  app: Application;
  /** The settings environment the app was built from, with `extra` over it (for the CLI's `env`). */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Builds a second application on the same tables and tenant (a CLI run beside the timer). */
  another(overrides?: ApplicationOverrides & { settings?: Record<string, string> }): Promise<Application>;
  close(): Promise<void>;
}

export async function startWorld(
  options: {
    start?: string;
    settings?: Record<string, string>;
    seed?: 'demo' | 'none';
    /** Where the simulator writes each email as an .eml file (none: memory only). */
    outboxDir?: string;
    /** Customer tenants the simulator serves beside the home tenant (the app gets FLEET_APP_CLIENT_ID). */
    fleetTenants?: string[];
  } & ApplicationOverrides = {},
): Promise<World> {
  const clock = new ManualClock(options.start ?? '2026-03-02T16:00:00Z');
  const certificate = await testCertificate();
  // Client libraries cache tokens by real time while this clock jumps hours ahead: tokens outlive the test.
  const simulator = await startSimulator({
    clock,
    certificate,
    seed: options.seed ?? 'none',
    tokenLifetimeMs: 365 * DAY,
    outboxDir: options.outboxDir,
    fleetTenants: options.fleetTenants,
  });
  const connectionString = process.env.TEST_TABLES_CONNECTION_STRING;
  if (!connectionString)
    throw new Error('TEST_TABLES_CONNECTION_STRING is not set: run the tests with npm test');
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const env = (extra: Record<string, string> = {}) => ({
    AZURE_TENANT_ID: simulator.tenantId,
    AZURE_CLIENT_ID: simulator.clientId,
    AZURE_CLIENT_SECRET: simulator.clientSecret,
    AZURE_AUTHORITY_HOST: simulator.urls.login,
    EXCHANGE_ADMIN_API_URL: simulator.urls.exchange,
    GRAPH_API_URL: simulator.urls.graph,
    ACS_CONNECTION_STRING: simulator.acsConnectionString,
    EMAIL_SENDER_ADDRESS: simulator.senderAddress,
    TABLES_CONNECTION_STRING: connectionString,
    TABLE_NAME_PREFIX: prefix,
    AUDIT_QUERY_POLL_SECONDS: '300',
    ...(options.fleetTenants
      ? {
          FLEET_APP_CLIENT_ID: simulator.fleet.appClientId,
          AzureWebJobsStorage: process.env.TEST_QUEUES_CONNECTION_STRING ?? '',
        }
      : {}),
    ...options.settings,
    ...extra,
  });
  const logger = new MemoryLogger();
  const settings = loadSettings(env());
  const app = await createApplication(settings, { clock, logger, ...options });
  return {
    clock,
    simulator,
    logger,
    settings,
    app,
    env,
    another: async (overrides = {}) =>
      createApplication(loadSettings(env(overrides.settings)), { clock, logger, ...overrides }),
    close: async () => {
      await simulator.close();
      await Promise.all(Object.values(app.tables).map((t) => t.deleteTable().catch(() => undefined)));
    },
  };
}

/** One 15-minute period of the unattended schedule: the clock moves on, then snapshot, then notify. */
export async function runPeriod(world: World) {
  world.clock.advance(15 * MINUTE);
  const snapshot = await world.app.runSnapshot();
  const notify = await world.app.runNotify();
  return { snapshot, notify };
}
