/**
 * Microsoft Graph: the audit log query API (v1.0 and beta; asynchronous queries that advance with the
 * clock, paged records with an absolute @odata.nextLink, creation quotas), GET /domains and sendMail.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock';
import type { CapturedEmail, Outbox, Route, SimRequest, SimResponse } from './contract';
import { graphError } from './errors';
import { parseWireDate } from './quarantine';
import type { Tenant } from './state';

const DEFAULT_TOP = 100;
const MAX_TOP = 1000;

export interface GraphServiceOptions {
  clock: Clock;
  tenant: Tenant;
  outbox: Outbox;
}

type Handler = (req: SimRequest, params: Record<string, string>) => SimResponse;

export function createGraphService({ clock, tenant, outbox }: GraphServiceOptions): { routes: Route[] } {
  const now = () => clock.now().getTime();
  const origin = (req: SimRequest) => `https://${req.url.host}`;

  /** Wraps an audit handler with the version switch and the permission check. */
  const audit =
    (handler: Handler): Handler =>
    (req, params) => {
      if (params.version === 'v1.0' && tenant.queries.config.v1NotFound) {
        return graphError(404, 'ResourceNotFound', "Resource not found for the segment 'auditLog'.");
      }
      if (!tenant.permissions.auditLogsQuery) {
        return graphError(403, 'Forbidden', 'Missing application permissions: AuditLogsQuery.Read.All.');
      }
      return handler(req, params);
    };

  const createQuery: Handler = (req, params) => {
    let input: unknown;
    try {
      input = JSON.parse(req.body.toString('utf8'));
    } catch {
      return graphError(
        400,
        'BadRequest',
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      );
    }
    if (!input || typeof input !== 'object' || Array.isArray(input)) {
      return graphError(400, 'BadRequest', 'The request body must be an auditLogQuery object.');
    }
    for (const field of ['filterStartDateTime', 'filterEndDateTime'] as const) {
      const value = (input as Record<string, unknown>)[field];
      if (value !== undefined && value !== null && Number.isNaN(parseWireDate(value))) {
        return graphError(400, 'BadRequest', `Invalid value '${String(value)}' for ${field}.`);
      }
    }
    const result = tenant.queries.create(input, now());
    if ('throttled' in result) {
      return graphError(
        429,
        'TooManyRequests',
        result.reason === 'minute'
          ? 'Too many requests. Audit log queries were created in quick succession; retry after the interval in Retry-After.'
          : 'Too many requests. The tenant has reached its daily quota of audit log queries.',
        { 'retry-after': String(result.retryAfterSeconds) },
      );
    }
    return {
      status: 201,
      headers: { location: `${origin(req)}/${params.version}/security/auditLog/queries/${result.query.id}` },
      body: {
        '@odata.context': `${origin(req)}/${params.version}/$metadata#security/auditLog/queries/$entity`,
        ...tenant.queries.view(result.query, now()),
      },
    };
  };

  const listQueries: Handler = (req, params) => ({
    status: 200,
    body: {
      '@odata.context': `${origin(req)}/${params.version}/$metadata#security/auditLog/queries`,
      value: tenant.queries.list().map((q) => tenant.queries.view(q, now())),
    },
  });

  const getQuery: Handler = (req, params) => {
    const query = tenant.queries.get(params.id);
    if (!query) return graphError(404, 'NotFound', `The audit log query '${params.id}' was not found.`);
    return {
      status: 200,
      body: {
        '@odata.context': `${origin(req)}/${params.version}/$metadata#security/auditLog/queries/$entity`,
        ...tenant.queries.view(query, now()),
      },
    };
  };

  const listRecords: Handler = (req, params) => {
    const query = tenant.queries.get(params.id);
    if (!query) return graphError(404, 'NotFound', `The audit log query '${params.id}' was not found.`);
    const results = tenant.queries.results(query, now());
    if (!results) {
      // [unverified] what Graph answers before success; an error keeps a client from mistaking it for "none".
      return graphError(
        400,
        'BadRequest',
        `The audit log query is ${tenant.queries.status(query, now())}; records are available once it has succeeded.`,
      );
    }
    const topText = req.url.searchParams.get('$top');
    const top = topText === null ? DEFAULT_TOP : Number(topText);
    if (!Number.isInteger(top) || top < 1)
      return graphError(400, 'BadRequest', `Invalid value '${topText ?? ''}' for $top.`);
    const pageSize = Math.min(top, MAX_TOP);
    const token = req.url.searchParams.get('$skiptoken');
    const offset = token === null ? 0 : decodeSkipToken(token);
    if (offset === undefined) return graphError(400, 'BadRequest', 'The skip token is not valid.');

    const page = results.records.slice(offset, offset + pageSize);
    const body: Record<string, unknown> = {
      '@odata.context': `${origin(req)}/${params.version}/$metadata#security/auditLog/queries('${query.id}')/records`,
      value: page,
    };
    if (offset + pageSize < results.records.length) {
      const base = tenant.queries.config.nextLinkOrigin || origin(req); // "" restores the real one
      const next = new URL(`${base}/${params.version}/security/auditLog/queries/${query.id}/records`);
      next.searchParams.set('$top', String(pageSize));
      next.searchParams.set('$skiptoken', encodeSkipToken(offset + pageSize));
      body['@odata.nextLink'] = next.toString();
    }
    return { status: 200, body };
  };

  const domains: Handler = (req, params) => {
    if (!tenant.permissions.domainRead) {
      return graphError(
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      );
    }
    return {
      status: 200,
      body: {
        '@odata.context': `${origin(req)}/${params.version}/$metadata#domains`,
        value: tenant.acceptedDomains.map((d) => ({
          authenticationType: 'Managed',
          availabilityStatus: null,
          id: d.domainName,
          isAdminManaged: true,
          isDefault: d.default === true,
          isInitial: d.initial === true,
          isRoot: !tenant.acceptedDomains.some(
            (o) => o !== d && d.domainName.toLowerCase().endsWith(`.${o.domainName.toLowerCase()}`),
          ),
          isVerified: true,
          passwordNotificationWindowInDays: 14,
          passwordValidityPeriodInDays: 2147483647,
          supportedServices: ['Email', 'OfficeCommunicationsOnline'],
          state: null,
        })),
      },
    };
  };

  const sendMail: Handler = (req, params) => {
    if (!tenant.permissions.mailSend) {
      return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    }
    const mailbox = params.mailbox;
    if (!tenant.isAccepted(mailbox)) {
      return graphError(404, 'ErrorInvalidUser', `The requested user '${mailbox}' is invalid.`);
    }
    let input: SendMailBody;
    try {
      input = JSON.parse(req.body.toString('utf8')) as SendMailBody;
    } catch {
      return graphError(
        400,
        'BadRequest',
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      );
    }
    const message = input?.message;
    if (!message || typeof message !== 'object') {
      return graphError(400, 'ErrorInvalidParameter', "The value of the parameter 'Message' is empty.");
    }
    const to = recipientsOf(message.toRecipients);
    const cc = recipientsOf(message.ccRecipients);
    const bcc = recipientsOf(message.bccRecipients);
    if (
      to.length + cc.length + bcc.length === 0 ||
      [...to, ...cc, ...bcc].some((r) => !/^[^@\s]+@[^@\s]+$/.test(r.address))
    ) {
      return graphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
    }
    const contentType = String(message.body?.contentType ?? 'Text').toLowerCase();
    const content = typeof message.body?.content === 'string' ? message.body.content : '';
    const from = message.from?.emailAddress;
    const requestId = randomUUID();
    const headers: Record<string, string> = {};
    for (const h of Array.isArray(message.internetMessageHeaders) ? message.internetMessageHeaders : []) {
      const name = h && typeof h.name === 'string' ? h.name : '';
      // As Graph does: a custom header must be an `x-` one.
      if (!/^x-/i.test(name)) {
        return graphError(
          400,
          'InvalidInternetMessageHeader',
          `The internet message header name '${name}' should start with 'x-' or 'X-'.`,
        );
      }
      headers[name] = String(h?.value ?? '');
    }
    outbox.capture({
      channel: 'graph',
      operationId: requestId,
      from: typeof from?.address === 'string' ? from.address : mailbox,
      fromDisplayName: typeof from?.name === 'string' ? from.name : undefined,
      to,
      cc,
      bcc,
      replyTo: recipientsOf(message.replyTo),
      subject: typeof message.subject === 'string' ? message.subject : '',
      plainText: contentType === 'html' ? undefined : content,
      html: contentType === 'html' ? content : undefined,
      ...inlineAttachmentsOf(message.attachments),
      headers,
    });
    return { status: 202, headers: { 'request-id': requestId } };
  };

  /** GET /users/{address}/mailboxSettings: 403 without MailboxSettings.Read, 404 without a mailbox. */
  const mailboxSettings: Handler = (req, params) => {
    if (!tenant.permissions.mailboxSettingsRead) {
      return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    }
    const address = decodeURIComponent(params.user).toLowerCase();
    const mailbox = tenant.mailboxes.get(address);
    if (!mailbox) {
      return graphError(404, 'ErrorInvalidUser', `The requested user '${address}' is invalid.`);
    }
    return {
      status: 200,
      body: {
        '@odata.context': `${origin(req)}/${params.version}/$metadata#users('${address}')/mailboxSettings`,
        archiveFolder: 'AAMkAGI2TGuLAAA=',
        timeZone: mailbox.timeZone,
        delegateMeetingMessageDeliveryOptions: 'sendToDelegateOutlookAndInformPrincipal',
        dateFormat: mailbox.dateFormat ?? null,
        timeFormat: mailbox.timeFormat ?? null,
        userPurpose: 'user',
        automaticRepliesSetting: {
          status: 'disabled',
          externalAudience: 'all',
          internalReplyMessage: '',
          externalReplyMessage: '',
        },
        language: { locale: mailbox.locale, displayName: mailbox.locale },
        workingHours: {
          daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
          startTime: '08:00:00.0000000',
          endTime: '17:00:00.0000000',
          timeZone: { name: mailbox.timeZone },
        },
      },
    };
  };

  const v = '(?<version>v1\\.0|beta)';
  const q = `^/${v}/security/auditLog/queries`;
  return {
    routes: [
      { method: 'POST', path: new RegExp(`${q}$`), auth: 'bearer', handle: audit(createQuery) },
      { method: 'GET', path: new RegExp(`${q}$`), auth: 'bearer', handle: audit(listQueries) },
      { method: 'GET', path: new RegExp(`${q}/(?<id>[^/]+)$`), auth: 'bearer', handle: audit(getQuery) },
      {
        method: 'GET',
        path: new RegExp(`${q}/(?<id>[^/]+)/records$`),
        auth: 'bearer',
        handle: audit(listRecords),
      },
      { method: 'GET', path: new RegExp(`^/${v}/domains$`), auth: 'bearer', handle: domains },
      {
        method: 'GET',
        path: new RegExp(`^/${v}/users/(?<user>[^/]+)/mailboxSettings$`, 'i'),
        auth: 'bearer',
        handle: mailboxSettings,
      },
      {
        method: 'POST',
        path: new RegExp(`^/${v}/users/(?<mailbox>[^/]+)/sendMail$`, 'i'),
        auth: 'bearer',
        handle: sendMail,
      },
    ],
  };
}

interface GraphRecipient {
  emailAddress?: { address?: unknown; name?: unknown };
}

interface SendMailBody {
  message?: {
    subject?: unknown;
    body?: { contentType?: unknown; content?: unknown };
    toRecipients?: unknown;
    ccRecipients?: unknown;
    bccRecipients?: unknown;
    replyTo?: unknown;
    from?: GraphRecipient;
    internetMessageHeaders?: { name?: unknown; value?: unknown }[];
    attachments?: unknown;
  };
  saveToSentItems?: unknown;
}

/** fileAttachments with isInline and a contentId: the images the HTML shows by cid. */
function inlineAttachmentsOf(list: unknown): Pick<CapturedEmail, 'inlineAttachments'> {
  if (!Array.isArray(list)) return {};
  const inline = (list as Record<string, unknown>[])
    .filter(
      (a) =>
        a && a.isInline === true && typeof a.contentId === 'string' && typeof a.contentBytes === 'string',
    )
    .map((a) => ({
      contentId: String(a.contentId),
      name: String(a.name ?? 'attachment'),
      contentType: String(a.contentType ?? 'application/octet-stream'),
      contentInBase64: String(a.contentBytes),
    }));
  return inline.length > 0 ? { inlineAttachments: inline } : {};
}

function recipientsOf(list: unknown): { address: string; displayName?: string }[] {
  if (!Array.isArray(list)) return [];
  return (list as GraphRecipient[]).map((r) => ({
    address: String(r?.emailAddress?.address ?? ''),
    ...(typeof r?.emailAddress?.name === 'string' ? { displayName: r.emailAddress.name } : {}),
  }));
}

function encodeSkipToken(offset: number): string {
  return Buffer.from(`offset:${offset}`, 'utf8').toString('base64url');
}

function decodeSkipToken(token: string): number | undefined {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}
