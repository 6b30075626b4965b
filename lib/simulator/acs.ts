/**
 * Azure Communication Services Email, as the real `EmailClient` sees it (docs/wire-contract.md, ACS Email):
 * `POST /emails:send` answers 202 with an Operation-Location to poll, `GET /emails/operations/{id}` reports
 * the operation. Key (HMAC) and bearer auth are both checked here, because the router's bearer check cannot
 * do HMAC.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock';
import { HOUR, MINUTE } from '../core/clock';
import type { CapturedEmail, Route, SimRequest, SimResponse, SimulatorContext } from './contract';

/** The simulator's ACS access key (base64, as the portal shows keys). Not a secret: loopback only. */
export const ACS_ACCESS_KEY_DEFAULT = Buffer.from(
  'quarantine-release-notifier/simulator/acs-access-key/v1',
).toString('base64');

export interface AcsScenario {
  /** Defaults: the Azure-managed domain's limits, 5 per minute and 10 per hour. */
  setLimits(l: { perMinute?: number; perHour?: number }): void;
  /** The sender addresses the linked domain accepts. */
  setSenderAddresses(addresses: string[]): void;
  /**
   * The next `count` (default 1) valid sends fail. A status of 400 or more is answered as is (nothing is
   * accepted or captured, the operation id stays unknown). A 2xx status (e.g. 202) accepts the send but
   * its operation ends `Failed`, and nothing is captured.
   */
  failNext(status: number, count?: number): void;
  /**
   * The next `count` (default 1) valid sends are accepted and captured, but their answer never comes:
   * the client's own timeout fires (a send that went out although the client could not know it).
   */
  loseNextAnswers(count?: number): void;
  /**
   * Token-safety tests: the 202's Operation-Location names this origin (e.g. another loopback port)
   * instead of the service's own; undefined restores the real one.
   */
  setOperationLocationOrigin(origin: string | undefined): void;
  operations(): { id: string; status: string; recipients: string[] }[];
  reset(): void;
  /** The inconvenient behaviours of the real service, each a switch (see AcsQuirks). */
  setQuirks(patch: Partial<AcsQuirks>): AcsQuirks;
  quirks(): AcsQuirks;
}

/**
 * ACS as it may behave (docs/wire-contract.md, ACS Email): an accepted send can still end `Failed`, and
 * a reused Operation-Id may be answered with the earlier operation instead of sending again.
 */
export interface AcsQuirks {
  /** How accepted sends may end: never Failed, Failed with a generic error, or with a suppressed recipient. */
  failAfterAccept: 'none' | 'generic' | 'suppressed';
  /** The share (0..1) of accepted sends that end Failed when `failAfterAccept` is not 'none' (default 1). */
  failAfterAcceptRate: number;
  /** A send under an Operation-Id seen before answers 202 with that earlier operation, sending nothing. */
  reusedIdAnswersEarlier: boolean;
}

function defaultAcsQuirks(): AcsQuirks {
  return { failAfterAccept: 'none', failAfterAcceptRate: 1, reusedIdAnswersEarlier: false };
}

/** ACS's error for a recipient on the suppression list: the recipient cannot receive mail. */
export const SUPPRESSED_FAILURE = {
  code: 'EmailDroppedAllRecipientsSuppressed',
  message: 'Message dropped because all recipients were suppressed.',
};
const GENERIC_FAILURE = {
  code: 'EmailSendFailed',
  message: 'Simulated failure: the email could not be sent.',
};

export interface AcsServiceOptions {
  accessKey: string;
  /** Accepted sender addresses; when none are configured, any well-formed sender is accepted. */
  senderAddresses?: string[];
  /**
   * HMAC `x-ms-date` values are checked against `ctx.clock` (15 minutes either way). The SDK signs with
   * the machine's real time, so a simulator whose clock was moved forward also accepts dates close to this
   * clock (pass `systemClock`).
   */
  alsoAcceptSignaturesNear?: Clock;
}

/** Versions the SDKs have sent (1.0.x: 2023-03-31; 1.1.x: 2025-09-01) and the previews before them. */
const API_VERSIONS = new Set([
  '2021-10-01-preview',
  '2023-01-15-preview',
  '2023-03-31',
  '2024-07-01-preview',
  '2025-09-01',
]);
const DEFAULT_LIMITS = { perMinute: 5, perHour: 10 };
const MAX_RECIPIENTS = 50;
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const MAX_DATE_SKEW_MS = 15 * MINUTE;
/** An operation reports Succeeded once this much clock time has passed, or from its second poll. */
const OPERATION_DURATION_MS = 1000;
const POLL_RETRY_AFTER_SECONDS = '1';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Operation {
  id: string;
  acceptedAt: number;
  polls: number;
  recipients: string[];
  failure?: { code: string; message: string };
}

interface Address {
  address: string;
  displayName?: string;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

function errorResponse(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): SimResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: { error: { code, message } } };
}

const ERROR_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Denied',
  403: 'Forbidden',
  404: 'NotFound',
  408: 'RequestTimeout',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function looksLikeAddress(value: unknown): value is string {
  return typeof value === 'string' && /^[^\s@<>]+@[^\s@<>]+$/.test(value);
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function createAcsService(
  ctx: SimulatorContext,
  options: AcsServiceOptions,
): { routes: Route[]; scenario: AcsScenario } {
  const key = Buffer.from(options.accessKey, 'base64');
  let limits = { ...DEFAULT_LIMITS };
  let senderAddresses = options.senderAddresses?.map((a) => a.toLowerCase());
  let failures: number[] = [];
  let answersToLose = 0;
  let operationLocationOrigin: string | undefined;
  /** Accepted sends' times (ms), for the sliding windows. */
  let sendTimes: number[] = [];
  let operationLog: Operation[] = [];
  /** The latest operation under each id: a reused Operation-Id is sent again, and this names the last. */
  let operationsById = new Map<string, Operation>();
  let quirks = defaultAcsQuirks();
  /** Deterministic stand-in for randomness: every n-th accepted send fails at rate 1/n. */
  let acceptedCount = 0;

  const now = () => ctx.clock.now().getTime();

  function statusOf(op: Operation, at: number): 'Running' | 'Succeeded' | 'Failed' {
    if (at - op.acceptedAt < OPERATION_DURATION_MS && op.polls < 2) return 'Running';
    return op.failure ? 'Failed' : 'Succeeded';
  }

  /** Undefined when the request is authorized, else the reason. */
  function authFailure(req: SimRequest): string | undefined {
    const authorization = req.headers['authorization'];
    if (!authorization) return 'the request carries no Authorization header';
    if (/^bearer\s/i.test(authorization)) {
      const token = ctx.tokens.verify(req);
      if (!token) return 'the bearer token is invalid or expired';
      if (token.audience !== 'acs')
        return `the bearer token is for '${token.audience}', not Communication Services`;
      return undefined;
    }
    const hmac = /^HMAC-SHA256\s+SignedHeaders=([^&]+)&Signature=(.+)$/i.exec(authorization.trim());
    if (!hmac) return 'the Authorization scheme is neither HMAC-SHA256 nor Bearer';
    const signedHeaders = hmac[1].split(';').map((h) => h.trim().toLowerCase());
    const signature = hmac[2].trim();
    const dateHeader = signedHeaders.includes('x-ms-date')
      ? 'x-ms-date'
      : signedHeaders.includes('date')
        ? 'date'
        : '';
    if (!dateHeader || !signedHeaders.includes('host') || !signedHeaders.includes('x-ms-content-sha256')) {
      return 'SignedHeaders must name x-ms-date, host and x-ms-content-sha256';
    }
    const date = req.headers[dateHeader];
    const when = date ? Date.parse(date) : NaN;
    if (Number.isNaN(when)) return `the ${dateHeader} header is missing or not a date`;
    const near = (clock: Clock) => Math.abs(clock.now().getTime() - when) <= MAX_DATE_SKEW_MS;
    if (!near(ctx.clock) && !(options.alsoAcceptSignaturesNear && near(options.alsoAcceptSignaturesNear))) {
      return `the ${dateHeader} header is more than 15 minutes from the service's time`;
    }
    const contentHash = createHash('sha256').update(req.body).digest('base64');
    if (!safeEqual(req.headers['x-ms-content-sha256'] ?? '', contentHash)) {
      return 'x-ms-content-sha256 does not match the request body';
    }
    const values = signedHeaders.map((name) =>
      name === 'host' ? (req.headers['host'] ?? req.url.host) : (req.headers[name] ?? ''),
    );
    // The SDK signs the query as URLSearchParams re-serialises it; another client may sign it as sent.
    const canonicalQuery = req.url.searchParams.toString();
    const pathsAndQueries = new Set([
      canonicalQuery ? `${req.url.pathname}?${canonicalQuery}` : req.url.pathname,
      `${req.url.pathname}${req.url.search}`,
    ]);
    for (const pathAndQuery of pathsAndQueries) {
      const stringToSign = `${req.method.toUpperCase()}\n${pathAndQuery}\n${values.join(';')}`;
      const expected = createHmac('sha256', key).update(stringToSign).digest('base64');
      if (safeEqual(signature, expected)) return undefined;
    }
    return 'the HMAC signature does not match (wrong access key?)';
  }

  /** Checks the api-version and the caller; undefined when both are fine. */
  function gate(req: SimRequest): SimResponse | undefined {
    const apiVersion = req.url.searchParams.get('api-version');
    if (!apiVersion)
      return errorResponse(
        400,
        'MissingApiVersionParameter',
        "The 'api-version' query parameter is required.",
      );
    if (!API_VERSIONS.has(apiVersion)) {
      return errorResponse(
        400,
        'UnsupportedApiVersion',
        `The api-version '${apiVersion}' is not supported. Supported versions: ${[...API_VERSIONS].join(', ')}.`,
      );
    }
    const denied = authFailure(req);
    if (denied) return errorResponse(401, 'Denied', `Denied by the resource provider: ${denied}.`);
    return undefined;
  }

  function parseAddresses(value: unknown, field: string): Address[] | string {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) return `${field} must be an array.`;
    const out: Address[] = [];
    for (const item of value) {
      if (!isRecord(item) || !looksLikeAddress(item.address)) {
        const shown = isRecord(item) ? String(item.address) : String(item);
        return `${field} contains an invalid email address: '${shown}'.`;
      }
      const displayName =
        typeof item.displayName === 'string' && item.displayName ? item.displayName : undefined;
      out.push(displayName ? { address: item.address, displayName } : { address: item.address });
    }
    return out;
  }

  type ParsedEmail = Omit<CapturedEmail, 'id' | 'acceptedAt' | 'emlPath' | 'channel' | 'operationId'>;

  function validate(req: SimRequest): ParsedEmail | SimResponse {
    if (req.body.length > MAX_REQUEST_BYTES) {
      return errorResponse(413, 'RequestEntityTooLarge', 'The email exceeds the maximum size of 10 MB.');
    }
    let message: unknown;
    try {
      message = JSON.parse(req.body.toString('utf8'));
    } catch (error) {
      return errorResponse(
        400,
        'BadRequest',
        `The request body is not valid JSON: ${(error as Error).message}`,
      );
    }
    if (!isRecord(message))
      return errorResponse(400, 'BadRequest', 'The request body must be a JSON object.');
    const sender = message.senderAddress;
    if (typeof sender !== 'string' || !sender) {
      return errorResponse(400, 'BadRequest', 'senderAddress is required.');
    }
    if (!looksLikeAddress(sender)) {
      return errorResponse(
        400,
        'InvalidSenderAddress',
        `senderAddress '${sender}' is not a valid email address.`,
      );
    }
    if (senderAddresses && !senderAddresses.includes(sender.toLowerCase())) {
      return errorResponse(
        400,
        'DomainNotLinked',
        `The specified sender '${sender}' is not a sender address of a domain linked to this resource.`,
      );
    }
    const content = message.content;
    if (!isRecord(content) || typeof content.subject !== 'string' || !content.subject) {
      return errorResponse(400, 'BadRequest', 'content.subject is required.');
    }
    const plainText = typeof content.plainText === 'string' ? content.plainText : undefined;
    const html = typeof content.html === 'string' ? content.html : undefined;
    if (!plainText && !html) {
      return errorResponse(400, 'BadRequest', 'content must have plainText or html.');
    }
    const recipients = isRecord(message.recipients) ? message.recipients : {};
    const to = parseAddresses(recipients.to, 'recipients.to');
    const cc = parseAddresses(recipients.cc, 'recipients.cc');
    const bcc = parseAddresses(recipients.bcc, 'recipients.bcc');
    const replyTo = parseAddresses(message.replyTo, 'replyTo');
    for (const list of [to, cc, bcc, replyTo]) {
      if (typeof list === 'string') return errorResponse(400, 'InvalidRecipient', list);
    }
    const [toList, ccList, bccList, replyToList] = [to, cc, bcc, replyTo] as Address[][];
    const count = toList.length + ccList.length + bccList.length;
    if (count === 0) return errorResponse(400, 'BadRequest', 'At least one recipient is required.');
    if (count > MAX_RECIPIENTS) {
      return errorResponse(
        400,
        'TooManyRecipients',
        `The email has ${count} recipients; at most ${MAX_RECIPIENTS} are allowed in to, cc and bcc together.`,
      );
    }
    const headers: Record<string, string> = {};
    if (isRecord(message.headers)) {
      for (const [name, value] of Object.entries(message.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
    }
    const attachments = Array.isArray(message.attachments) ? (message.attachments as unknown[]) : [];
    const inlineAttachments = attachments
      .filter(isRecord)
      .filter((a) => typeof a.contentId === 'string' && typeof a.contentInBase64 === 'string')
      .map((a) => ({
        contentId: String(a.contentId),
        name: String(a.name ?? 'attachment'),
        contentType: String(a.contentType ?? 'application/octet-stream'),
        contentInBase64: String(a.contentInBase64),
      }));
    return {
      from: sender,
      to: toList,
      cc: ccList,
      bcc: bccList,
      replyTo: replyToList,
      subject: content.subject,
      ...(plainText !== undefined ? { plainText } : {}),
      ...(html !== undefined ? { html } : {}),
      ...(inlineAttachments.length > 0 ? { inlineAttachments } : {}),
      headers,
    };
  }

  /** The 429 to answer when a send now would exceed a limit, else undefined. */
  function throttle(at: number): SimResponse | undefined {
    sendTimes = sendTimes.filter((t) => at - t < HOUR);
    const windows = [
      { limit: limits.perMinute, span: MINUTE, name: 'minute' },
      { limit: limits.perHour, span: HOUR, name: 'hour' },
    ];
    let waitMs = 0;
    let exceeded = '';
    for (const w of windows) {
      const inWindow = sendTimes.filter((t) => at - t < w.span);
      if (inWindow.length >= w.limit) {
        // The window has room again when enough of its oldest sends have left it.
        const freeing = inWindow[inWindow.length - w.limit];
        const wait = (freeing ?? at) + w.span - at;
        if (wait > waitMs) {
          waitMs = wait;
          exceeded = `${w.limit} emails per ${w.name}`;
        }
      }
    }
    if (!exceeded) return undefined;
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    return errorResponse(
      429,
      'TooManyRequests',
      `The send limit of ${exceeded} was reached. Please try again after ${seconds} seconds.`,
      { 'Retry-After': String(seconds) },
    );
  }

  async function send(req: SimRequest): Promise<SimResponse> {
    const refused = gate(req);
    if (refused) return refused;
    const parsed = validate(req);
    if ('status' in parsed) return parsed;
    const requestedId = req.headers['operation-id'];
    if (requestedId !== undefined && !GUID.test(requestedId)) {
      return errorResponse(400, 'BadRequest', `The Operation-Id header '${requestedId}' is not a GUID.`);
    }
    const at = now();
    const failure = failures.shift();
    if (failure !== undefined && failure >= 400) {
      const code = ERROR_CODES[failure] ?? 'Error';
      return errorResponse(failure, code, `Simulated failure (${failure}) of this send.`, {
        ...(failure === 429 || failure === 503 ? { 'Retry-After': '1' } : {}),
      });
    }
    const throttled = throttle(at);
    if (throttled) return throttled;

    const id = requestedId ?? randomUUID();
    const earlier = requestedId !== undefined ? operationsById.get(id) : undefined;
    if (earlier && quirks.reusedIdAnswersEarlier) {
      // Nothing is sent again: the answer describes the earlier operation (a failed one included).
      return accepted(req, id, statusOf(earlier, at));
    }
    acceptedCount += 1;
    const failsLater =
      failure === undefined &&
      quirks.failAfterAccept !== 'none' &&
      quirks.failAfterAcceptRate > 0 &&
      acceptedCount % Math.max(1, Math.round(1 / Math.min(1, quirks.failAfterAcceptRate))) === 0;
    const operation: Operation = {
      id,
      acceptedAt: at,
      polls: 0,
      recipients: [...parsed.to, ...parsed.cc, ...parsed.bcc].map((r) => r.address),
      ...(failure !== undefined ? { failure: GENERIC_FAILURE } : {}),
      ...(failsLater
        ? { failure: quirks.failAfterAccept === 'suppressed' ? SUPPRESSED_FAILURE : GENERIC_FAILURE }
        : {}),
    };
    sendTimes.push(at);
    operationLog.push(operation);
    operationsById.set(id, operation);
    if (!operation.failure) ctx.outbox.capture({ ...parsed, channel: 'acs', operationId: id });
    if (answersToLose > 0) {
      answersToLose -= 1;
      return { status: 0, hang: true };
    }

    return accepted(req, id, 'Running');
  }

  function accepted(req: SimRequest, id: string, status: string): SimResponse {
    const apiVersion = req.url.searchParams.get('api-version') ?? '';
    return {
      status: 202,
      headers: {
        ...JSON_HEADERS,
        'Operation-Location': `${operationLocationOrigin ?? req.url.origin}/emails/operations/${encodeURIComponent(id)}?api-version=${apiVersion}`,
        'retry-after': POLL_RETRY_AFTER_SECONDS,
        'x-ms-request-id': randomUUID(),
      },
      body: { id, status },
    };
  }

  function getOperation(req: SimRequest, params: Record<string, string>): SimResponse {
    const refused = gate(req);
    if (refused) return refused;
    let id: string;
    try {
      id = decodeURIComponent(params.id ?? '');
    } catch {
      id = params.id ?? '';
    }
    const operation = operationsById.get(id);
    if (!operation) return errorResponse(404, 'NotFound', `The operation '${id}' was not found.`);
    operation.polls += 1;
    const status = statusOf(operation, now());
    const body: Record<string, unknown> = { id, status };
    if (status === 'Failed' && operation.failure) body.error = operation.failure;
    return {
      status: 200,
      headers: {
        ...JSON_HEADERS,
        ...(status === 'Running' ? { 'retry-after': POLL_RETRY_AFTER_SECONDS } : {}),
      },
      body,
    };
  }

  const routes: Route[] = [
    { method: 'POST', path: /^\/emails:send$/, auth: 'none', handle: (req) => send(req) },
    {
      method: 'GET',
      path: /^\/emails\/operations\/(?<id>[^/]+)$/,
      auth: 'none',
      handle: (req, params) => getOperation(req, params),
    },
  ];

  const scenario: AcsScenario = {
    setLimits(l) {
      limits = {
        perMinute: l.perMinute ?? limits.perMinute,
        perHour: l.perHour ?? limits.perHour,
      };
    },
    setSenderAddresses(addresses) {
      senderAddresses = addresses.map((a) => a.toLowerCase());
    },
    failNext(status, count = 1) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    loseNextAnswers(count = 1) {
      answersToLose += Math.max(0, count);
    },
    setOperationLocationOrigin(origin) {
      operationLocationOrigin = origin === undefined ? undefined : new URL(origin).origin;
    },
    operations() {
      const at = now();
      return operationLog.map((op) => ({
        id: op.id,
        status: statusOf(op, at),
        recipients: [...op.recipients],
      }));
    },
    setQuirks(patch) {
      const next = {
        ...quirks,
        ...Object.fromEntries(Object.entries(patch ?? {}).filter(([, v]) => v !== undefined)),
      };
      if (!['none', 'generic', 'suppressed'].includes(next.failAfterAccept))
        throw new Error('failAfterAccept must be none, generic or suppressed');
      if (!(
        typeof next.failAfterAcceptRate === 'number' &&
        next.failAfterAcceptRate >= 0 &&
        next.failAfterAcceptRate <= 1
      ))
        throw new Error('failAfterAcceptRate must be a number from 0 to 1');
      quirks = { ...next, reusedIdAnswersEarlier: next.reusedIdAnswersEarlier === true };
      return { ...quirks };
    },
    quirks: () => ({ ...quirks }),
    reset() {
      quirks = defaultAcsQuirks();
      acceptedCount = 0;
      limits = { ...DEFAULT_LIMITS };
      senderAddresses = options.senderAddresses?.map((a) => a.toLowerCase());
      failures = [];
      answersToLose = 0;
      operationLocationOrigin = undefined;
      sendTimes = [];
      operationLog = [];
      operationsById = new Map();
    },
  };

  return { routes, scenario };
}
