import {
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Settings } from './config/settings';
import { systemClock, type Clock } from './core/clock';
import { consoleLogger, type Logger } from './core/log';
import { runNotify, type NotifySummary } from './jobs/notify';
import { runSnapshot, type SnapshotSummary } from './jobs/snapshot';
import type { TenantDomains } from './jobs/outbound';
import type { EmailChannel } from './mail/channel';
import { createEmailChannel } from './mail';
import { GraphAuditQuerySource } from './sources/audit/graph-audit-query';
import { loadAcceptedDomains } from './sources/exchange/accepted-domains';
import { ExchangeAdminApi } from './sources/exchange/admin-api';
import { createGraphClient } from './sources/graph-client';
import { NotificationsStore } from './store/notifications-store';
import { QuarantineStore } from './store/quarantine-store';
import { ReleasesStore } from './store/releases-store';
import { StateStore } from './store/state-store';
import { ensureTables, openTables, type Tables } from './store/tables';

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
  /** Test seams: replace one client while keeping the rest real. */
  channel?: EmailChannel;
}

/** Well-known Entra authority hosts; any other host (the simulator, a proxy) skips instance discovery. */
const KNOWN_AUTHORITIES = [
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.partner.microsoftonline.cn',
  'login.chinacloudapi.cn',
];

export function createCredential(settings: Settings): TokenCredential {
  const { clientId, clientSecret, certificatePath, authorityHost } = settings.credentials;
  const options = {
    authorityHost,
    disableInstanceDiscovery: !KNOWN_AUTHORITIES.includes(new URL(authorityHost).hostname),
  };
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

export async function createApplication(
  settings: Settings,
  overrides: ApplicationOverrides = {},
): Promise<Application> {
  const clock = overrides.clock ?? systemClock;
  const defaultLogger = overrides.logger ?? consoleLogger;
  const credential = overrides.credential ?? createCredential(settings);
  const tables = openTables(settings.tables, settings.tableNamePrefix, credential);
  await ensureTables(tables);

  const graph = createGraphClient(settings.graphApiUrl, credential);
  const state = new StateStore(tables.state, clock);
  const quarantine = new QuarantineStore(tables.quarantine, { clock });
  const releases = new ReleasesStore(tables.releases);
  const notifications = new NotificationsStore(tables.notifications);
  const channel = overrides.channel ?? createEmailChannel(settings.email, { credential, graph });
  const exchangeFor = (logger: Logger) =>
    new ExchangeAdminApi({
      baseUrl: settings.exchangeAdminApiUrl,
      tenantId: settings.tenantId,
      credential,
      clock,
      logger,
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
        graph,
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
        auditSource:
          settings.releaseSources === 'quarantine'
            ? undefined
            : new GraphAuditQuerySource({ graph, state, clock, logger, settings }),
      }),
  };
}
