import type { Client } from '@microsoft/microsoft-graph-client';
import { graphFailure, type GraphFailure } from '../sources/graph-errors';

/**
 * Grants the app's managed identity (a service principal) exactly what the app needs, through Microsoft
 * Graph, and nothing more (docs/wire-contract.md, Exchange admin API and Graph audit log queries):
 *
 *   - `AuditLogsQuery.Read.All` (application) on Microsoft Graph: the audit log query API;
 *   - `Exchange.ManageAsApp` (application) on Office 365 Exchange Online: the Exchange admin API;
 *   - the Security Reader directory role, tenant-wide: the least role that reads quarantine;
 *   - `Domain.Read.All` (application) on Microsoft Graph: the accepted domains when Get-AcceptedDomain is
 *     refused under Security Reader (which nobody has confirmed it allows);
 *   - `Mail.Send` (application) on Microsoft Graph, only when asked (EMAIL_CHANNEL=graph).
 *
 * App role ids are read from each resource's service principal (`appRoles`), never hard-coded. Existing
 * assignments are detected first, so a second run changes nothing; a "what if" run only reads.
 * It runs as an administrator (Privileged Role Administrator, or Global Administrator), never as the app.
 */

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const EXCHANGE_APP_ID = '00000002-0000-0ff1-ce00-000000000000';
export const SECURITY_READER_TEMPLATE_ID = '5d6b6bb7-de71-4623-b4af-96380a352509';

export type GrantKey =
  'auditLogsQuery' | 'exchangeManageAsApp' | 'securityReader' | 'domainRead' | 'mailSend' | 'mailboxSettings';

export type GrantState =
  | 'present' // already assigned: nothing done
  | 'granted' // assigned by this run
  | 'would grant' // --what-if: would be assigned
  | 'not requested' // Mail.Send without --mail-send, MailboxSettings.Read without --mailbox-settings
  | 'failed';

export interface Grant {
  key: GrantKey;
  /** What it is, for people: "AuditLogsQuery.Read.All on Microsoft Graph (application permission)". */
  label: string;
  state: GrantState;
  /** Why it failed, and what to do about it. */
  error?: string;
  fix?: string;
  /** Extra information (Mail.Send present although not requested, …). */
  note?: string;
}

export interface PermissionsResult {
  principal: { id: string; appId?: string; displayName?: string; servicePrincipalType?: string };
  whatIf: boolean;
  grants: Grant[];
  /** True when nothing failed. */
  ok: boolean;
}

export interface PermissionsOptions {
  principalId: string;
  mailSend: boolean;
  /** MailboxSettings.Read: each sender's language and time zone (optional). */
  mailboxSettings?: boolean;
  whatIf: boolean;
  /**
   * A managed identity created seconds ago may not have replicated to Graph yet (404): how long to keep
   * asking for it (default 0).
   */
  waitForPrincipalMs?: number;
  /** Between two looks for the principal (default 10 s). */
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** MailboxSettings.Read is optional: what the app does with it, and without it. */
export const MAILBOX_SETTINGS_NOTES = {
  present: "present: each sender's email is in their mailbox's language and time zone",
  absent:
    'optional: without it every email is in EMAIL_DEFAULT_LANGUAGE and EMAIL_DEFAULT_TIME_ZONE (add --mailbox-settings to grant it)',
};

/** A failure that stops the whole run (principal unknown, directory unreadable), with its fix. */
export class PermissionsError extends Error {
  override readonly name = 'PermissionsError';
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

interface ServicePrincipal {
  id: string;
  appId?: string;
  displayName?: string;
  servicePrincipalType?: string;
  appRoles?: { id: string; value?: string | null; allowedMemberTypes?: string[]; isEnabled?: boolean }[];
}

interface AppRoleAssignment {
  appRoleId: string;
  resourceId: string;
  principalId: string;
}

interface RoleAssignment {
  roleDefinitionId: string;
  principalId: string;
  directoryScopeId: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const APP_ROLE_FIX =
  'Run it signed in as a Privileged Role Administrator or Global Administrator (granting application ' +
  'permissions needs Cloud Application Administrator or AppRoleAssignment.ReadWrite.All).';
const DIRECTORY_ROLE_FIX =
  'Run it signed in as a Privileged Role Administrator or Global Administrator (assigning directory roles ' +
  'needs RoleManagement.ReadWrite.Directory), or assign Security Reader to the identity in Entra ID > ' +
  'Roles and administrators.';

export function isGuid(text: string): boolean {
  return GUID.test(text);
}

export async function grantPermissions(
  graph: Client,
  options: PermissionsOptions,
): Promise<PermissionsResult> {
  const principalId = options.principalId.trim();
  if (!isGuid(principalId)) {
    throw new PermissionsError(
      `--principal-id must be a GUID, not "${principalId}".`,
      "Pass the managed identity's principal (object) id, e.g. the principalId output of the deployment.",
    );
  }
  const principal = await findPrincipal(graph, principalId, options);
  const graphApp = await resource(graph, GRAPH_APP_ID, 'Microsoft Graph');
  const exchangeApp = await resource(graph, EXCHANGE_APP_ID, 'Office 365 Exchange Online');

  const assigned = await readAll<AppRoleAssignment>(
    graph,
    `/servicePrincipals/${principal.id}/appRoleAssignments`,
    'read the identity’s application permissions',
  );
  const roles = await readAll<RoleAssignment>(
    graph,
    `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${principal.id}'`)}`,
    'read the identity’s directory roles',
  );

  const grants: Grant[] = [];
  const appRoleGrant = async (
    key: GrantKey,
    app: ServicePrincipal,
    value: string,
    wanted: boolean,
    notRequested = {
      present: 'present although not needed with the ACS email channel: remove it unless EMAIL_CHANNEL=graph',
      absent: 'needed only with EMAIL_CHANNEL=graph (then add --mail-send)',
    },
  ) => {
    const label = `${value} on ${app.displayName ?? app.appId} (application permission)`;
    const role = app.appRoles?.find(
      (r) =>
        r.value === value && (r.allowedMemberTypes ?? []).includes('Application') && r.isEnabled !== false,
    );
    if (!role) {
      grants.push({
        key,
        label,
        state: 'failed',
        error: `${app.displayName ?? app.appId} offers no application permission named ${value}.`,
        fix: 'Check that the tenant has this service (licences), then run again.',
      });
      return;
    }
    const present = assigned.some((a) => a.appRoleId === role.id && a.resourceId === app.id);
    if (!wanted) {
      grants.push({
        key,
        label,
        state: 'not requested',
        note: present ? notRequested.present : notRequested.absent,
      });
      return;
    }
    if (present) return void grants.push({ key, label, state: 'present' });
    if (options.whatIf) return void grants.push({ key, label, state: 'would grant' });
    try {
      await graph
        .api(`/servicePrincipals/${app.id}/appRoleAssignedTo`)
        .version('v1.0')
        .post({ principalId: principal.id, resourceId: app.id, appRoleId: role.id });
      grants.push({ key, label, state: 'granted' });
    } catch (error) {
      const failure = graphFailure(error);
      if (failure.status === 400 && /already exists/i.test(failure.message)) {
        grants.push({ key, label, state: 'present' }); // granted meanwhile by someone else
      } else {
        grants.push({ key, label, state: 'failed', error: failure.text, fix: fixFor(failure, APP_ROLE_FIX) });
      }
    }
  };

  await appRoleGrant('auditLogsQuery', graphApp, 'AuditLogsQuery.Read.All', true);
  await appRoleGrant('exchangeManageAsApp', exchangeApp, 'Exchange.ManageAsApp', true);
  await appRoleGrant('domainRead', graphApp, 'Domain.Read.All', true);

  const label = 'Security Reader directory role (tenant-wide)';
  const hasReader = roles.some(
    (r) => r.roleDefinitionId.toLowerCase() === SECURITY_READER_TEMPLATE_ID && r.directoryScopeId === '/',
  );
  if (hasReader) grants.push({ key: 'securityReader', label, state: 'present' });
  else if (options.whatIf) grants.push({ key: 'securityReader', label, state: 'would grant' });
  else {
    try {
      await graph.api('/roleManagement/directory/roleAssignments').version('v1.0').post({
        '@odata.type': '#microsoft.graph.unifiedRoleAssignment',
        // For built-in roles the role definition id is the role template id.
        roleDefinitionId: SECURITY_READER_TEMPLATE_ID,
        principalId: principal.id,
        directoryScopeId: '/',
      });
      grants.push({ key: 'securityReader', label, state: 'granted' });
    } catch (error) {
      const failure = graphFailure(error);
      if (failure.status === 400 && /conflicting object|already exists/i.test(failure.message)) {
        grants.push({ key: 'securityReader', label, state: 'present' });
      } else {
        grants.push({
          key: 'securityReader',
          label,
          state: 'failed',
          error: failure.text,
          fix: fixFor(failure, DIRECTORY_ROLE_FIX),
        });
      }
    }
  }

  await appRoleGrant('mailSend', graphApp, 'Mail.Send', options.mailSend);
  await appRoleGrant(
    'mailboxSettings',
    graphApp,
    'MailboxSettings.Read',
    options.mailboxSettings === true,
    MAILBOX_SETTINGS_NOTES,
  );

  return {
    principal: {
      id: principal.id,
      appId: principal.appId,
      displayName: principal.displayName,
      servicePrincipalType: principal.servicePrincipalType,
    },
    whatIf: options.whatIf,
    grants,
    ok: grants.every((g) => g.state !== 'failed'),
  };
}

function fixFor(failure: GraphFailure, forbidden: string): string {
  if (failure.status === 403 || failure.status === 401) return forbidden;
  if (failure.status === 404) return 'The identity may have been deleted meanwhile: check the principal id.';
  return 'Run the command again; if it keeps failing, grant this one in the Entra admin center.';
}

async function findPrincipal(
  graph: Client,
  principalId: string,
  options: PermissionsOptions,
): Promise<ServicePrincipal> {
  const delayMs = options.retryDelayMs ?? 10_000;
  // Counted in attempts, not by the wall clock, so an injected sleep stays in charge of time.
  let retries = Math.ceil((options.waitForPrincipalMs ?? 0) / delayMs);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (;;) {
    try {
      return (await graph
        .api(`/servicePrincipals/${principalId}`)
        .version('v1.0')
        .select(['id', 'appId', 'displayName', 'servicePrincipalType'])
        .get()) as ServicePrincipal;
    } catch (error) {
      const failure = graphFailure(error);
      if (failure.status !== 404) throw readFailure(failure, 'read the identity');
      if (retries-- > 0) {
        await sleep(delayMs);
        continue;
      }
    }
    // Not a service principal's object id: perhaps the client (application) id was given instead.
    const byAppId = await readAll<ServicePrincipal>(
      graph,
      `/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${principalId}'`)}&$select=id,appId,displayName`,
      'look the identity up',
    );
    if (byAppId.length > 0) {
      throw new PermissionsError(
        `${principalId} is the client (application) id of "${byAppId[0].displayName}", not its principal id.`,
        `Run again with --principal-id ${byAppId[0].id} (the service principal's object id).`,
      );
    }
    throw new PermissionsError(
      `No service principal with the id ${principalId} exists in this tenant.`,
      "Pass the managed identity's principal (object) id from the deployment outputs (Azure portal: the " +
        'identity > Overview > Principal ID), and check that you are signed in to the right tenant.',
    );
  }
}

async function resource(graph: Client, appId: string, name: string): Promise<ServicePrincipal> {
  const found = await readAll<ServicePrincipal>(
    graph,
    `/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${appId}'`)}&$select=id,appId,displayName,appRoles`,
    `look up ${name}`,
  );
  if (found.length === 0) {
    throw new PermissionsError(
      `${name} (appId ${appId}) has no service principal in this tenant.`,
      name.includes('Exchange')
        ? 'The tenant needs Exchange Online (a Microsoft 365 subscription with Exchange).'
        : 'Check that you are signed in to the right tenant.',
    );
  }
  return { ...found[0], displayName: found[0].displayName ?? name };
}

/**
 * The multi-tenant app's service principal in a customer tenant (docs/architecture.md#many-tenants): it
 * exists once the customer's administrator consented, and holds the directory role granted after.
 */
export async function consentedAppPrincipalId(graph: Client, appId: string): Promise<string> {
  const found = await readAll<ServicePrincipal>(
    graph,
    `/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${appId}'`)}&$select=id,appId`,
    'look up the multi-tenant app',
  );
  if (found.length === 0) {
    throw new PermissionsError(
      `The multi-tenant app (appId ${appId}) has no service principal in this tenant: its administrator has not consented yet.`,
      'Have them open the admin-consent link `qrn tenants show <tenant id>` prints, then run this again.',
    );
  }
  return found[0].id;
}

/** GETs every page of a Graph collection (following @odata.nextLink). */
async function readAll<T>(graph: Client, path: string, what: string): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined = path;
  while (next) {
    let page: { value?: T[]; '@odata.nextLink'?: string };
    try {
      page = (await graph.api(next).version('v1.0').get()) as typeof page;
    } catch (error) {
      throw readFailure(graphFailure(error), what);
    }
    out.push(...(page.value ?? []));
    next = page['@odata.nextLink'];
  }
  return out;
}

function readFailure(failure: GraphFailure, what: string): PermissionsError {
  if (failure.status === 401 || failure.status === 403) {
    return new PermissionsError(
      `Microsoft Graph did not let the signed-in account ${what}: ${failure.text}`,
      'Sign in as a Privileged Role Administrator or Global Administrator of the tenant (az login --tenant ' +
        '<tenant id>, or azd auth login), then run the command again. It never runs as the app itself.',
    );
  }
  if (failure.status === undefined) {
    return new PermissionsError(
      `Could not ${what}: ${failure.text}`,
      'Sign in first (az login --tenant <tenant id>, or azd auth login) and check GRAPH_API_URL.',
    );
  }
  return new PermissionsError(`Could not ${what}: ${failure.text}`, 'Run the command again in a minute.');
}
