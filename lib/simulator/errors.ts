/**
 * Error bodies as each real service writes them, so clients are tested against the shapes they will meet:
 * Exchange's "Invalid Operation" envelope with the useful text buried in innererror, Graph's
 * {error:{code,message,innerError}}, Entra's AADSTS JSON.
 */
import { randomUUID } from 'node:crypto';
import type { FaultSpec, ServiceName, SimResponse } from './contract';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

// ---------------------------------------------------------------- Exchange

export interface ExchangeErrorOptions {
  /** The exception type named in innererror.internalexception (and details[0]). */
  type: string;
  /** Adds `details: [{code:'Client', message:'|Type|message'}]` (as for parameter-binding errors). */
  details?: boolean;
  /** Adds the warnings side-keys inside `error` (as for argument-transformation errors). */
  warnings?: boolean;
  status?: number;
}

/** The admin API's error envelope: error.message is always "Invalid Operation" (docs/wire-contract.md). */
export function exchangeError(message: string, options: ExchangeErrorOptions): SimResponse {
  const error: Record<string, unknown> = { code: 'BadRequest', message: 'Invalid Operation' };
  if (options.details) {
    error.details = [{ code: 'Client', target: '', message: `|${options.type}|${message}` }];
  }
  error.innererror = {
    message: 'Invalid Operation',
    type: 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException',
    stacktrace: '',
    internalexception: { message, type: options.type, stacktrace: '' },
  };
  if (options.warnings) {
    error['adminapi.warnings@odata.type'] = '#Collection(String)';
    error['@adminapi.warnings'] = [];
  }
  return { status: options.status ?? 400, headers: JSON_HEADERS, body: { error } };
}

/** A missing directory role: 403 whose body is a run of NUL bytes, not JSON (docs/wire-contract.md). */
export function exchangeMissingRole(): SimResponse {
  return { status: 403, headers: { 'content-type': 'application/json' }, body: Buffer.alloc(512) };
}

export const CONCURRENCY_MESSAGE =
  'You have reached the maximum number of concurrent requests per tenant. Please wait and try again later.';

/** Exchange answers 401 with an empty body and says why in its headers. */
export function exchangeUnauthorized(reason: string): SimResponse {
  return {
    status: 401,
    headers: {
      'www-authenticate':
        'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", trusted_issuers="00000001-0000-0000-c000-000000000000@*", token_types="app_asserted_user_v1 service_asserted_app_v1", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token"',
      'x-ms-diagnostics': `2000001;reason="${reason}";error_category="invalid_token"`,
    },
  };
}

// ---------------------------------------------------------------- Graph

export function graphError(status: number, code: string, message: string, headers?: Record<string, string>) {
  return {
    status,
    headers: { ...JSON_HEADERS, ...headers },
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
          'request-id': randomUUID(),
          'client-request-id': randomUUID(),
        },
      },
    },
  } satisfies SimResponse;
}

// ---------------------------------------------------------------- Entra (login)

export interface AadErrorInput {
  status: number;
  error: string;
  code: number;
  description: string;
  now: Date;
  errorUriBase: string;
  correlationId?: string;
}

export function aadError(input: AadErrorInput): SimResponse {
  const traceId = randomUUID();
  const correlationId = input.correlationId ?? randomUUID();
  const timestamp = input.now
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
  return {
    status: input.status,
    headers: { ...JSON_HEADERS, 'cache-control': 'no-store, no-cache' },
    body: {
      error: input.error,
      error_description: `AADSTS${input.code}: ${input.description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [input.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${input.errorUriBase}/error?code=${input.code}`,
    },
  };
}

// ---------------------------------------------------------------- per service

/** The 401 a service answers without a valid token for it. */
export function unauthorized(service: ServiceName, reason: 'missing' | 'invalid' | 'audience'): SimResponse {
  switch (service) {
    case 'exchange':
      return exchangeUnauthorized(
        reason === 'missing'
          ? 'No authorization header was found'
          : reason === 'audience'
            ? 'The token has an invalid audience'
            : 'The token is expired or not valid',
      );
    case 'graph': {
      const message =
        reason === 'missing'
          ? 'Access token is empty.'
          : reason === 'audience'
            ? 'Access token validation failure. Invalid audience.'
            : 'Lifetime validation failed, the token is expired.';
      // Entra's challenge repeats why, in error_description (what the app's 401 messages quote).
      return graphError(401, 'InvalidAuthenticationToken', message, {
        'www-authenticate': `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="invalid_token", error_description="${message}"`,
      });
    }
    case 'acs':
      return {
        status: 401,
        headers: JSON_HEADERS,
        body: { error: { code: 'Denied', message: 'Denied by the resource provider.' } },
      };
    default:
      return { status: 401, headers: JSON_HEADERS, body: { error: 'invalid_token' } };
  }
}

export function notFound(service: ServiceName, path: string): SimResponse {
  switch (service) {
    case 'graph':
      return graphError(
        404,
        'ResourceNotFound',
        `Resource not found for the segment '${path.split('/').pop()}'.`,
      );
    case 'exchange':
      return exchangeError(`The resource '${path}' was not found.`, {
        type: 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException',
        status: 404,
      });
    default:
      return {
        status: 404,
        headers: JSON_HEADERS,
        body: { error: { code: 'NotFound', message: `No route for ${path}.` } },
      };
  }
}

/** The answer a fault gives instead of the real one; `timeout` and `reset` are handled by the router. */
export function faultResponse(spec: FaultSpec): SimResponse {
  const retryAfter: Record<string, string> =
    spec.retryAfterSeconds !== undefined ? { 'retry-after': String(spec.retryAfterSeconds) } : {};
  const plain = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
    spec.service === 'graph'
      ? graphError(status, code, message, headers)
      : spec.service === 'exchange'
        ? {
            ...exchangeError(message, {
              type: `Microsoft.Exchange.Data.Storage.${code}Exception`,
              details: true,
              status,
            }),
            headers: { ...JSON_HEADERS, ...headers },
          }
        : { status, headers: { ...JSON_HEADERS, ...headers }, body: { error: { code, message } } };
  switch (spec.kind) {
    case 'throttle':
      return plain(429, 'TooManyRequests', 'Too many requests. Please retry later.', retryAfter);
    case 'unavailable':
      return plain(503, 'ServiceUnavailable', 'The service is temporarily unavailable.', retryAfter);
    case 'gateway-timeout':
      return plain(504, 'GatewayTimeout', 'The gateway timed out.');
    case 'server-error':
      return plain(500, 'InternalServerError', 'An internal server error occurred.');
    case 'unauthorized':
      return unauthorized(spec.service, 'invalid');
    case 'missing-role':
      return exchangeMissingRole();
    case 'concurrency':
      return {
        status: 429,
        headers: { 'content-type': 'text/plain; charset=utf-8', ...retryAfter },
        body: CONCURRENCY_MESSAGE,
      };
    case 'transient':
      return exchangeError('The server is busy. Please try again later.', {
        type: 'Microsoft.Exchange.Data.Storage.ServerBusyException',
        details: true,
      });
    default:
      return { status: 500, body: '' };
  }
}
