/**
 * Exchange Online's admin API (the REST endpoint behind ExchangeOnlineManagement v3):
 * POST /adminapi/beta/{tenantId}/InvokeCommand {"CmdletInput":{"CmdletName":…,"Parameters":{…}}}.
 * Reproduces Get-QuarantineMessage's quirks (docs/wire-contract.md, Exchange admin API and
 * Get-QuarantineMessage): 1-based Page/PageSize paging with no total, the 16-day default window and 30-day
 * clamp, prefix-matched enums, an empty Identity meaning "all", a 403 of NUL bytes for a missing role, and
 * the "Invalid Operation" error envelope.
 */
import { createHash } from 'node:crypto';
import { DAY } from '../core/clock';
import type { Route, SimRequest, SimResponse } from './contract';
import { exchangeError, exchangeMissingRole, exchangeUnauthorized } from './errors';
import {
  networkMessageIdOf,
  parseWireDate,
  QUARANTINE_TYPES,
  recipientsOf,
  RELEASE_STATUSES,
  type StoredRow,
} from './quarantine';
import type { ExchangeQuirks, Tenant } from './state';
import type { Clock } from '../core/clock';

const POLICY_TYPES = [
  'AntiMalwarePolicy',
  'AntiPhishPolicy',
  'DataLossPreventionRule',
  'ExchangeTransportRule',
  'HostedContentFilterPolicy',
  'SafeAttachmentPolicy',
] as const;

const DEFAULT_WINDOW_MS = 16 * DAY;
const MAX_LOOKBACK_MS = 30 * DAY;

/** Parameters Get-QuarantineMessage knows; those not listed in FILTERED are accepted and ignored. */
const QUARANTINE_PARAMETERS = [
  'Identity',
  'Page',
  'PageSize',
  'StartReceivedDate',
  'EndReceivedDate',
  'StartExpiresDate',
  'EndExpiresDate',
  'QuarantineTypes',
  'Type',
  'ReleaseStatus',
  'SenderAddress',
  'RecipientAddress',
  'Direction',
  'Domain',
  'MessageId',
  'PolicyName',
  'PolicyTypes',
  'Subject',
  'EntityType',
  'MyItems',
  'Reported',
  'RecipientTag',
  'TeamsConversationTypes',
  'IncludeMessagesFromBlockedSenderAddress',
];
const ACCEPTED_DOMAIN_PARAMETERS = ['Identity', 'ResultSize'];

type Params = Record<string, unknown>;

/** A cmdlet failure to answer with the envelope. */
class CmdletError extends Error {
  constructor(readonly response: SimResponse) {
    super('cmdlet error');
  }
}

export interface ExchangeServiceOptions {
  clock: Clock;
  tenant: Tenant;
}

export function createExchangeService({ clock, tenant }: ExchangeServiceOptions): { routes: Route[] } {
  const invoke = (req: SimRequest, params: Record<string, string>): SimResponse => {
    if (params.tenant.toLowerCase() !== tenant.tenantId.toLowerCase()) {
      return exchangeUnauthorized('The tenant in the request URL does not match the token');
    }
    // Live progression (docs/wire-contract.md, Exchange admin API): 401 without the app role, 403 of NUL
    // bytes without a directory role.
    if (!tenant.permissions.exchangeManageAsApp) {
      return exchangeUnauthorized('The token does not grant the Exchange.ManageAsApp role');
    }
    if (!tenant.permissions.securityReader) return exchangeMissingRole();

    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return invalidRequest('The request body is not valid JSON.');
    }
    const input = (body as { CmdletInput?: { CmdletName?: unknown; Parameters?: unknown } } | null)
      ?.CmdletInput;
    if (!input || typeof input !== 'object' || typeof input.CmdletName !== 'string') {
      return invalidRequest('The request body must hold CmdletInput with a CmdletName.');
    }
    if (
      input.Parameters === null ||
      (input.Parameters !== undefined && typeof input.Parameters !== 'object')
    ) {
      return exchangeError('Value cannot be null. Parameter name: Parameters', {
        type: 'System.ArgumentNullException',
        details: true,
      });
    }
    const parameters = (input.Parameters ?? {}) as Params;
    const origin = `https://${req.url.host}`;
    const paged = (rows: unknown[]) =>
      serverPage(req, origin, tenant, clock.now().getTime(), body as object, rows);
    try {
      switch (input.CmdletName.toLowerCase()) {
        case 'get-quarantinemessage':
          return paged(getQuarantineMessage(parameters, tenant, clock.now().getTime()));
        case 'get-accepteddomain':
          return paged(getAcceptedDomain(parameters, tenant));
        default:
          return exchangeError(
            `The term '${input.CmdletName}' is not recognized as the name of a cmdlet, function, script file, or operable program.`,
            { type: 'System.Management.Automation.CommandNotFoundException', details: true },
          );
      }
    } catch (error) {
      if (error instanceof CmdletError) return error.response;
      throw error;
    }
  };

  return {
    routes: [
      {
        method: 'POST',
        path: /^\/adminapi\/beta\/(?<tenant>[^/]+)\/InvokeCommand$/i,
        auth: 'bearer',
        handle: invoke,
      },
    ],
  };
}

function invalidRequest(message: string): SimResponse {
  return exchangeError(message, {
    type: 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException',
    details: true,
  });
}

const MORE_RESULTS =
  'There are more results available than currently displayed. To view them, follow the @odata.nextLink.';
const EXPIRED_CONTINUATION = 'Expired or Invalid pagination request. Default Expiry time is 00:30:00';

/**
 * OData server-driven paging over one cmdlet answer: with `Prefer: odata.maxpagesize=<n>` (honoured unless
 * a quirk says otherwise) or the quirk's own server page size, and never above the `cutPagesAt` quirk, the
 * answer is cut into pages linked by `@odata.nextLink` (a `$skiptoken` bound to the request body and its
 * issue time), each truncated one carrying a "more results" warning. A continuation older than its
 * lifetime, one the quirk expires, or any with `refuseNextLinks`, answers 400 "Expired or Invalid
 * pagination request".
 */
function serverPage(
  req: SimRequest,
  origin: string,
  tenant: Tenant,
  now: number,
  body: object,
  rows: unknown[],
): SimResponse {
  const quirks = tenant.exchangeQuirks;
  const prefer = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(req.headers['prefer'] ?? '');
  const asked = quirks.honourPrefer && prefer ? Math.max(1, Number(prefer[1])) : quirks.serverPageSize;
  const size =
    quirks.cutPagesAt === undefined ? asked : Math.min(asked ?? quirks.cutPagesAt, quirks.cutPagesAt);
  const bodyKey = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
  let offset = 0;
  const token = req.url.searchParams.get('$skiptoken');
  if (token !== null) {
    const parsed = readSkipToken(token);
    const expired =
      quirks.refuseNextLinks ||
      !parsed ||
      parsed.key !== bodyKey ||
      now - parsed.issuedAt > quirks.continuationLifetimeMs ||
      quirks.expireNextContinuations > 0;
    if (quirks.expireNextContinuations > 0) quirks.expireNextContinuations -= 1;
    if (expired) {
      return exchangeError(EXPIRED_CONTINUATION, {
        type: 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException',
        details: true,
      });
    }
    offset = parsed.offset;
  }
  if (size === undefined || offset + size >= rows.length) {
    return envelope(origin, tenant.tenantId, rows.slice(offset), quirks.emptyValue);
  }
  const next = new URL(`${origin}/adminapi/beta/${tenant.tenantId}/InvokeCommand`);
  const skip = Buffer.from(JSON.stringify({ offset: offset + size, issuedAt: now, key: bodyKey })).toString(
    'base64url',
  );
  next.searchParams.set('$skiptoken', skip);
  return envelope(origin, tenant.tenantId, rows.slice(offset, offset + size), quirks.emptyValue, {
    nextLink: next.toString(),
    warnings: [MORE_RESULTS],
  });
}

function readSkipToken(token: string): { offset: number; issuedAt: number; key: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (
      typeof parsed.offset === 'number' &&
      typeof parsed.issuedAt === 'number' &&
      typeof parsed.key === 'string'
    )
      return { offset: parsed.offset, issuedAt: parsed.issuedAt, key: parsed.key };
  } catch {
    // an unreadable token is an invalid pagination request
  }
  return undefined;
}

function envelope(
  origin: string,
  tenantId: string,
  rows: unknown[],
  emptyValue: ExchangeQuirks['emptyValue'],
  more: { nextLink: string; warnings: string[] } | undefined = undefined,
): SimResponse {
  // An answer without rows: `value` as the quirk says (docs/wire-contract.md, Exchange admin API).
  const value =
    rows.length > 0 || emptyValue === 'list' ? { value: rows } : emptyValue === 'null' ? { value: null } : {};
  return {
    status: 200,
    headers: {
      'content-type':
        'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
    },
    body: {
      '@odata.context': `${origin}/adminapi/beta/${tenantId}/$metadata#Collection(Exchange.GenericHashTable)`,
      'adminapi.warnings@odata.type': '#Collection(String)',
      '@adminapi.warnings': more?.warnings ?? [],
      ...(more ? { '@odata.nextLink': more.nextLink } : {}),
      ...value,
    },
  };
}

// ---------------------------------------------------------------- parameters

/** Parameter names are case-insensitive, as in PowerShell; an unknown one fails like the live service. */
function normalise(parameters: Params, known: string[]): Params {
  const out: Params = {};
  const unknown: string[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    const canonical = known.find((k) => k.toLowerCase() === name.toLowerCase());
    if (canonical) out[canonical] = value;
    else unknown.push(name);
  }
  if (unknown.length > 0) {
    throw new CmdletError(
      exchangeError(
        `Parameter set cannot be resolved using the specified named parameters. Invalid cmdlet parameters specified. ${unknown.join(', ')}`,
        {
          type: 'Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException',
          details: true,
        },
      ),
    );
  }
  return out;
}

function integerParameter(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?\d+$/.test(value.trim())
        ? Number(value)
        : NaN;
  if (!Number.isInteger(n)) {
    throw new CmdletError(
      exchangeError(
        `Cannot process argument transformation on parameter '${name}'. Cannot convert value "${String(value)}" to type "System.Int32". Error: "Input string was not in a correct format."`,
        {
          type: 'Microsoft.Exchange.AdminApi.CommandInvocation.ParameterTransformationException',
          warnings: true,
        },
      ),
    );
  }
  if (n < min || n > max) {
    const side =
      n > max
        ? `greater than the maximum allowed range of ${max}. Supply an argument that is less than or equal to ${max}`
        : `less than the minimum allowed range of ${min}. Supply an argument that is greater than or equal to ${min}`;
    throw new CmdletError(
      exchangeError(
        `Cannot validate argument on parameter '${name}'. The ${n} argument is ${side} and then try the command again.`,
        {
          type: 'System.Management.Automation.ParameterBindingValidationException',
          details: true,
        },
      ),
    );
  }
  return n;
}

function dateParameter(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = parseWireDate(value);
  if (Number.isNaN(ms)) {
    throw new CmdletError(
      exchangeError(
        `Cannot process argument transformation on parameter '${name}'. Cannot convert value "${String(value)}" to type "System.DateTime". Error: "String was not recognized as a valid DateTime."`,
        {
          type: 'Microsoft.Exchange.AdminApi.CommandInvocation.ParameterTransformationException',
          warnings: true,
        },
      ),
    );
  }
  return ms;
}

function stringListParameter(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : String(value).split(',');
  return list.map((v) => String(v).trim()).filter((v) => v !== '');
}

/**
 * Enum parameters match members by case-insensitive PREFIX (docs/wire-contract.md, Exchange admin API); a
 * value matching no member fails with the list of members.
 */
function enumParameter(
  name: string,
  value: unknown,
  members: readonly string[],
  typeName: string,
): string[] | undefined {
  const values = stringListParameter(value);
  if (values.length === 0) return undefined;
  const matched = new Set<string>();
  for (const v of values) {
    const hits = members.filter((m) => m.toLowerCase().startsWith(v.toLowerCase()));
    if (hits.length === 0) {
      throw new CmdletError(
        exchangeError(
          `Cannot process argument transformation on parameter '${name}'. Cannot convert value "${v}" to type "${typeName}". Error: "Unable to match the identifier name ${v} to a valid enumerator name. Specify one of the following enumerator names and try again: ${members.join(', ')}"`,
          {
            type: 'Microsoft.Exchange.AdminApi.CommandInvocation.ParameterTransformationException',
            warnings: true,
          },
        ),
      );
    }
    for (const h of hits) matched.add(h.toLowerCase());
  }
  return [...matched];
}

// ---------------------------------------------------------------- Get-QuarantineMessage

function getQuarantineMessage(raw: Params, tenant: Tenant, now: number): unknown[] {
  const p = normalise(raw, QUARANTINE_PARAMETERS);
  // A Security Reader may not use -EntityType (docs/wire-contract.md): the service answers 403 of NUL bytes.
  if (p.EntityType !== undefined) throw new CmdletError(exchangeMissingRole());

  const pageSize = integerParameter('PageSize', p.PageSize, 0, 1000, 100);
  const page = integerParameter('Page', p.Page, 1, 1000, 1);
  const ns = 'Microsoft.Exchange.Management.FfoQuarantine';
  const types = [
    ...(enumParameter(
      'QuarantineTypes',
      p.QuarantineTypes,
      QUARANTINE_TYPES,
      `${ns}.QuarantineMessageTypeEnum[]`,
    ) ?? []),
    ...(enumParameter('Type', p.Type, QUARANTINE_TYPES, `${ns}.QuarantineMessageTypeEnum`) ?? []),
  ];
  const statuses = enumParameter('ReleaseStatus', p.ReleaseStatus, RELEASE_STATUSES, `${ns}.ReleaseStatus[]`);
  const directions = enumParameter(
    'Direction',
    p.Direction,
    ['Inbound', 'Outbound'],
    `${ns}.QuarantineMessageDirectionEnum`,
  );
  const policyTypes = enumParameter(
    'PolicyTypes',
    p.PolicyTypes,
    POLICY_TYPES,
    `${ns}.QuarantinePolicyTypeEnum[]`,
  );
  const start = dateParameter('StartReceivedDate', p.StartReceivedDate);
  const end = dateParameter('EndReceivedDate', p.EndReceivedDate);
  const startExpires = dateParameter('StartExpiresDate', p.StartExpiresDate);
  const endExpires = dateParameter('EndExpiresDate', p.EndExpiresDate);
  const senders = stringListParameter(p.SenderAddress).map((s) => s.toLowerCase());
  const recipients = stringListParameter(p.RecipientAddress).map((s) => s.toLowerCase());
  const domains = stringListParameter(p.Domain).map((s) => s.toLowerCase());
  const messageId = typeof p.MessageId === 'string' && p.MessageId !== '' ? p.MessageId : undefined;
  const policyName =
    typeof p.PolicyName === 'string' && p.PolicyName !== '' ? p.PolicyName.toLowerCase() : undefined;
  const subject = typeof p.Subject === 'string' && p.Subject !== '' ? p.Subject.toLowerCase() : undefined;

  let rows = tenant.visibleRows();

  // Identity: an exact row, or every row of a NetworkMessageId. An empty or unknown Identity is ignored,
  // so the cmdlet returns ALL messages (docs/wire-contract.md, Get-QuarantineMessage).
  const identity = typeof p.Identity === 'string' ? p.Identity.trim().toLowerCase() : '';
  const byIdentity = identity
    ? rows.filter(
        (r) =>
          String(r.row.Identity).toLowerCase() === identity ||
          networkMessageIdOf(r.row).toLowerCase() === identity,
      )
    : [];
  if (byIdentity.length > 0) {
    rows = byIdentity;
  } else {
    // Without dates only the last 16 days; a start older than 30 days is clamped to 30 days
    // (docs/wire-contract.md, Get-QuarantineMessage).
    const from = start === undefined ? now - DEFAULT_WINDOW_MS : Math.max(start, now - MAX_LOOKBACK_MS);
    const to = end ?? now;
    rows = rows.filter((r) => Number.isNaN(r.receivedMs) || (r.receivedMs >= from && r.receivedMs <= to));
  }

  const str = (v: unknown) => (typeof v === 'string' ? v : '').toLowerCase();
  rows = rows.filter((r) => {
    const row = r.row;
    const rowRecipients = recipientsOf(row).map((x) => x.toLowerCase());
    const sender = str(row.SenderAddress);
    if (types.length > 0 && !types.includes(str(row.QuarantineTypes))) return false;
    if (statuses && !statuses.includes(str(row.ReleaseStatus))) return false;
    if (directions && !directions.includes(str(row.Direction))) return false;
    if (policyTypes && !policyTypes.includes(str(row.PolicyType))) return false;
    if (senders.length > 0 && !senders.includes(sender)) return false;
    if (recipients.length > 0 && !rowRecipients.some((x) => recipients.includes(x))) return false;
    if (
      domains.length > 0 &&
      ![sender, ...rowRecipients].some((a) => domains.includes(a.split('@')[1] ?? ''))
    )
      return false;
    if (messageId && String(row.MessageId) !== messageId) return false;
    if (policyName && str(row.PolicyName) !== policyName) return false;
    if (subject && !str(row.Subject).includes(subject)) return false;
    if (startExpires !== undefined && !(r.expiresMs >= startExpires)) return false;
    if (endExpires !== undefined && !(r.expiresMs <= endExpires)) return false;
    return true;
  });

  // Newest first; rows of one message keep their recipient order.
  const when = (r: StoredRow) => (Number.isNaN(r.receivedMs) ? now : r.receivedMs);
  rows.sort((a, b) => when(b) - when(a) || a.seq - b.seq);
  if (pageSize === 0) return [];
  const listed = rows.slice((page - 1) * pageSize, page * pageSize).map((r) => structuredClone(r.row));
  // The quirk: the list leaves the released-to fields empty; a query by Identity shows them.
  if (tenant.exchangeQuirks.listHidesReleaseFields && byIdentity.length === 0) {
    for (const row of listed) {
      if (Array.isArray(row.ReleasedUser)) row.ReleasedUser = [];
      if (Array.isArray(row.ReleasedBy)) row.ReleasedBy = [];
    }
  }
  return listed;
}

// ---------------------------------------------------------------- Get-AcceptedDomain

function getAcceptedDomain(raw: Params, tenant: Tenant): unknown[] {
  const p = normalise(raw, ACCEPTED_DOMAIN_PARAMETERS);
  const identity = typeof p.Identity === 'string' ? p.Identity.toLowerCase() : '';
  return tenant.acceptedDomains
    .filter((d) => !identity || d.domainName.toLowerCase() === identity)
    .map((d) => ({
      Identity: d.domainName,
      Name: d.domainName,
      DomainName: d.domainName,
      DomainType: d.domainType ?? 'Authoritative',
      Default: d.default === true,
      InitialDomain: d.initial === true,
      MatchSubDomains: d.matchSubDomains === true,
      PendingRemoval: false,
      OutboundOnly: false,
      SendingFromDomainDisabled: false,
    }));
}
