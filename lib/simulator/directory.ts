/**
 * The tenant's directory as Microsoft Graph shows it to `qrn permissions`: service principals with their
 * app roles, app role assignments, and directory role assignments (roleManagement/directory).
 *
 * The app's permissions are not kept apart from the directory: `Tenant.permissions` is computed from the
 * app's service principal's assignments here, and setting it (the scenario's setPermissions) adds or removes
 * the same assignments. So a test can withhold every permission, run `permissions`, and watch Exchange and
 * the audit API start answering.
 *
 * Callers: the app's own client may read nothing here (it holds no Application.Read.All), as in a real
 * tenant; the administrator's client (a second client id the login service knows) may read, and may write
 * as far as its rights go (`adminRights`: Cloud Application Administrator for app role assignments,
 * Privileged Role Administrator for directory roles).
 *
 * Routes (Graph, v1.0 and beta):
 *   GET  /servicePrincipals?$filter=appId eq '…' (or displayName eq '…')&$select=…
 *   GET  /servicePrincipals/{id}
 *   GET  /servicePrincipals/{id}/appRoleAssignments       what the principal was granted
 *   POST /servicePrincipals/{id}/appRoleAssignments       {principalId, resourceId, appRoleId}
 *   GET  /servicePrincipals/{id}/appRoleAssignedTo        what was granted on the resource
 *   POST /servicePrincipals/{id}/appRoleAssignedTo        {principalId, resourceId, appRoleId}
 *   GET  /roleManagement/directory/roleAssignments?$filter=principalId eq '…' [and roleDefinitionId eq '…']
 *   POST /roleManagement/directory/roleAssignments        {roleDefinitionId, principalId, directoryScopeId}
 *   GET  /roleManagement/directory/roleDefinitions?$filter=displayName eq '…'
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock';
import type { Route, SimRequest, SimResponse, TokenVerifier } from './contract';
import { graphError } from './errors';

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const EXCHANGE_APP_ID = '00000002-0000-0ff1-ce00-000000000000';
export const SECURITY_READER_ROLE = '5d6b6bb7-de71-4623-b4af-96380a352509';
export const GLOBAL_READER_ROLE = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';

/** Real app role ids (they are the same in every tenant: the resource app defines them). */
export const APP_ROLES = {
  auditLogsQuery: {
    resource: GRAPH_APP_ID,
    value: 'AuditLogsQuery.Read.All',
    id: '5e1e9171-754d-478c-812c-f1755a9a4c2d',
  },
  domainRead: {
    resource: GRAPH_APP_ID,
    value: 'Domain.Read.All',
    id: 'dbb9058a-0e50-45d7-ae91-66909b5d4664',
  },
  mailSend: { resource: GRAPH_APP_ID, value: 'Mail.Send', id: 'b633e1c5-b582-4048-a93e-9f11b44c7e96' },
  mailboxSettingsRead: {
    resource: GRAPH_APP_ID,
    value: 'MailboxSettings.Read',
    id: '40f97065-3a51-4d54-9d4e-d9b6d16f2f28',
  },
  exchangeManageAsApp: {
    resource: EXCHANGE_APP_ID,
    value: 'Exchange.ManageAsApp',
    id: 'dc50a0fb-09a3-484d-be87-e023b12c6440',
  },
} as const;

export interface AppRole {
  allowedMemberTypes: string[];
  description: string;
  displayName: string;
  id: string;
  isEnabled: boolean;
  origin: string;
  value: string;
}

export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  servicePrincipalType: 'Application' | 'ManagedIdentity';
  appOwnerOrganizationId: string | null;
  appRoles: AppRole[];
  createdDateTime: string;
}

export interface AppRoleAssignment {
  id: string;
  deletedDateTime: null;
  appRoleId: string;
  createdDateTime: string;
  principalDisplayName: string;
  principalId: string;
  principalType: 'ServicePrincipal';
  resourceDisplayName: string;
  resourceId: string;
}

export interface RoleAssignment {
  id: string;
  roleDefinitionId: string;
  principalId: string;
  directoryScopeId: string;
}

export interface AdminRights {
  /** Cloud Application Administrator (or AppRoleAssignment.ReadWrite.All): grants app roles. */
  appRoles: boolean;
  /** Privileged Role Administrator (or RoleManagement.ReadWrite.Directory): assigns directory roles. */
  directoryRoles: boolean;
}

/** The flags `Tenant.permissions` exposes, as assignments of the app's service principal. */
export interface DirectoryPermissions {
  exchangeManageAsApp: boolean;
  securityReader: boolean;
  auditLogsQuery: boolean;
  domainRead: boolean;
  mailSend: boolean;
  mailboxSettingsRead: boolean;
}

const MICROSOFT_TENANT = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';

const ROLE_DEFINITIONS = [
  {
    id: SECURITY_READER_ROLE,
    displayName: 'Security Reader',
    description: 'Can read security information and reports in Microsoft Entra ID and Office 365.',
  },
  {
    id: GLOBAL_READER_ROLE,
    displayName: 'Global Reader',
    description: 'Can read everything that a Global Administrator can, but not update anything.',
  },
  {
    id: '62e90394-69f5-4237-9190-012177145e10',
    displayName: 'Global Administrator',
    description:
      'Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.',
  },
  {
    id: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
    displayName: 'Privileged Role Administrator',
    description:
      'Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.',
  },
];
/** Directory roles that let an app read quarantine through the Exchange admin API. */
const QUARANTINE_READER_ROLES = [SECURITY_READER_ROLE, GLOBAL_READER_ROLE];

function appRole(value: string, id: string, description: string): AppRole {
  return {
    allowedMemberTypes: ['Application'],
    description,
    displayName: description,
    id,
    isEnabled: true,
    origin: 'Application',
    value,
  };
}

/** A GUID derived from a name, so the simulated tenant's object ids stay the same from run to run. */
function stableGuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Graph's app role assignment ids are opaque base64url strings of 43 characters. */
function assignmentId(): string {
  return randomBytes(32).toString('base64url').slice(0, 43);
}

export class Directory {
  readonly servicePrincipals: ServicePrincipal[];
  appRoleAssignments: AppRoleAssignment[] = [];
  roleAssignments: RoleAssignment[] = [];
  adminRights: AdminRights = { appRoles: true, directoryRoles: true };

  constructor(
    private readonly clock: Clock,
    tenantId: string,
    /** The app's client id (its service principal's appId). */
    readonly appClientId: string,
    /** The app's service principal object id: what Azure calls the managed identity's principal id. */
    readonly appPrincipalId: string,
    /** The administrator's client id (the tool an admin runs `qrn permissions` with). */
    readonly adminClientId: string,
  ) {
    const created = clock.now().toISOString();
    this.servicePrincipals = [
      {
        id: stableGuid(`${tenantId}/graph`),
        appId: GRAPH_APP_ID,
        displayName: 'Microsoft Graph',
        servicePrincipalType: 'Application',
        appOwnerOrganizationId: MICROSOFT_TENANT,
        appRoles: [
          appRole('AuditLog.Read.All', 'b0afded3-3588-46d8-8b3d-9842eff778da', 'Read all audit log data'),
          appRole(
            APP_ROLES.auditLogsQuery.value,
            APP_ROLES.auditLogsQuery.id,
            'Read audit logs data from all services',
          ),
          appRole(APP_ROLES.domainRead.value, APP_ROLES.domainRead.id, 'Read domains'),
          appRole(APP_ROLES.mailSend.value, APP_ROLES.mailSend.id, 'Send mail as any user'),
          appRole(
            APP_ROLES.mailboxSettingsRead.value,
            APP_ROLES.mailboxSettingsRead.id,
            'Read all user mailbox settings',
          ),
          appRole('User.Read.All', 'df021288-bdef-4463-88db-98f22de89214', "Read all users' full profiles"),
        ],
        createdDateTime: created,
      },
      {
        id: stableGuid(`${tenantId}/exchange`),
        appId: EXCHANGE_APP_ID,
        displayName: 'Office 365 Exchange Online',
        servicePrincipalType: 'Application',
        appOwnerOrganizationId: MICROSOFT_TENANT,
        appRoles: [
          appRole(
            'full_access_as_app',
            'dc890d15-9560-4a4c-9b7f-a736ec74ec40',
            'Use Exchange Web Services with full access to all mailboxes',
          ),
          appRole(
            APP_ROLES.exchangeManageAsApp.value,
            APP_ROLES.exchangeManageAsApp.id,
            'Manage Exchange As Application',
          ),
        ],
        createdDateTime: created,
      },
      {
        id: appPrincipalId,
        appId: appClientId,
        displayName: 'id-quarantine-notifier',
        servicePrincipalType: 'ManagedIdentity',
        appOwnerOrganizationId: null,
        appRoles: [],
        createdDateTime: created,
      },
    ];
  }

  byId(id: string): ServicePrincipal | undefined {
    return this.servicePrincipals.find((sp) => sp.id.toLowerCase() === id.toLowerCase());
  }

  byAppId(appId: string): ServicePrincipal | undefined {
    return this.servicePrincipals.find((sp) => sp.appId.toLowerCase() === appId.toLowerCase());
  }

  // ---------------------------------------------------------------- the app's permissions, as flags

  permissions(): DirectoryPermissions {
    const has = (key: keyof typeof APP_ROLES) => {
      const role = APP_ROLES[key];
      const resource = this.byAppId(role.resource);
      return this.appRoleAssignments.some(
        (a) =>
          a.principalId === this.appPrincipalId && a.resourceId === resource?.id && a.appRoleId === role.id,
      );
    };
    return {
      exchangeManageAsApp: has('exchangeManageAsApp'),
      securityReader: this.roleAssignments.some(
        (r) =>
          r.principalId === this.appPrincipalId &&
          QUARANTINE_READER_ROLES.includes(r.roleDefinitionId) &&
          r.directoryScopeId === '/',
      ),
      auditLogsQuery: has('auditLogsQuery'),
      domainRead: has('domainRead'),
      mailSend: has('mailSend'),
      mailboxSettingsRead: has('mailboxSettingsRead'),
    };
  }

  setPermissions(wanted: DirectoryPermissions): void {
    for (const key of Object.keys(APP_ROLES) as (keyof typeof APP_ROLES)[]) {
      const role = APP_ROLES[key];
      const resource = this.byAppId(role.resource) as ServicePrincipal;
      const matches = (a: AppRoleAssignment) =>
        a.principalId === this.appPrincipalId && a.resourceId === resource.id && a.appRoleId === role.id;
      const present = this.appRoleAssignments.some(matches);
      if (wanted[key] && !present) this.assignAppRole(this.appPrincipalId, resource.id, role.id);
      if (!wanted[key]) this.appRoleAssignments = this.appRoleAssignments.filter((a) => !matches(a));
    }
    const isReader = (r: RoleAssignment) =>
      r.principalId === this.appPrincipalId && QUARANTINE_READER_ROLES.includes(r.roleDefinitionId);
    if (wanted.securityReader && !this.roleAssignments.some(isReader)) {
      this.assignRole(this.appPrincipalId, SECURITY_READER_ROLE, '/');
    }
    if (!wanted.securityReader) this.roleAssignments = this.roleAssignments.filter((r) => !isReader(r));
  }

  assignAppRole(principalId: string, resourceId: string, appRoleId: string): AppRoleAssignment {
    const principal = this.byId(principalId) as ServicePrincipal;
    const resource = this.byId(resourceId) as ServicePrincipal;
    const assignment: AppRoleAssignment = {
      id: assignmentId(),
      deletedDateTime: null,
      appRoleId,
      createdDateTime: this.clock
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      principalDisplayName: principal.displayName,
      principalId: principal.id,
      principalType: 'ServicePrincipal',
      resourceDisplayName: resource.displayName,
      resourceId: resource.id,
    };
    this.appRoleAssignments.push(assignment);
    return assignment;
  }

  assignRole(principalId: string, roleDefinitionId: string, directoryScopeId: string): RoleAssignment {
    const assignment: RoleAssignment = {
      id: `${randomBytes(24).toString('base64url')}-1`,
      roleDefinitionId,
      principalId,
      directoryScopeId,
    };
    this.roleAssignments.push(assignment);
    return assignment;
  }
}

// ---------------------------------------------------------------- Graph routes

const NOT_ALLOWED = 'Insufficient privileges to complete the operation.';

function notFound(id: string) {
  return graphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

function badRequest(message: string) {
  return graphError(400, 'Request_BadRequest', message);
}

/** The `eq` clauses of a $filter joined by `and`: {name: value}; undefined when it says anything else. */
export function parseEqFilter(filter: string): Record<string, string> | undefined {
  const clauses = filter.split(/\s+and\s+/i);
  const out: Record<string, string> = {};
  for (const clause of clauses) {
    const match = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(clause);
    if (!match) return undefined;
    out[match[1]] = match[2].replace(/''/g, "'");
  }
  return out;
}

function select<T extends object>(item: T, fields: string[] | undefined): Partial<T> {
  if (!fields) return item;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in item) out[f] = (item as Record<string, unknown>)[f];
  return out as Partial<T>;
}

export interface DirectoryServiceOptions {
  directory: Directory;
  tokens: TokenVerifier;
}

export function createDirectoryRoutes({ directory, tokens }: DirectoryServiceOptions): Route[] {
  const origin = (req: SimRequest) => `https://${req.url.host}`;
  type Handler = (req: SimRequest, params: Record<string, string>) => SimResponse;

  /** Who is calling: the administrator's tool may read; the app may not (no Application.Read.All). */
  const caller = (req: SimRequest): 'admin' | 'app' | 'other' => {
    const token = tokens.verify(req);
    if (token?.clientId.toLowerCase() === directory.adminClientId.toLowerCase()) return 'admin';
    if (token?.clientId.toLowerCase() === directory.appClientId.toLowerCase()) return 'app';
    return 'other';
  };
  const reader =
    (handler: Handler): Handler =>
    (req, params) =>
      caller(req) === 'admin'
        ? handler(req, params)
        : graphError(403, 'Authorization_RequestDenied', NOT_ALLOWED);
  const writer =
    (right: keyof AdminRights, handler: Handler): Handler =>
    (req, params) =>
      caller(req) === 'admin' && directory.adminRights[right]
        ? handler(req, params)
        : graphError(403, 'Authorization_RequestDenied', NOT_ALLOWED);

  const json = (req: SimRequest): Record<string, unknown> | undefined => {
    try {
      const parsed: unknown = JSON.parse(req.body.toString('utf8'));
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  };
  const selectOf = (req: SimRequest) =>
    req.url.searchParams
      .get('$select')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);

  const listServicePrincipals: Handler = (req, params) => {
    const filterText = req.url.searchParams.get('$filter');
    let list = directory.servicePrincipals;
    if (filterText !== null) {
      const filter = parseEqFilter(filterText);
      if (!filter || Object.keys(filter).some((k) => !['appId', 'displayName', 'id'].includes(k))) {
        return graphError(
          400,
          'Request_UnsupportedQuery',
          'Unsupported or invalid query filter clause specified.',
        );
      }
      list = list.filter((sp) =>
        Object.entries(filter).every(
          ([k, v]) => String(sp[k as 'appId' | 'displayName' | 'id']).toLowerCase() === v.toLowerCase(),
        ),
      );
    }
    const fields = selectOf(req);
    return {
      status: 200,
      body: {
        '@odata.context': `${origin(req)}/${params.version}/$metadata#servicePrincipals${fields ? `(${fields.join(',')})` : ''}`,
        value: list.map((sp) => select(sp, fields)),
      },
    };
  };

  const getServicePrincipal: Handler = (req, params) => {
    const sp = directory.byId(params.id);
    if (!sp) return notFound(params.id);
    return {
      status: 200,
      body: {
        '@odata.context': `${origin(req)}/${params.version}/$metadata#servicePrincipals/$entity`,
        ...select(sp, selectOf(req)),
      },
    };
  };

  const listAssignments =
    (side: 'principalId' | 'resourceId', segment: string): Handler =>
    (req, params) => {
      const sp = directory.byId(params.id);
      if (!sp) return notFound(params.id);
      return {
        status: 200,
        body: {
          '@odata.context': `${origin(req)}/${params.version}/$metadata#servicePrincipals('${sp.id}')/${segment}`,
          value: directory.appRoleAssignments.filter((a) => a[side] === sp.id),
        },
      };
    };

  const createAssignment =
    (side: 'principalId' | 'resourceId', segment: string): Handler =>
    (req, params) => {
      const sp = directory.byId(params.id);
      if (!sp) return notFound(params.id);
      const body = json(req);
      if (!body) {
        return badRequest(
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        );
      }
      for (const field of ['principalId', 'resourceId', 'appRoleId']) {
        if (typeof body[field] !== 'string' || body[field] === '') {
          return badRequest(
            `Invalid value specified for property '${field}' of resource 'AppRoleAssignment'.`,
          );
        }
      }
      const principalId = String(body.principalId);
      const resourceId = String(body.resourceId);
      const appRoleId = String(body.appRoleId);
      if ((side === 'principalId' ? principalId : resourceId).toLowerCase() !== sp.id.toLowerCase()) {
        return badRequest(`The ${side} in the body must be the service principal in the URL.`);
      }
      const principal = directory.byId(principalId);
      if (!principal) return notFound(principalId);
      const resource = directory.byId(resourceId);
      if (!resource) return notFound(resourceId);
      const role = resource.appRoles.find((r) => r.id.toLowerCase() === appRoleId.toLowerCase());
      if (!role || !role.allowedMemberTypes.includes('Application')) {
        return badRequest(`Permission being assigned was not found on application '${resource.appId}'.`);
      }
      const duplicate = directory.appRoleAssignments.some(
        (a) => a.principalId === principal.id && a.resourceId === resource.id && a.appRoleId === role.id,
      );
      if (duplicate) return badRequest('Permission being assigned already exists on the object.');
      const assignment = directory.assignAppRole(principal.id, resource.id, role.id);
      return {
        status: 201,
        headers: {
          location: `${origin(req)}/${params.version}/servicePrincipals/${sp.id}/${segment}/${assignment.id}`,
        },
        body: {
          '@odata.context': `${origin(req)}/${params.version}/$metadata#servicePrincipals('${sp.id}')/${segment}/$entity`,
          ...assignment,
        },
      };
    };

  const listRoleAssignments: Handler = (req, params) => {
    const filterText = req.url.searchParams.get('$filter');
    let list = directory.roleAssignments;
    if (filterText !== null) {
      const filter = parseEqFilter(filterText);
      const allowed = ['principalId', 'roleDefinitionId', 'directoryScopeId'];
      if (!filter || Object.keys(filter).some((k) => !allowed.includes(k))) {
        return graphError(
          400,
          'Request_UnsupportedQuery',
          'Unsupported or invalid query filter clause specified.',
        );
      }
      list = list.filter((r) =>
        Object.entries(filter).every(
          ([k, v]) => String(r[k as 'principalId']).toLowerCase() === v.toLowerCase(),
        ),
      );
    }
    return {
      status: 200,
      body: {
        '@odata.context': `${origin(req)}/${params.version}/$metadata#roleManagement/directory/roleAssignments`,
        value: list.map((r) => ({ ...r })),
      },
    };
  };

  const createRoleAssignment: Handler = (req, params) => {
    const body = json(req);
    if (!body) {
      return badRequest(
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      );
    }
    const roleDefinitionId =
      typeof body.roleDefinitionId === 'string' ? body.roleDefinitionId.toLowerCase() : '';
    const principalId = typeof body.principalId === 'string' ? body.principalId : '';
    const directoryScopeId = typeof body.directoryScopeId === 'string' ? body.directoryScopeId : '';
    if (!roleDefinitionId || !principalId || !directoryScopeId) {
      return badRequest('roleDefinitionId, principalId and directoryScopeId are required.');
    }
    if (!ROLE_DEFINITIONS.some((d) => d.id === roleDefinitionId)) return notFound(roleDefinitionId);
    const principal = directory.byId(principalId);
    if (!principal) return notFound(principalId);
    const duplicate = directory.roleAssignments.some(
      (r) =>
        r.principalId === principal.id &&
        r.roleDefinitionId === roleDefinitionId &&
        r.directoryScopeId === directoryScopeId,
    );
    if (duplicate) {
      return badRequest(
        'A conflicting object with one or more of the specified property values is present in the directory.',
      );
    }
    const assignment = directory.assignRole(principal.id, roleDefinitionId, directoryScopeId);
    return {
      status: 201,
      body: {
        '@odata.context': `${origin(req)}/${params.version}/$metadata#roleManagement/directory/roleAssignments/$entity`,
        ...assignment,
      },
    };
  };

  const listRoleDefinitions: Handler = (req, params) => {
    const filterText = req.url.searchParams.get('$filter');
    const filter = filterText === null ? {} : parseEqFilter(filterText);
    if (!filter || Object.keys(filter).some((k) => !['displayName', 'id', 'templateId'].includes(k))) {
      return graphError(
        400,
        'Request_UnsupportedQuery',
        'Unsupported or invalid query filter clause specified.',
      );
    }
    const list = ROLE_DEFINITIONS.map((d) => ({
      id: d.id,
      description: d.description,
      displayName: d.displayName,
      isBuiltIn: true,
      isEnabled: true,
      templateId: d.id,
      version: '1',
    })).filter((d) =>
      Object.entries(filter).every(([k, v]) => String(d[k as 'id']).toLowerCase() === v.toLowerCase()),
    );
    return {
      status: 200,
      body: {
        '@odata.context': `${origin(req)}/${params.version}/$metadata#roleManagement/directory/roleDefinitions`,
        value: list,
      },
    };
  };

  const v = '(?<version>v1\\.0|beta)';
  const sp = `^/${v}/servicePrincipals`;
  const roles = `^/${v}/roleManagement/directory`;
  return [
    { method: 'GET', path: new RegExp(`${sp}$`), auth: 'bearer', handle: reader(listServicePrincipals) },
    {
      method: 'GET',
      path: new RegExp(`${sp}/(?<id>[^/]+)$`),
      auth: 'bearer',
      handle: reader(getServicePrincipal),
    },
    {
      method: 'GET',
      path: new RegExp(`${sp}/(?<id>[^/]+)/appRoleAssignments$`),
      auth: 'bearer',
      handle: reader(listAssignments('principalId', 'appRoleAssignments')),
    },
    {
      method: 'POST',
      path: new RegExp(`${sp}/(?<id>[^/]+)/appRoleAssignments$`),
      auth: 'bearer',
      handle: writer('appRoles', createAssignment('principalId', 'appRoleAssignments')),
    },
    {
      method: 'GET',
      path: new RegExp(`${sp}/(?<id>[^/]+)/appRoleAssignedTo$`),
      auth: 'bearer',
      handle: reader(listAssignments('resourceId', 'appRoleAssignedTo')),
    },
    {
      method: 'POST',
      path: new RegExp(`${sp}/(?<id>[^/]+)/appRoleAssignedTo$`),
      auth: 'bearer',
      handle: writer('appRoles', createAssignment('resourceId', 'appRoleAssignedTo')),
    },
    {
      method: 'GET',
      path: new RegExp(`${roles}/roleAssignments$`),
      auth: 'bearer',
      handle: reader(listRoleAssignments),
    },
    {
      method: 'POST',
      path: new RegExp(`${roles}/roleAssignments$`),
      auth: 'bearer',
      handle: writer('directoryRoles', createRoleAssignment),
    },
    {
      method: 'GET',
      path: new RegExp(`${roles}/roleDefinitions$`),
      auth: 'bearer',
      handle: reader(listRoleDefinitions),
    },
  ];
}
