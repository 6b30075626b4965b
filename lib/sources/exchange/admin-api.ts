import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  isRestError,
  retryPolicy,
  RestError,
  type HttpClient,
  type Pipeline,
  type PipelinePolicy,
  type PipelineRequest,
  type RetryStrategy,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { systemClock, type Clock } from '../../core/clock';
import { originGuardPolicy } from '../../core/origin-guard';
import type { Logger } from '../../core/log';

/**
 * The Exchange Online admin API: the undocumented REST endpoint behind the ExchangeOnlineManagement v3
 * module, which runs cmdlets such as Get-QuarantineMessage without PowerShell (docs/wire-contract.md,
 * Exchange admin API).
 *
 * Retries: the Azure SDK's own retry strategies (via `createPipelineFromOptions`) handle 5xx, 408,
 * connection resets and 429/503 with Retry-After; a small strategy of ours adds what is particular to
 * Exchange (429 without Retry-After, the plain-text "maximum number of concurrent requests" answer and
 * the transient error names Exchange sends even on a 400), and a policy of ours turns a request timeout
 * into a retryable error. The whole call gives up after `maxRetryMs` with an `ExchangeApiError`.
 */

export interface ExchangeAdminApiOptions {
  /** EXCHANGE_ADMIN_API_URL, e.g. https://outlook.office365.com; its origin's /.default is the token scope. */
  baseUrl: string;
  tenantId: string;
  credential: TokenCredential;
  clock?: Clock;
  logger?: Logger;
  /** Give up on one call after this much time spent retrying (default 5 minutes). */
  maxRetryMs?: number;
  /** One attempt without an answer for this long is abandoned and retried (default 2 minutes). */
  requestTimeoutMs?: number;
  /** First backoff delay (default 2 s); doubles per retry up to `maxRetryDelayMs` (default 60 s). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Retries per retry layer (default 6); `maxRetryMs` is the real bound. */
  maxRetries?: number;
  /** For tests: the HTTP client under the pipeline. */
  httpClient?: HttpClient;
}

/** What a successful InvokeCommand answered. */
export interface InvokeResult {
  rows: unknown[];
  /** `@adminapi.warnings`: non-empty with a nextLink means Exchange truncated the answer. */
  warnings: string[];
  nextLink?: string;
}

export type ExchangeErrorKind =
  | 'missing-app-role' // 401: Exchange.ManageAsApp
  | 'missing-directory-role' // 403: Security Reader (or Global Reader for Get-AcceptedDomain)
  | 'rejected' // 4xx naming a problem with the request
  | 'unavailable' // 429/5xx still answered after retries
  | 'gave-up' // the retry budget ran out
  | 'unexpected-answer' // 2xx that is not the documented envelope
  | 'expired-continuation' // 400 "Expired or Invalid pagination request" on a nextLink: ask smaller pages
  | 'network'; // no answer at all (DNS, TLS, refused) after retries

/** One typed error for every way the admin API can fail, carrying the message that helps. */
export class ExchangeApiError extends Error {
  override readonly name = 'ExchangeApiError';
  readonly kind: ExchangeErrorKind;
  readonly status?: number;
  readonly cmdlet: string;
  /** The service's own useful text (internal exception, details, or message), when it gave one. */
  readonly serviceMessage?: string;
  /** The service's exception type name, when it gave one. */
  readonly serviceErrorType?: string;

  constructor(
    message: string,
    details: {
      kind: ExchangeErrorKind;
      cmdlet: string;
      status?: number;
      serviceMessage?: string;
      serviceErrorType?: string;
      cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = details.kind;
    this.cmdlet = details.cmdlet;
    this.status = details.status;
    this.serviceMessage = details.serviceMessage;
    this.serviceErrorType = details.serviceErrorType;
  }
}

/** Exception names Exchange reports for passing trouble, even in a 400 (docs/wire-contract.md). */
export const TRANSIENT_ERROR_NAMES = [
  'CmdletProxyNotAvailableFailure',
  'ServerBusyException',
  'TransientException',
  'BackendCommunicationException',
] as const;

const CONCURRENCY_TEXT = /maximum number of concurrent requests/i;
/** What a replayed or stale nextLink answers (docs/wire-contract.md, Exchange admin API). */
const EXPIRED_CONTINUATION = /expired or invalid pagination request/i;

/** The page size asked of the server (`Prefer: odata.maxpagesize`): the cmdlet's PageSize within 1..1000. */
export function preferredPageSize(parameters: Record<string, unknown>): number {
  const raw = Object.entries(parameters).find(([k]) => k.toLowerCase() === 'pagesize')?.[1];
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : 1000;
}

/** Whether an answer is worth retrying. Pure: exported for tests and for the retry strategy. */
export function classifyExchangeAnswer(
  status: number,
  bodyText: string | undefined,
): 'success' | 'retry' | 'fail' {
  if (status >= 200 && status < 300) return 'success';
  if (status === 401 || status === 403) return 'fail';
  if (status === 408 || status === 429 || status === 502 || status === 503 || status === 504) return 'retry';
  const body = bodyText ?? '';
  if (CONCURRENCY_TEXT.test(body)) return 'retry';
  if (TRANSIENT_ERROR_NAMES.some((name) => body.includes(name))) return 'retry';
  if (status >= 500 && status !== 501 && status !== 505) return 'retry';
  return 'fail';
}

/** The useful part of an error body: innererror.internalexception, then details[0], then message. */
export function usefulErrorMessage(bodyText: string | undefined): { message?: string; type?: string } {
  const text = stripNul(bodyText ?? '').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: clip(text, 500) };
  }
  const error = field(parsed, 'error') ?? parsed;
  const internal = field(field(error, 'innererror'), 'internalexception');
  const internalMessage = stringField(internal, 'message');
  if (internalMessage) return { message: internalMessage, type: stringField(internal, 'type') };
  const details = field(error, 'details');
  const first = Array.isArray(details) ? details[0] : undefined;
  const detailMessage = stringField(first, 'message');
  if (detailMessage) {
    const match = /^\|([^|]*)\|(.*)$/s.exec(detailMessage);
    return match ? { message: match[2].trim(), type: match[1] || undefined } : { message: detailMessage };
  }
  const plain = stringField(error, 'message');
  return plain ? { message: plain } : {};
}

/** Turns a failed answer into the error an administrator can act on. Pure: exported for tests. */
export function translateErrorAnswer(
  status: number,
  bodyText: string | undefined,
  cmdlet: string,
  parameters: Record<string, unknown> = {},
): ExchangeApiError {
  const useful = usefulErrorMessage(bodyText);
  const said = useful.message ? ` Exchange said: ${useful.message}` : '';
  const base = { cmdlet, status, serviceMessage: useful.message, serviceErrorType: useful.type };
  if (status === 400 && EXPIRED_CONTINUATION.test(stripNul(bodyText ?? ''))) {
    return new ExchangeApiError(
      `Exchange admin API refused a continuation of ${cmdlet} (HTTP 400): the nextLink expired or is invalid; ` +
        `the page is asked again with a smaller PageSize.${said}`,
      { ...base, kind: 'expired-continuation' },
    );
  }
  if (status === 401) {
    return new ExchangeApiError(
      `Exchange admin API refused the app's token for ${cmdlet} (HTTP 401): the app lacks the Exchange.ManageAsApp ` +
        `application permission of "Office 365 Exchange Online". Grant it with admin consent; the app also needs ` +
        `the Security Reader directory role.${said}`,
      { ...base, kind: 'missing-app-role' },
    );
  }
  if (status === 403) {
    const entityType = Object.keys(parameters).some((k) => k.toLowerCase() === 'entitytype')
      ? ' The request sent EntityType, which answers 403 to Security Reader: never send it.'
      : '';
    const role =
      cmdlet === 'Get-AcceptedDomain'
        ? 'a directory role that may run Get-AcceptedDomain (Global Reader; Security Reader alone may not be enough). ' +
          'Graph /domains or the ACCEPTED_DOMAINS setting can list the domains instead.'
        : 'the Security Reader directory role in Entra ID, the least role that reads quarantine (Exchange RBAC ' +
          'roles no longer grant it). Assign Security Reader to the app (managed identity) and keep Exchange.ManageAsApp.';
    return new ExchangeApiError(
      `Exchange admin API forbade ${cmdlet} (HTTP 403): the app has a token but lacks ${role}${entityType}${said}`,
      { ...base, kind: 'missing-directory-role' },
    );
  }
  if (classifyExchangeAnswer(status, bodyText) === 'retry') {
    return new ExchangeApiError(
      `Exchange admin API was still busy or unavailable for ${cmdlet} after retrying (HTTP ${status}).${said}`,
      { ...base, kind: 'unavailable' },
    );
  }
  return new ExchangeApiError(
    `Exchange admin API rejected ${cmdlet} (HTTP ${status}): ${useful.message ?? 'no error text'}`,
    { ...base, kind: 'rejected' },
  );
}

interface LastAnswer {
  status?: number;
  bodyText?: string;
  failure?: string;
}

const DEFAULTS = {
  maxRetryMs: 5 * 60_000,
  requestTimeoutMs: 2 * 60_000,
  retryDelayMs: 2_000,
  maxRetryDelayMs: 60_000,
  maxRetries: 6,
};

export class ExchangeAdminApi {
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient;
  private readonly url: string;
  private readonly tenantId: string;
  private readonly logger?: Logger;
  private readonly clock: Clock;
  private readonly maxRetryMs: number;
  private readonly requestTimeoutMs: number;
  private readonly lastAnswers = new WeakMap<PipelineRequest, LastAnswer>();

  constructor(options: ExchangeAdminApiOptions) {
    const origin = new URL(options.baseUrl).origin;
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/adminapi/beta/${encodeURIComponent(options.tenantId)}/InvokeCommand`;
    this.tenantId = options.tenantId;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.maxRetryMs = options.maxRetryMs ?? DEFAULTS.maxRetryMs;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    this.httpClient = options.httpClient ?? createDefaultHttpClient();
    const retryDelayMs = options.retryDelayMs ?? DEFAULTS.retryDelayMs;
    const maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULTS.maxRetryDelayMs;
    const maxRetries = options.maxRetries ?? DEFAULTS.maxRetries;

    // The SDK's default retry policy: Retry-After on 429/503, exponential backoff on 5xx/408 and system errors.
    this.pipeline = createPipelineFromOptions({
      retryOptions: { maxRetries, retryDelayInMs: retryDelayMs, maxRetryDelayInMs: maxRetryDelayMs },
      userAgentOptions: { userAgentPrefix: 'quarantine-release-notifier' },
    });
    this.pipeline.addPolicy(
      retryPolicy([exchangeTransientRetryStrategy(retryDelayMs, maxRetryDelayMs)], { maxRetries }),
      { phase: 'Retry' },
    );
    this.pipeline.addPolicy(
      bearerTokenAuthenticationPolicy({ credential: options.credential, scopes: `${origin}/.default` }),
      { phase: 'Sign' },
    );
    this.pipeline.addPolicy(this.attemptPolicy(), { afterPhase: 'Sign' });
    // Last before the wire: the token goes to the configured Exchange origin and nowhere else.
    this.pipeline.addPolicy(originGuardPolicy('exchange', origin, options.logger), { afterPhase: 'Sign' });
  }

  /**
   * Runs one cmdlet. `parameters` defaults to `{}` (never null: the service wants an object). With
   * `nextLink`, the same cmdlet and headers are sent to that continuation (a server-driven page), which
   * must be on the configured Exchange origin.
   */
  async invoke(
    cmdlet: string,
    parameters: Record<string, unknown> = {},
    options: { abortSignal?: AbortSignal; nextLink?: string } = {},
  ): Promise<InvokeResult> {
    const url = options.nextLink === undefined ? this.url : this.continuationUrl(cmdlet, options.nextLink);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.maxRetryMs);
    const onCallerAbort = () => deadline.abort();
    options.abortSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const started = this.clock.now().getTime();

    const request = createPipelineRequest({
      url,
      method: 'POST',
      headers: createHttpHeaders({
        'Content-Type': 'application/json',
        Accept: 'application/json',
        // Without it the server pages on its own, at a size nobody documents (possibly below PageSize).
        Prefer: `odata.maxpagesize=${preferredPageSize(parameters ?? {})}`,
        // What the ExchangeOnlineManagement module sends; routes the call to the tenant's system mailbox.
        'X-AnchorMailbox': `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${this.tenantId}`,
      }),
      body: JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters ?? {} } }),
      timeout: this.requestTimeoutMs,
      abortSignal: deadline.signal,
    });

    let status: number;
    let bodyText: string | undefined;
    try {
      const response = await this.pipeline.sendRequest(this.httpClient, request);
      status = response.status;
      bodyText = response.bodyAsText ?? undefined;
    } catch (error) {
      if (options.abortSignal?.aborted) throw error;
      const last = this.lastAnswers.get(request);
      if (deadline.signal.aborted) {
        const lastText = last?.status
          ? `HTTP ${last.status}${describeBody(last.bodyText)}`
          : (last?.failure ?? 'no answer');
        throw new ExchangeApiError(
          `Exchange admin API gave no usable answer to ${cmdlet} within ${Math.ceil(this.maxRetryMs / 1000)} s of ` +
            `retries; last answer: ${lastText}.`,
          { kind: 'gave-up', cmdlet, status: last?.status, cause: error },
        );
      }
      throw new ExchangeApiError(
        `Exchange admin API could not be reached for ${cmdlet}: ${(error as Error).message}`,
        { kind: 'network', cmdlet, cause: error },
      );
    } finally {
      clearTimeout(timer);
      options.abortSignal?.removeEventListener('abort', onCallerAbort);
    }

    if (status < 200 || status >= 300) throw translateErrorAnswer(status, bodyText, cmdlet, parameters);
    const result = parseEnvelope(bodyText, cmdlet, status);
    this.logger?.info('Exchange admin API answered', {
      cmdlet,
      rows: result.rows.length,
      continuation: options.nextLink !== undefined,
      ms: this.clock.now().getTime() - started,
    });
    return result;
  }

  /** A nextLink to follow: absolute or relative, always on the InvokeCommand endpoint's origin. */
  private continuationUrl(cmdlet: string, nextLink: string): string {
    let next: URL;
    try {
      next = new URL(nextLink, this.url);
    } catch {
      throw new ExchangeApiError(`Exchange admin API answered ${cmdlet} with an unreadable nextLink.`, {
        kind: 'unexpected-answer',
        cmdlet,
      });
    }
    if (next.origin !== new URL(this.url).origin) {
      throw new ExchangeApiError(
        `Exchange admin API answered ${cmdlet} with a nextLink to another origin (${next.origin}); not followed.`,
        { kind: 'unexpected-answer', cmdlet },
      );
    }
    return next.toString();
  }

  /**
   * Innermost policy: remembers each attempt's answer (for the give-up message) and turns the HTTP
   * client's own timeout (an AbortError the SDK's retry policies would not retry) into a retryable
   * ETIMEDOUT.
   */
  private attemptPolicy(): PipelinePolicy {
    return {
      name: 'exchangeAttemptPolicy',
      sendRequest: async (request, next) => {
        try {
          const response = await next(request);
          const bodyText = response.bodyAsText ?? undefined;
          this.lastAnswers.set(request, { status: response.status, bodyText });
          if (classifyExchangeAnswer(response.status, bodyText) === 'retry') {
            this.logger?.warn('Exchange admin API is busy; retrying', {
              status: response.status,
              retryAfter: response.headers.get('retry-after'),
            });
          }
          return response;
        } catch (error) {
          if (isAbortError(error) && !request.abortSignal?.aborted) {
            this.lastAnswers.set(request, { failure: `no answer within ${request.timeout} ms` });
            this.logger?.warn('Exchange admin API did not answer in time; retrying', {
              timeoutMs: request.timeout,
            });
            throw new RestError(`Exchange admin API did not answer within ${request.timeout} ms`, {
              code: 'ETIMEDOUT',
              request,
            });
          }
          this.lastAnswers.set(request, { failure: (error as Error).message });
          throw error;
        }
      },
    };
  }
}

/** Retries what the SDK's strategies leave alone: Exchange's own ways of saying "busy, try again". */
function exchangeTransientRetryStrategy(retryDelayMs: number, maxRetryDelayMs: number): RetryStrategy {
  return {
    name: 'exchangeTransientRetryStrategy',
    retry({ retryCount, response, responseError }) {
      if (responseError || !response) return { skipStrategy: true };
      // Left to the SDK's strategies (this one runs first, inside theirs): 5xx and 408 (exponential),
      // 429/503 with Retry-After (throttling).
      const { status } = response;
      if (status >= 500 || status === 408) return { skipStrategy: true };
      if (status === 429 && response.headers.get('retry-after')) return { skipStrategy: true };
      if (classifyExchangeAnswer(status, response.bodyAsText ?? undefined) !== 'retry') {
        return { skipStrategy: true };
      }
      const exponential = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** retryCount);
      return { retryAfterInMs: Math.round(exponential * (0.8 + Math.random() * 0.4)) };
    },
  };
}

function parseEnvelope(bodyText: string | undefined, cmdlet: string, status: number): InvokeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText ?? '');
  } catch {
    throw new ExchangeApiError(
      `Exchange admin API answered ${cmdlet} with HTTP ${status} but no JSON${describeBody(bodyText)}.`,
      { kind: 'unexpected-answer', cmdlet, status },
    );
  }
  // An empty answer may carry `value` as [], null or not at all, with or without warnings: zero rows
  // (docs/wire-contract.md, Exchange admin API). Anything else in its place is not the envelope.
  const value = field(parsed, 'value') ?? [];
  const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  if (!isObject || field(parsed, 'error') !== undefined || !Array.isArray(value)) {
    throw new ExchangeApiError(`Exchange admin API answered ${cmdlet} without a "value" list.`, {
      kind: 'unexpected-answer',
      cmdlet,
      status,
    });
  }
  const warnings = field(parsed, '@adminapi.warnings');
  const nextLink = stringField(parsed, '@odata.nextLink');
  return {
    rows: value,
    warnings: Array.isArray(warnings) ? warnings.map(String) : typeof warnings === 'string' ? [warnings] : [],
    ...(nextLink ? { nextLink } : {}),
  };
}

function isAbortError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: string }).name === 'AbortError' &&
    !isRestError(error)
  );
}

function describeBody(bodyText: string | undefined): string {
  if (bodyText === undefined || bodyText === '') return '';
  const clean = stripNul(bodyText).trim();
  if (clean === '') return ` (a body of ${bodyText.length} NUL bytes)`;
  return ` (${clip(usefulErrorMessage(clean).message ?? clean, 300)})`;
}

function stripNul(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u0000/g, '');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function stringField(value: unknown, name: string): string | undefined {
  const v = field(value, name);
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}
