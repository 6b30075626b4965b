import {
  AzureCliCredential,
  AzureDeveloperCliCredential,
  ChainedTokenCredential,
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { QueueClient } from '@azure/storage-queue';
import {
  loadSettings,
  SettingsError,
  type DirectorySettings,
  type Environment,
  type QueueStorageSettings,
  type Settings,
} from './config/settings';
import { settingsForTenant } from './fleet/tenant-settings';
import { TenantsStore, type TenantRecord } from './fleet/tenants-store';
import { poisonQueueName, TENANT_RUN_QUEUE_NAME } from './fleet/tenant-runs';
import { systemClock, type Clock } from './core/clock';
import { consoleLogger, type Logger } from './core/log';
import { runNotify, type NotifySummary } from './jobs/notify';
import { runSnapshot, type SnapshotSummary } from './jobs/snapshot';
import type { TenantDomains } from './jobs/outbound';
import type { EmailChannel } from './mail/channel';
import { createEmailChannel } from './mail';
import { GraphAuditQuerySource } from './sources/audit/graph-audit-query';
import { loadAcceptedDomains } from './sources/exchange/accepted-domains';
import { ExchangeAdminApi, type ExchangeAdminApiOptions } from './sources/exchange/admin-api';
import { createGraphClient } from './sources/graph-client';
import { readerDefaults, readerSettingsFor } from './sources/mailbox-settings';
import { NotificationsStore } from './store/notifications-store';
import { QuarantineStore } from './store/quarantine-store';
import { ReleasesStore } from './store/releases-store';
import { StateStore } from './store/state-store';
import { ensureTables, openTables, tableClient, type Tables } from './store/tables';

/**
 * The composition root: every client is built here, once, from the settings, and handed to the jobs.
 * The Functions host, the CLI and the local host all start from `createApplication`.
 */
export interface Application {
  settings: Settings;
  clock: Clock;
  credential: TokenCredential;
  tables: Tables;
  exchange: ExchangeAdminApi;
  graph: Client;
  channel: EmailChannel;
  quarantine: QuarantineStore;
  releases: ReleasesStore;
  notifications: NotificationsStore;
  state: StateStore;
  tenantDomains(logger?: Logger): Promise<TenantDomains>;
  runSnapshot(logger?: Logger): Promise<SnapshotSummary>;
  runNotify(logger?: Logger): Promise<NotifySummary>;
}

export interface ApplicationOverrides {
  clock?: Clock;
  logger?: Logger;
  credential?: TokenCredential;
  /**
   * The deployment's own Azure identity, for its tables and Communication Services, when `credential`
   * signs in to a customer tenant instead (docs/architecture.md#many-tenants). Default: `credential`.
   */
  azureCredential?: TokenCredential;
  /** Its tables are known to exist (a fleet opening a tenant again): they are not created again. */
  tablesExist?: boolean;
  /** Test seams: replace one client while keeping the rest real. */
  channel?: EmailChannel;
  /**
   * Test seam (the chaos run): shorter waits than production's, so that a dependency that hangs or
   * throttles costs seconds, not minutes. Production uses the clients' defaults.
   */
  timeouts?: {
    exchange?: Pick<
      ExchangeAdminApiOptions,
      'maxRetryMs' | 'requestTimeoutMs' | 'retryDelayMs' | 'maxRetryDelayMs' | 'maxRetries'
    >;
    /** One email send or status request. */
    emailMs?: number;
    /** One Microsoft Graph call, retries included. */
    graphMs?: number;
  };
}

/** Well-known Entra authority hosts; any other host (the simulator, a proxy) skips instance discovery. */
const KNOWN_AUTHORITIES = [
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.partner.microsoftonline.cn',
  'login.chinacloudapi.cn',
];

function authorityOptions(authorityHost: string) {
  return {
    authorityHost,
    disableInstanceDiscovery: !KNOWN_AUTHORITIES.includes(new URL(authorityHost).hostname),
  };
}

export function createCredential(settings: Settings): TokenCredential {
  const { clientId, clientSecret, certificatePath, authorityHost } = settings.credentials;
  const options = authorityOptions(authorityHost);
  if (clientId && clientSecret)
    return new ClientSecretCredential(settings.tenantId, clientId, clientSecret, options);
  if (clientId && certificatePath) {
    return new ClientCertificateCredential(settings.tenantId, clientId, { certificatePath }, options);
  }
  // In Azure: the user-assigned managed identity named by AZURE_CLIENT_ID.
  if (clientId) return new ManagedIdentityCredential({ clientId });
  // A developer's own sign-in (Azure CLI and friends), for local runs against a real tenant.
  return new DefaultAzureCredential({ tenantId: settings.tenantId });
}

/**
 * Signs in to one customer tenant as the multi-tenant app registration, with no secret: its client
 * assertion is the deployment's own token for the token exchange (its managed identity in Azure, which
 * the registration trusts as a federated credential). docs/architecture.md#many-tenants.
 */
export function createTenantCredential(
  settings: Settings,
  deploymentCredential: TokenCredential,
): TokenCredential {
  const { appClientId, assertionAudience } = settings.fleet;
  if (!appClientId) {
    throw new SettingsError([
      'FLEET_APP_CLIENT_ID is not set: set it to the multi-tenant app registration customer tenants are signed in to by (azd env get-value FLEET_APP_CLIENT_ID).',
    ]);
  }
  return new ClientAssertionCredential(
    settings.tenantId,
    appClientId,
    async () => {
      const token = await deploymentCredential.getToken(`${assertionAudience}/.default`);
      if (!token) throw new Error(`the deployment's identity returned no token for ${assertionAudience}`);
      return token.token;
    },
    authorityOptions(settings.credentials.authorityHost),
  );
}

export async function createApplication(
  settings: Settings,
  overrides: ApplicationOverrides = {},
): Promise<Application> {
  const clock = overrides.clock ?? systemClock;
  const defaultLogger = overrides.logger ?? consoleLogger;
  const credential = overrides.credential ?? createCredential(settings);
  const azureCredential = overrides.azureCredential ?? credential;
  const tables = openTables(settings.tables, settings.tableNamePrefix, azureCredential);
  if (!overrides.tablesExist) await ensureTables(tables);

  const timeouts = overrides.timeouts ?? {};
  const graph = createGraphClient(settings.graphApiUrl, credential, defaultLogger, {
    requestTimeoutMs: timeouts.graphMs,
  });
  const state = new StateStore(tables.state, clock);
  const quarantine = new QuarantineStore(tables.quarantine, { clock });
  const releases = new ReleasesStore(tables.releases);
  const notifications = new NotificationsStore(tables.notifications);
  const channel =
    overrides.channel ??
    createEmailChannel(settings.email, {
      credential: azureCredential,
      graph,
      logger: defaultLogger,
      timeoutMs: timeouts.emailMs,
    });
  const exchangeFor = (logger: Logger) =>
    new ExchangeAdminApi({
      baseUrl: settings.exchangeAdminApiUrl,
      tenantId: settings.tenantId,
      credential,
      clock,
      logger,
      ...timeouts.exchange,
    });
  const exchange = exchangeFor(defaultLogger);

  const tenantDomains = (logger: Logger = defaultLogger) =>
    loadAcceptedDomains({ exchange: exchangeFor(logger), graph, state, clock, logger, settings });

  return {
    settings,
    clock,
    credential,
    tables,
    exchange,
    graph,
    channel,
    quarantine,
    releases,
    notifications,
    state,
    tenantDomains,
    runSnapshot: (logger = defaultLogger) =>
      runSnapshot({
        exchange: exchangeFor(logger),
        quarantine,
        releases,
        state,
        clock,
        logger,
        settings,
      }),
    runNotify: (logger = defaultLogger) =>
      runNotify({
        settings,
        clock,
        logger,
        state,
        releases,
        notifications,
        quarantine,
        channel,
        tenantDomains: () => tenantDomains(logger),
        readers: (senders) =>
          readerSettingsFor({ graph, state, clock, logger, defaults: readerDefaults(settings) }, senders),
        auditSource:
          settings.releaseSources === 'quarantine'
            ? undefined
            : new GraphAuditQuerySource({ graph, state, clock, logger, settings }),
      }),
  };
}

// ---------------------------------------------------------------- many tenants

/**
 * The deployment serving many tenants (docs/architecture.md#many-tenants): the tenants table, the queue
 * each tenant's run waits on, and each customer tenant's own application, built by `createApplication`
 * from the app settings with the tenant's row over them and signed in to that tenant alone.
 */
export interface Fleet {
  /** The deployment's own settings (its home tenant is served by the timers as a single tenant is). */
  settings: Settings;
  tenants: TenantsStore;
  /** Where tenant runs wait, and where the runs that failed every attempt are set aside. */
  queues(): { runs: QueueClient; poison: QueueClient };
  /** A customer tenant's application; the same for the same row, so its tokens are reused across runs. */
  openTenant(tenant: TenantRecord, logger?: Logger): Promise<Application>;
  /** A customer tenant's settings: the app settings with its row over them (throws SettingsError). */
  tenantSettings(tenant: TenantRecord): Settings;
  /** The customer tenant's four tables, to delete them all (`qrn tenants remove --purge`). */
  tenantTables(tenant: TenantRecord): Tables;
  /**
   * The customer tenant's settings and the two credentials its application uses: the tenant's sign-in
   * (for Exchange and Graph) and the deployment's (for its storage and mail), for `qrn doctor --tenant`.
   */
  tenantSignIn(tenant: TenantRecord): {
    settings: Settings;
    credential: TokenCredential;
    azureCredential: TokenCredential;
  };
}

/**
 * Customer tenants' applications a fleet keeps open: a few batches' worth. The queue spreads each tenant's
 * runs over the instances, so one kept longer is seldom run again on the same instance, while keeping
 * them all grows an instance's memory with every tenant it ever ran (the fleet bench measures it).
 */
export const OPEN_TENANT_APPLICATIONS = 24;

export function createFleet(
  env: Environment,
  overrides: ApplicationOverrides & {
    /** Test seam: a queue of the test's own on the shared Azurite (the host's queue name is fixed). */
    queueName?: string;
  } = {},
): Fleet {
  const settings = loadSettings(env);
  const clock = overrides.clock ?? systemClock;
  const deploymentCredential =
    overrides.azureCredential ?? overrides.credential ?? createCredential(settings);
  const tenants = new TenantsStore(
    tableClient(settings.tables, `${settings.tableNamePrefix}Tenants`, deploymentCredential),
    clock,
  );
  // The most recently run tenants' applications, the oldest let go: an instance that runs thousands of
  // tenants keeps only a few of them (their clients, sockets and tokens), and their tables' names.
  const opened = new Map<string, { changedAt: string; application: Promise<Application> }>();
  const tablesExist = new Set<string>();
  // A tenant removed with its tables and added again is a new tenant: its tables are created again.
  const tablesOf = (tenant: TenantRecord) => `${tenant.tenantId} ${tenant.addedAt}`;
  const queue = (name: string) => queueClient(settings.fleet.queues, name, deploymentCredential);
  const signIn = (tenant: TenantRecord) => {
    const tenantSettings = settingsForTenant(env, tenant);
    return {
      settings: tenantSettings,
      credential: createTenantCredential(tenantSettings, deploymentCredential),
      azureCredential: deploymentCredential,
    };
  };
  return {
    settings,
    tenants,
    queues: () => {
      const runs = overrides.queueName ?? TENANT_RUN_QUEUE_NAME;
      return { runs: queue(runs), poison: queue(poisonQueueName(runs)) };
    },
    openTenant(tenant, logger) {
      const cached = opened.get(tenant.tenantId);
      opened.delete(tenant.tenantId);
      if (cached && cached.changedAt === tenant.changedAt) {
        opened.set(tenant.tenantId, cached);
        return cached.application;
      }
      const { settings: tenantSettings, ...credentials } = signIn(tenant);
      const application = createApplication(tenantSettings, {
        ...overrides,
        logger: logger ?? overrides.logger,
        ...credentials,
        tablesExist: tablesExist.has(tablesOf(tenant)),
      });
      opened.set(tenant.tenantId, { changedAt: tenant.changedAt, application });
      while (opened.size > OPEN_TENANT_APPLICATIONS) opened.delete(opened.keys().next().value!);
      application.then(
        () => tablesExist.add(tablesOf(tenant)),
        () => opened.delete(tenant.tenantId),
      );
      return application;
    },
    tenantSettings: (tenant) => settingsForTenant(env, tenant),
    tenantTables: (tenant) =>
      openTables(settings.tables, settingsForTenant(env, tenant).tableNamePrefix, deploymentCredential),
    tenantSignIn: signIn,
  };
}

function queueClient(
  storage: QueueStorageSettings | undefined,
  name: string,
  credential: TokenCredential,
): QueueClient {
  if (!storage) {
    throw new Error(
      'The host storage has no queue service: set AzureWebJobsStorage (a connection string) or AzureWebJobsStorage__queueServiceUri.',
    );
  }
  return storage.kind === 'accountUrl'
    ? new QueueClient(`${storage.accountUrl}/${name}`, credential)
    : new QueueClient(storage.connectionString, name);
}

// ---------------------------------------------------------------- the administrator's tools

/**
 * The clients `qrn doctor` checks with: the same settings, credential and endpoints as the app, but
 * built without touching storage first (an unreachable account is one of the things it reports) and with
 * short retry budgets, so a broken permission answers in seconds, not after the jobs' five minutes.
 */
export interface DiagnosticClients {
  credential: TokenCredential;
  /** The credential for Azure Storage and Communication Services (the deployment's, for a customer tenant). */
  azureCredential: TokenCredential;
  tables: Tables;
  graph: Client;
  exchange: ExchangeAdminApi;
  /** The configured email channel, or why it could not be built. */
  channel: EmailChannel | Error;
}

export function createDiagnosticClients(
  settings: Settings,
  overrides: ApplicationOverrides = {},
): DiagnosticClients {
  const credential = overrides.credential ?? createCredential(settings);
  const azureCredential = overrides.azureCredential ?? credential;
  const clock = overrides.clock ?? systemClock;
  const graph = createGraphClient(settings.graphApiUrl, credential);
  // Short retries: a diagnosis should say "unreachable" in seconds, not minutes.
  const retryOptions = { maxRetries: 1, retryDelayInMs: 200, maxRetryDelayInMs: 1_000 };
  const tables = openTables(settings.tables, settings.tableNamePrefix, azureCredential, { retryOptions });
  const exchange = new ExchangeAdminApi({
    baseUrl: settings.exchangeAdminApiUrl,
    tenantId: settings.tenantId,
    credential,
    clock,
    maxRetryMs: 20_000,
    requestTimeoutMs: 20_000,
    retryDelayMs: 1_000,
    maxRetries: 2,
  });
  let channel: EmailChannel | Error;
  try {
    channel = overrides.channel ?? createEmailChannel(settings.email, { credential: azureCredential, graph });
  } catch (error) {
    channel = error instanceof Error ? error : new Error(String(error));
  }
  return { credential, azureCredential, tables, graph, exchange, channel };
}

/**
 * `qrn permissions` signs in as the administrator running it (Azure CLI, or the Azure Developer CLI in an
 * azd hook), never as the app: granting roles takes a Privileged Role Administrator.
 */
export function createAdministratorCredential(settings: DirectorySettings): TokenCredential {
  const options = { tenantId: settings.tenantId };
  return new ChainedTokenCredential(
    new AzureCliCredential(options),
    new AzureDeveloperCliCredential(options),
  );
}

/** The Graph client `qrn permissions` uses, for the configured Graph host. */
export function createDirectoryClient(settings: DirectorySettings, credential: TokenCredential): Client {
  return createGraphClient(settings.graphApiUrl, credential);
}
