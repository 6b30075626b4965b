import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import { loadSettings, SettingsError, type Environment, type Settings } from '../config/settings';
import { DAY, systemClock, type Clock } from '../core/clock';
import {
  createDiagnosticClients,
  createFleet,
  type ApplicationOverrides,
  type DiagnosticClients,
} from '../composition';
import { fleetAppOf, tenantFix, type FleetApp, type PermissionGap } from '../fleet/tenant-fixes';
import { tenantIdOf } from '../fleet/tenant-settings';
import type { EmailChannel } from '../mail/channel';
import { ExchangeApiError } from '../sources/exchange/admin-api';
import { permissionGap } from '../sources/failure-class';
import { graphFailure } from '../sources/graph-errors';
import { lastRunFindings } from '../ops/last-run-check';
import { StateStore } from '../store/state-store';
import { TABLE_NAMES } from '../store/tables';
import type { Check } from './check';
import { checkMailboxSettings } from './mailbox-settings-check';
import { canonicalAddress } from '../core/address';
import { checkSetAside } from './set-aside-check';

/**
 * `qrn doctor`: checks every setting, signs in for each resource, and makes the smallest real call to each
 * API the app uses, as the app (its settings, its credential). Every failure names its fix. It only reads:
 * it never creates an audit log query (they count against the tenant's ~200 a day) and sends an email only
 * when asked to (`sendTestTo`).
 */

export interface DoctorOptions {
  env: Environment;
  overrides?: ApplicationOverrides;
  /** Send one real test email to this address through the configured channel. */
  sendTestTo?: string;
  /** Called as each check completes (the CLI prints the checklist as it goes). */
  onCheck?: (check: Check) => void;
  /**
   * A customer tenant this deployment serves (`qrn doctor --tenant`): checked through its own settings and
   * sign-in, with fixes for its administrator (docs/architecture.md#many-tenants).
   */
  tenantId?: string;
}

/** A customer tenant's id and app, whose refusals are fixed by its consent or its directory role. */
interface Customer {
  tenantId: string;
  app: FleetApp;
}

/** Thrown for a `--tenant` this deployment does not serve. */
export class UnknownTenantError extends Error {}

export interface DoctorResult {
  checks: Check[];
  /** True when no check failed (warnings and skips allowed). */
  ok: boolean;
}

const PERMISSIONS_HINT =
  '`qrn permissions --principal-id <principal id of the identity>` grants all of them at once.';

export async function runDoctor(options: DoctorOptions): Promise<DoctorResult> {
  const checks: Check[] = [];
  const report = (check: Check) => {
    checks.push(check);
    options.onCheck?.(check);
    return check;
  };
  const done = (): DoctorResult => ({ checks, ok: checks.every((c) => c.status !== 'fail') });

  // 1. Settings: without valid ones nothing else can be checked.
  let settings: Settings;
  try {
    settings = loadSettings(options.env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    for (const problem of error.problems) {
      const [what, fix] = splitFix(problem);
      report({ name: 'settings', status: 'fail', detail: what, fix });
    }
    return done();
  }
  let overrides = options.overrides;
  let customer: Customer | undefined;
  if (options.tenantId !== undefined) {
    // The customer tenant's own composition: its row over the app settings, signed in to it alone.
    const fleet = createFleet(options.env, options.overrides);
    const tenant = await fleet.tenants.get(tenantIdOf(options.tenantId));
    if (!tenant) {
      throw new UnknownTenantError(
        `No tenant ${options.tenantId} is served by this deployment (qrn tenants list shows them).`,
      );
    }
    let signedIn: ReturnType<typeof fleet.tenantSignIn>;
    try {
      signedIn = fleet.tenantSignIn(tenant);
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      for (const problem of error.problems) {
        const [what, fix] = splitFix(problem);
        report({ name: 'settings', status: 'fail', detail: `${tenant.displayName}: ${what}`, fix });
      }
      return done();
    }
    const { credential, azureCredential } = signedIn;
    settings = signedIn.settings;
    overrides = { ...options.overrides, credential, azureCredential };
    customer = {
      tenantId: tenant.tenantId,
      app: fleetAppOf(settings),
    };
  }
  report({ name: 'settings', status: 'pass', detail: describeSettings(settings) });
  for (const note of pilotNotes(settings)) report({ name: 'settings', status: 'warn', detail: note });

  const clock = overrides?.clock ?? systemClock;
  const clients = createDiagnosticClients(settings, overrides);

  // 2. A token for each resource the app calls.
  const exchangeOrigin = new URL(settings.exchangeAdminApiUrl).origin;
  const graphOrigin = new URL(settings.graphApiUrl).origin;
  const identity = customer
    ? `the multi-tenant app ${customer.app.appClientId} (signed in with the deployment's identity)`
    : describeIdentity(settings);
  const tenantSignIn = (resource: string, origin: string) =>
    signIn(clients.credential, resource, origin, identity, settings, customer);
  const exchangeToken = report(await tenantSignIn('Exchange Online', exchangeOrigin));
  const graphToken = report(await tenantSignIn('Microsoft Graph', graphOrigin));
  // Storage and mail are the deployment's own, signed in to as the deployment for every tenant.
  const deploymentIdentity = describeIdentity(settings);
  if (settings.tables.kind === 'accountUrl') {
    report(
      await signIn(
        clients.azureCredential,
        'Azure Storage',
        'https://storage.azure.com',
        deploymentIdentity,
        settings,
      ),
    );
  }
  if (settings.email.channel === 'acs' && settings.email.acs?.kind === 'endpoint') {
    report(
      await signIn(
        clients.azureCredential,
        'Communication Services',
        'https://communication.azure.com',
        deploymentIdentity,
        settings,
      ),
    );
  }

  // 3. The smallest real call to each API.
  if (exchangeToken.status === 'fail') {
    report({
      name: 'Exchange: quarantine',
      status: 'skip',
      detail: 'no token for Exchange Online (see above)',
    });
    report({
      name: 'Exchange: accepted domains',
      status: 'skip',
      detail: 'no token for Exchange Online (see above)',
    });
  } else {
    report(await checkQuarantine(clients, clock, customer));
    report(await checkAcceptedDomains(clients, settings, graphToken.status !== 'fail', customer));
  }
  if (settings.releaseSources === 'quarantine') {
    report({
      name: 'Graph: audit log queries',
      status: 'skip',
      detail: 'RELEASE_SOURCES=quarantine: the audit log is not read',
    });
  } else if (graphToken.status === 'fail') {
    report({
      name: 'Graph: audit log queries',
      status: 'skip',
      detail: 'no token for Microsoft Graph (see above)',
    });
  } else {
    report(await checkAuditQueries(clients, settings, customer));
  }
  if (graphToken.status !== 'fail') report(await checkMailboxSettings(clients, settings));
  const tables = report(await checkTables(clients, settings));
  report(await checkSetAside(clients.tables, clock));
  // Each job's last run, judged with the alerts' thresholds (lib/ops/last-run-check.ts).
  for (const { job, finding } of tables.status === 'pass'
    ? await lastRunFindings(
        new StateStore(clients.tables.state, clock),
        clock.now(),
        settings.alerts.noSuccessMinutes,
      )
    : []) {
    report({ name: `last run: ${job}`, ...finding });
  }
  report(await checkChannel(clients.channel, settings));
  if (options.sendTestTo !== undefined) report(await sendTest(clients.channel, options.sendTestTo));
  return done();
}

// ---------------------------------------------------------------- settings

function splitFix(problem: string): [string, string] {
  // SettingsError problems read "NAME is missing: how to fix it. (meaning)".
  const colon = problem.indexOf(': ');
  if (colon < 0) return [problem, 'see the settings table in the README'];
  return [problem.slice(0, colon), problem.slice(colon + 2)];
}

function describeSettings(settings: Settings): string {
  const tables =
    settings.tables.kind === 'accountUrl' ? 'tables by managed identity' : 'tables by connection string';
  return (
    `valid: tenant ${settings.tenantId}, ${tables} (prefix ${settings.tableNamePrefix}), ` +
    `releases from ${settings.releaseSources === 'both' ? 'the audit log and the quarantine' : `the ${settings.releaseSources === 'audit' ? 'audit log' : 'quarantine'}`}, ` +
    `email by ${settings.email.channel === 'acs' ? 'Communication Services' : 'Graph sendMail'}`
  );
}

function pilotNotes(settings: Settings): string[] {
  const notes: string[] = [];
  if (settings.pilot.dryRun)
    notes.push('NOTIFY_DRY_RUN is on: notifications are composed and recorded, never sent');
  if (settings.pilot.redirectTo)
    notes.push('NOTIFY_REDIRECT_TO is set: every notification goes to that address instead of the sender');
  if (settings.pilot.allowedSenders) {
    notes.push(
      `NOTIFY_ALLOWED_SENDERS is set: only ${settings.pilot.allowedSenders.length} sender(s) or domain(s) are notified`,
    );
  }
  return notes;
}

function describeIdentity(settings: Settings): string {
  const { clientId, clientSecret, certificatePath } = settings.credentials;
  if (clientId && clientSecret) return `app ${clientId} with a client secret`;
  if (clientId && certificatePath) return `app ${clientId} with a certificate`;
  if (clientId) return `managed identity ${clientId}`;
  return 'your own sign-in (Azure CLI and friends)';
}

// ---------------------------------------------------------------- sign-in

async function signIn(
  credential: TokenCredential,
  resource: string,
  origin: string,
  identity: string,
  settings: Settings,
  customer?: Customer,
): Promise<Check> {
  const name = `sign-in: ${resource}`;
  try {
    const token = await credential.getToken(`${origin}/.default`);
    if (!token) throw new Error('the credential returned no token');
    return { name, status: 'pass', detail: `token for ${origin} as ${identity}` };
  } catch (error) {
    const message = graphFailure(error).message;
    return {
      name,
      status: 'fail',
      detail: `no token for ${origin} as ${identity}: ${message}`,
      fix: customerFix(customer, permissionGap(error)) ?? signInFix(message, settings),
    };
  }
}

/** A customer tenant's fix for a refusal that lacks its consent or its directory role. */
function customerFix(customer: Customer | undefined, gap: PermissionGap | undefined): string | undefined {
  return customer && gap ? `${tenantFix(gap, customer.tenantId, customer.app)}.` : undefined;
}

export function signInFix(message: string, settings: Settings): string {
  if (
    /AADSTS90002|AADSTS900023|tenant .*not found|invalid_tenant|endpoints_resolution_error/i.test(message)
  ) {
    return (
      `AZURE_TENANT_ID (${settings.tenantId}) is not a tenant ${new URL(settings.credentials.authorityHost).host} knows: ` +
      'set it to the Directory (tenant) ID shown in Entra ID > Overview (and AZURE_AUTHORITY_HOST for a national cloud).'
    );
  }
  if (/AADSTS700016/.test(message)) {
    return `AZURE_CLIENT_ID (${settings.credentials.clientId}) is not an application in tenant ${settings.tenantId}: use the client id of the app registration or managed identity of this tenant.`;
  }
  if (/AADSTS7000215|AADSTS7000222/.test(message)) {
    return 'AZURE_CLIENT_SECRET is wrong or expired: create a new client secret and copy its Value (not its Secret ID).';
  }
  if (/AADSTS700027|AADSTS700024|certificate/i.test(message)) {
    return 'The certificate in AZURE_CLIENT_CERTIFICATE_PATH is not one registered on the app: upload its public key to the app registration.';
  }
  if (/AADSTS500011/.test(message)) {
    return 'The resource is not provisioned in this tenant: check EXCHANGE_ADMIN_API_URL / GRAPH_API_URL, and that the tenant has Exchange Online.';
  }
  if (/ManagedIdentityCredential|managed identity|IMDS/i.test(message)) {
    return 'No managed identity answered: in Azure, attach the user-assigned identity to the function app and set AZURE_CLIENT_ID to its client id; locally, set AZURE_CLIENT_SECRET (or a certificate) for an app registration, or sign in with az login.';
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|getaddrinfo/i.test(message)) {
    return `The sign-in service at ${settings.credentials.authorityHost} cannot be reached: check AZURE_AUTHORITY_HOST and the network.`;
  }
  return 'Check AZURE_TENANT_ID, AZURE_CLIENT_ID and the credential settings (see the README).';
}

// ---------------------------------------------------------------- Exchange

async function checkQuarantine(
  clients: DiagnosticClients,
  clock: Clock,
  customer?: Customer,
): Promise<Check> {
  const name = 'Exchange: quarantine';
  const now = clock.now();
  try {
    const result = await clients.exchange.invoke('Get-QuarantineMessage', {
      PageSize: 1,
      Page: 1,
      StartReceivedDate: new Date(now.getTime() - DAY).toISOString(),
      EndReceivedDate: now.toISOString(),
    });
    return {
      name,
      status: 'pass',
      detail: `Get-QuarantineMessage (PageSize 1, last 24 hours) answered with ${result.rows.length} row(s)`,
    };
  } catch (error) {
    return { name, status: 'fail', ...exchangeFailure(error, 'Get-QuarantineMessage', customer) };
  }
}

function exchangeFailure(
  error: unknown,
  cmdlet: string,
  customer?: Customer,
): { detail: string; fix: string } {
  if (!(error instanceof ExchangeApiError)) {
    return {
      detail: `${cmdlet} failed: ${graphFailure(error).message}`,
      fix: 'Check EXCHANGE_ADMIN_API_URL and the sign-in above.',
    };
  }
  const status = error.status !== undefined ? `HTTP ${error.status}` : 'no answer';
  const said = error.serviceMessage ? `: ${error.serviceMessage}` : '';
  switch (error.kind) {
    case 'missing-app-role':
      return {
        detail: `${cmdlet}: ${status}, the token carries no Exchange.ManageAsApp${said}`,
        fix:
          customerFix(customer, 'consent') ??
          `Grant Exchange.ManageAsApp (application permission of "Office 365 Exchange Online") to the app, with admin consent. ${PERMISSIONS_HINT}`,
      };
    case 'missing-directory-role':
      return {
        detail: `${cmdlet}: ${status}, the app has no directory role that may run it`,
        fix:
          cmdlet === 'Get-AcceptedDomain'
            ? 'Assign the Global Reader role to the app, grant Domain.Read.All on Microsoft Graph, or set ACCEPTED_DOMAINS.'
            : (customerFix(customer, 'directory-role') ??
              `Assign the Security Reader role to the app (Entra ID > Roles and administrators > Security Reader > Add assignments). ${PERMISSIONS_HINT}`),
      };
    case 'network':
    case 'gave-up':
      return {
        detail: `${cmdlet}: ${error.message}`,
        fix: `Check EXCHANGE_ADMIN_API_URL and that this machine reaches it (proxy, firewall).`,
      };
    default:
      return {
        detail: `${cmdlet}: ${error.message}`,
        fix: 'Run doctor again in a few minutes; if it persists, see the message above.',
      };
  }
}

async function checkAcceptedDomains(
  clients: DiagnosticClients,
  settings: Settings,
  graphUsable: boolean,
  customer?: Customer,
): Promise<Check> {
  const name = 'Exchange: accepted domains';
  if (settings.acceptedDomains) {
    return {
      name,
      status: 'pass',
      detail: `from ACCEPTED_DOMAINS: ${settings.acceptedDomains.join(', ')} (Exchange not asked)`,
    };
  }
  let exchangeError: { detail: string; fix: string };
  try {
    const result = await clients.exchange.invoke('Get-AcceptedDomain', {});
    const names = result.rows
      .map((r) => String((r as { DomainName?: unknown }).DomainName ?? ''))
      .filter(Boolean);
    if (names.length === 0) {
      return {
        name,
        status: 'fail',
        detail: 'Get-AcceptedDomain listed no domains',
        fix: 'Set ACCEPTED_DOMAINS to the tenant’s own domains.',
      };
    }
    return {
      name,
      status: 'pass',
      detail: `route: Exchange Get-AcceptedDomain, which listed ${names.length}: ${names.join(', ')}`,
    };
  } catch (error) {
    exchangeError = exchangeFailure(error, 'Get-AcceptedDomain', customer);
  }
  // The app falls back to Graph /domains (Domain.Read.All) when Exchange refuses.
  if (graphUsable) {
    try {
      const page = (await clients.graph.api('/domains').version('v1.0').get()) as {
        value?: { id?: string }[];
      };
      const names = (page.value ?? []).map((d) => d.id).filter(Boolean);
      return {
        name,
        status: 'warn',
        detail:
          `route: Graph /domains (Get-AcceptedDomain refused: ${exchangeError.detail}); it listed ${names.length}: ` +
          `${names.join(', ')}. Graph knows nothing of MatchSubDomains: a sender at a subdomain of an accepted ` +
          `domain is not recognised, and such releases read "skipped: sender outside the tenant (domains from Graph)"`,
        fix:
          'Set ACCEPTED_DOMAINS with "*." for domains whose subdomains send (for example contoso.com,*.eu.contoso.com), ' +
          `or assign a directory role that may run Get-AcceptedDomain (Global Reader). ${exchangeError.fix}`,
      };
    } catch {
      // fall through: both refused
    }
  }
  return {
    name,
    status: 'fail',
    detail: `no route works: ${exchangeError.detail}, and Graph /domains refused too`,
    fix: 'Set ACCEPTED_DOMAINS (for example contoso.com,*.contoso.com), or assign Global Reader, or grant Domain.Read.All on Microsoft Graph.',
  };
}

// ---------------------------------------------------------------- Graph audit log queries

async function checkAuditQueries(
  clients: DiagnosticClients,
  settings: Settings,
  customer?: Customer,
): Promise<Check> {
  const name = 'Graph: audit log queries';
  // A GET of the list only: creating a query would spend the tenant's daily budget.
  const list = async (version: 'v1.0' | 'beta') =>
    (await clients.graph.api('/security/auditLog/queries').version(version).get()) as { value?: unknown[] };
  try {
    const page = await list(settings.auditApiVersion);
    return {
      name,
      status: 'pass',
      detail: `listed ${(page.value ?? []).length} audit log query(ies) on ${settings.auditApiVersion}`,
    };
  } catch (error) {
    const failure = graphFailure(error);
    if (failure.status === 404 && settings.auditApiVersion === 'v1.0') {
      try {
        await list('beta');
        return {
          name,
          status: 'warn',
          detail: 'v1.0 answered 404 and beta answered: the app falls back to beta by itself',
          fix: 'Set AUDIT_API_VERSION=beta to skip the failed v1.0 call.',
        };
      } catch {
        // report the v1.0 failure below
      }
    }
    const fix =
      failure.status === 403 || failure.status === 401
        ? (customerFix(customer, failure.status === 403 ? 'audit-log-permission' : 'consent') ??
          `Grant AuditLogsQuery.Read.All (application permission on Microsoft Graph) to the app, with admin consent. ${PERMISSIONS_HINT}`)
        : failure.status === undefined
          ? 'Check GRAPH_API_URL and that this machine reaches it.'
          : 'Run doctor again in a few minutes.';
    return { name, status: 'fail', detail: `GET /security/auditLog/queries: ${failure.text}`, fix };
  }
}

// ---------------------------------------------------------------- storage

async function checkTables(clients: DiagnosticClients, settings: Settings): Promise<Check> {
  const name = 'storage: tables';
  const where =
    settings.tables.kind === 'accountUrl' ? settings.tables.accountUrl : 'the connection string’s account';
  const missing: string[] = [];
  for (const table of TABLE_NAMES) {
    const client = clients.tables[table];
    try {
      await client
        .listEntities({ abortSignal: AbortSignal.timeout(15_000) })
        .byPage({ maxPageSize: 1 })
        .next();
    } catch (error) {
      const e = error as { statusCode?: number; code?: string; message?: string };
      if (e.statusCode === 404) {
        missing.push(client.tableName);
        continue;
      }
      const message = graphFailure(error).message;
      if (e.statusCode === 403 || e.statusCode === 401) {
        return {
          name,
          status: 'fail',
          detail: `table ${client.tableName} refused access (HTTP ${e.statusCode}): ${message}`,
          fix:
            settings.tables.kind === 'accountUrl'
              ? 'Assign the Storage Table Data Contributor role on the storage account to the managed identity.'
              : 'The account key in the connection string is wrong (was it rotated?): copy a current connection string.',
        };
      }
      return {
        name,
        status: 'fail',
        detail: `storage is unreachable at ${where}: ${message}`,
        fix: 'Check TABLES_CONNECTION_STRING / TABLES_ACCOUNT_URL / AzureWebJobsStorage (account name, endpoint), the storage firewall, and that Azurite runs for local development storage.',
      };
    }
  }
  const names = TABLE_NAMES.map((t) => clients.tables[t].tableName);
  return {
    name,
    status: 'pass',
    detail:
      missing.length === 0
        ? `read ${names.join(', ')}`
        : `reachable; ${missing.join(', ')} not created yet (the first run creates them)`,
  };
}

// ---------------------------------------------------------------- email

async function checkChannel(channel: EmailChannel | Error, settings: Settings): Promise<Check> {
  const name = 'email channel';
  if (channel instanceof Error) {
    return {
      name,
      status: 'fail',
      detail: channel.message,
      fix: 'Set EMAIL_CHANNEL and its settings (ACS_ENDPOINT or ACS_CONNECTION_STRING, EMAIL_SENDER_ADDRESS).',
    };
  }
  if (channel.name === 'graph') {
    return {
      name,
      status: 'pass',
      detail: `Graph sendMail from ${settings.email.senderAddress}: configured; Mail.Send can only be proven by sending (--send-test ADDRESS)`,
    };
  }
  try {
    // Asking about an operation that never existed proves endpoint and authorisation without sending.
    const state = await channel.status(randomUUID());
    return {
      name,
      status: 'pass',
      detail: `Communication Services answered (${state === 'unknown' ? 'no such operation, as expected' : state}); sender ${settings.email.senderAddress}, which ACS checks only when sending (--send-test ADDRESS)`,
    };
  } catch (error) {
    const message = graphFailure(error).message;
    const fix = /\b401\b|\b403\b|Denied|Unauthorized|Forbidden/i.test(message)
      ? settings.email.acs?.kind === 'connectionString'
        ? 'The access key in ACS_CONNECTION_STRING is wrong (was it rotated?): copy a current connection string from the resource’s Keys blade.'
        : 'Give the managed identity a role on the Communication Services resource that may send email (Contributor, or a custom role with Microsoft.Communication/CommunicationServices/Write).'
      : 'Check ACS_ENDPOINT / ACS_CONNECTION_STRING and that this machine reaches it.';
    return { name, status: 'fail', detail: `Communication Services: ${message}`, fix };
  }
}

async function sendTest(channel: EmailChannel | Error, to: string): Promise<Check> {
  const name = 'email: test message';
  if (channel instanceof Error) return { name, status: 'skip', detail: 'no email channel (see above)' };
  const outcome = await channel.send(
    {
      to: canonicalAddress(to) ?? to, // the canonical form is what channels accept (lib/core/address.ts)
      subject: 'Test from the quarantine release notifier',
      plainText:
        'This is a test email sent by `qrn doctor --send-test`. Senders receive their notifications the same way.',
      html: '<p>This is a test email sent by <code>qrn doctor --send-test</code>. Senders receive their notifications the same way.</p>',
    },
    randomUUID(),
  );
  if (outcome.kind === 'accepted')
    return {
      name,
      status: 'pass',
      detail: `accepted by ${channel.name === 'acs' ? 'Communication Services' : 'Graph sendMail'}`,
    };
  if (outcome.kind === 'throttled') {
    return {
      name,
      status: 'fail',
      detail: 'the email service is throttling',
      fix: `Wait${outcome.retryAfterSeconds ? ` ${outcome.retryAfterSeconds} s` : ' a minute'} and try again; MAX_EMAILS_PER_RUN keeps the jobs under the limits.`,
    };
  }
  return {
    name,
    status: 'fail',
    detail: outcome.reason,
    fix:
      channel.name === 'graph'
        ? 'Grant Mail.Send on Microsoft Graph (`qrn permissions --principal-id <id> --mail-send`), and check EMAIL_SENDER_ADDRESS is a mailbox of the tenant.'
        : 'Check EMAIL_SENDER_ADDRESS: it must be a sender of an email domain connected to the Communication Services resource.',
  };
}
