/**
 * The Microsoft 365 simulator: Entra login, the Exchange admin API, Microsoft Graph and ACS Email on
 * https loopback ports, with the wire behaviour of docs/wire-contract.md, so the app's real SDK clients run
 * against it unchanged; plus a scenario API to shape the tenant and read what the app did.
 */
import { HOUR, OffsetClock, systemClock, type Clock } from '../core/clock';
import { ACS_ACCESS_KEY_DEFAULT, createAcsService } from './acs';
import type { ServiceName, SimulatorContext } from './contract';
import { createExchangeService } from './exchange';
import { createDirectoryRoutes } from './directory';
import { createGraphService } from './graph';
import type { ApiTokenSigner } from './api-tokens';
import { createLoginService } from './login';
import { createOutbox } from './outbox';
import { createScenarioApi, createScenarioRoutes, type ScenarioApi } from './scenario';
import { DEMO_CUSTOMER_TENANT, seedDemo, seedDemoCustomer } from './seed';
import { FaultBook, listen, RequestLog, type ServiceListener } from './server';
import { Tenant } from './state';

export type { ScenarioApi, AuditQuerySummary } from './scenario';
export type { NewMessage, QuarantineRow, QuarantineType } from './quarantine';
export type { AcceptedDomain, Permissions, ReleaseInput } from './state';
export type { AdminRights } from './directory';
export type { AuditQueryConfig, GraphAuditRecord } from './audit';
export { ensureCertificate } from './certificate';
export { SIMULATED_API } from './api-tokens';
export { DEMO_CUSTOMER_TENANT } from './seed';

export const DEFAULT_TENANT_ID = '00000000-0000-0000-0000-00000000c0de';
export const DEFAULT_CLIENT_ID = '5a1e0c1d-0000-4000-8000-00000000a99e';
export const DEFAULT_CLIENT_SECRET = 'sim~client~secret~not~a~real~one';
/** The app's service principal object id: what Azure calls the managed identity's principal id. */
export const DEFAULT_APP_PRINCIPAL_ID = '7d3a9b1e-0000-4000-8000-00000000a99e';
/** The administrator's tool (`qrn permissions` signs in as an administrator, never as the app). */
export const DEFAULT_ADMIN_CLIENT_ID = '5a1e0c1d-0000-4000-8000-00000000ad31';
export const DEFAULT_ADMIN_CLIENT_SECRET = 'sim~admin~secret~not~a~real~one';
/** The multi-tenant app registration customer tenants consent to (docs/architecture.md#many-tenants). */
export const DEFAULT_FLEET_APP_CLIENT_ID = '5a1e0c1d-0000-4000-8000-00000000f1ee';
/** The Azure-managed domain's sender the simulated ACS resource accepts. */
export const DEFAULT_SENDER_ADDRESS = 'DoNotReply@7f3c2a1e-9b8d-4c6f-a5e4-3d2c1b0a9f8e.azurecomm.net';

const SERVICES: ServiceName[] = ['login', 'exchange', 'graph', 'acs', 'scenario'];

export interface SimulatorOptions {
  /** Default: a real-time clock that the scenario can move forward. */
  clock?: Clock;
  certificate: { cert: string; key: string };
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Where sent emails are written as .eml files (none: memory only). */
  outboxDir?: string;
  /** Fixed ports; 0 or absent = a free port. */
  ports?: Partial<Record<ServiceName, number>>;
  /**
   * 'demo' fills the home tenant with the fixture situations and also serves DEMO_CUSTOMER_TENANT, a
   * customer tenant with auditing turned off; default 'none'.
   */
  seed?: 'demo' | 'none';
  /** Token lifetime by the simulator's clock (default 1 hour). */
  tokenLifetimeMs?: number;
  /** ACS access key (base64); default ACS_ACCESS_KEY_DEFAULT. */
  acsAccessKey?: string;
  /** ACS sender; default DEFAULT_SENDER_ADDRESS. */
  senderAddress?: string;
  /** Customer tenants served beside the home tenant, each with its own quarantine, audit log and directory. */
  fleetTenants?: string[];
  /** Requests the log keeps (default 5,000). */
  requestLogLimit?: number;
}

/** One customer tenant of the simulated host: its scenario, and its administrator's consent. */
export interface FleetTenantScenario extends ScenarioApi {
  /** Withdraws (false) or grants again (true) the multi-tenant app's consent in this tenant. */
  setConsent(granted: boolean): void;
}

export interface Simulator {
  /** https://127.0.0.1:PORT for each service, no trailing slash. */
  urls: Record<ServiceName, string>;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The app's service principal (object) id in the simulated directory. */
  appPrincipalId: string;
  /** The administrator's client id and secret (for `qrn permissions`). */
  adminClientId: string;
  adminClientSecret: string;
  /** The ACS endpoint, with its trailing slash as the portal shows it. */
  acsEndpoint: string;
  acsConnectionString: string;
  senderAddress: string;
  clock: Clock;
  scenario: ScenarioApi;
  /** Signed Entra ID tokens for the app's own API (GET /api/releases), verified by the login JWKS. */
  apiTokens: ApiTokenSigner;
  /** The customer tenants (SimulatorOptions.fleetTenants), signed in to by the multi-tenant app. */
  fleet: { appClientId: string; tenant(tenantId: string): FleetTenantScenario };
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const clock = options.clock ?? new OffsetClock();
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
  const clientSecret = options.clientSecret ?? DEFAULT_CLIENT_SECRET;
  const senderAddress = options.senderAddress ?? DEFAULT_SENDER_ADDRESS;
  const accessKey = options.acsAccessKey ?? ACS_ACCESS_KEY_DEFAULT;

  const tenant = new Tenant(tenantId, clock, {
    appClientId: clientId,
    appPrincipalId: DEFAULT_APP_PRINCIPAL_ID,
    adminClientId: DEFAULT_ADMIN_CLIENT_ID,
  });
  const log = new RequestLog(options.requestLogLimit);
  const faults = new FaultBook();
  const urls = {} as Record<ServiceName, string>;
  const customers = new Map<string, { tenant: Tenant; consented: boolean }>();
  const customerIds = new Set((options.fleetTenants ?? []).map((id) => id.toLowerCase()));
  if (options.seed === 'demo') customerIds.add(DEMO_CUSTOMER_TENANT.tenantId);
  for (const id of customerIds) {
    const customer = new Tenant(id, clock, {
      appClientId: DEFAULT_FLEET_APP_CLIENT_ID,
      appPrincipalId: DEFAULT_APP_PRINCIPAL_ID,
      adminClientId: DEFAULT_ADMIN_CLIENT_ID,
    });
    customers.set(id, { tenant: customer, consented: true });
  }
  const login = createLoginService({
    clock,
    tenantId,
    clientId,
    clientSecret,
    admin: { clientId: DEFAULT_ADMIN_CLIENT_ID, clientSecret: DEFAULT_ADMIN_CLIENT_SECRET },
    urls: () => urls,
    tenantNames: () => tenant.acceptedDomains.map((d) => d.domainName),
    tokenLifetimeMs: options.tokenLifetimeMs ?? HOUR,
    fleet: {
      appClientId: DEFAULT_FLEET_APP_CLIENT_ID,
      tenants: () =>
        [...customers.values()].map((c) => ({
          tenantId: c.tenant.tenantId,
          names: c.tenant.acceptedDomains.map((d) => d.domainName),
          consented: c.consented,
        })),
    },
  });

  const listeners: ServiceListener[] = [];
  try {
    for (const service of SERVICES) {
      const listener = await listen(
        {
          service,
          clock,
          tenantId,
          tokens: login.tokens,
          log,
          faults,
          graphBatchRefused: () => tenant.graphQuirks.batchRefused,
        },
        options.certificate,
        options.ports?.[service] ?? 0,
      );
      listeners.push(listener);
      urls[service] = listener.url;
    }
  } catch (error) {
    await Promise.all(listeners.map((l) => l.close()));
    throw error;
  }
  const router = (service: ServiceName) =>
    (listeners.find((l) => l.service === service) as ServiceListener).router;

  const outbox = createOutbox({ clock, directory: options.outboxDir });
  const ctx: SimulatorContext = { clock, tenantId, tokens: login.tokens, outbox };
  // The ACS SDK signs with the machine's time, which a moved simulator clock no longer matches.
  const acs = createAcsService(ctx, {
    accessKey,
    senderAddresses: [senderAddress],
    alsoAcceptSignaturesNear: systemClock,
  });
  const scenario = createScenarioApi({ clock, tenant, log, faults, outbox, acs: acs.scenario });

  const acsEndpoint = `${urls.acs}/`;
  const info = () => ({
    urls,
    tenantId,
    clientId,
    acsEndpoint,
    senderAddress,
    now: clock.now().toISOString(),
    endpoints: 'see the comment at the top of lib/simulator/scenario.ts',
  });
  router('login').setRoutes(login.routes);
  router('exchange').setRoutes(createExchangeService({ clock, tenant }).routes);
  router('graph').setRoutes([
    ...createGraphService({ clock, tenant, outbox }).routes,
    ...createDirectoryRoutes({ directory: tenant.directory, tokens: login.tokens }),
  ]);
  router('acs').setRoutes(acs.routes);
  const fleetScenarios = new Map<string, FleetTenantScenario>();
  for (const [id, customer] of customers) {
    router('exchange').setTenantRoutes(id, createExchangeService({ clock, tenant: customer.tenant }).routes);
    router('graph').setTenantRoutes(id, [
      ...createGraphService({ clock, tenant: customer.tenant, outbox }).routes,
      ...createDirectoryRoutes({ directory: customer.tenant.directory, tokens: login.tokens }),
    ]);
    const api = createScenarioApi({ clock, tenant: customer.tenant, log, faults, outbox, acs: acs.scenario });
    fleetScenarios.set(id, { ...api, setConsent: (granted) => (customer.consented = granted) });
  }
  router('scenario').setRoutes(createScenarioRoutes(scenario, info));

  if (options.seed === 'demo') {
    seedDemo(scenario);
    seedDemoCustomer(fleetScenarios.get(DEMO_CUSTOMER_TENANT.tenantId) as ScenarioApi);
  }

  return {
    urls: { ...urls },
    tenantId,
    clientId,
    clientSecret,
    appPrincipalId: DEFAULT_APP_PRINCIPAL_ID,
    adminClientId: DEFAULT_ADMIN_CLIENT_ID,
    adminClientSecret: DEFAULT_ADMIN_CLIENT_SECRET,
    acsEndpoint,
    acsConnectionString: `endpoint=${acsEndpoint};accesskey=${accessKey}`,
    senderAddress,
    clock,
    scenario,
    apiTokens: login.apiTokens,
    fleet: {
      appClientId: DEFAULT_FLEET_APP_CLIENT_ID,
      tenant: (id) => {
        const found = fleetScenarios.get(id.toLowerCase());
        if (!found) throw new Error(`the simulator serves no customer tenant ${id}`);
        return found;
      },
    },
    close: async () => {
      await Promise.all(listeners.map((l) => l.close()));
    },
  };
}
