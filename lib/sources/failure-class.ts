import { ExchangeApiError } from './exchange/admin-api';

/**
 * What kind of trouble a failure is, so an alert can say what to check: a missing role or permission; the
 * service asking us to slow down; the service (or the network) unavailable; data the app cannot use.
 */
export type FailureClass = 'permission' | 'throttling' | 'service' | 'data';

const PERMISSION_TEXT =
  /\b(401|403)\b|forbidden|unauthori[sz]ed|access denied|accessdenied|permission|missing (app |directory )?role|insufficient privileges|AuthorizationFailure|AuthorizationPermissionMismatch/i;
const THROTTLING_TEXT = /\b429\b|throttl|too many requests|rate limit/i;
const DATA_TEXT =
  /unparsable|malformed|invalid (json|data|record|row)|unexpected (answer|token|value)|bad json|too large|too long|poison/i;

/**
 * The class of a failure, from the typed errors of the clients (Exchange's ExchangeApiError, Graph's and the
 * Azure SDKs' `statusCode`) and, for errors that became text (the audit source, a summary), from the HTTP
 * status or words in their message.
 */
export function classifyFailure(error: unknown): FailureClass {
  if (error instanceof ExchangeApiError) {
    switch (error.kind) {
      case 'missing-app-role':
      case 'missing-directory-role':
        return 'permission';
      case 'unexpected-answer':
        return 'data';
      case 'network':
        return 'service';
      default:
        return error.status !== undefined ? classifyStatus(error.status) : 'service';
    }
  }
  if (typeof error === 'object' && error !== null) {
    const e = error as { statusCode?: unknown; status?: unknown; name?: unknown };
    const status =
      typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : 0;
    if (status >= 400) return classifyStatus(status);
    if (e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationRequiredError')
      return 'permission';
    if (e.name === 'SyntaxError') return 'data';
  }
  const text = error instanceof Error ? error.message : String(error);
  const status = /\bHTTP (\d{3})\b/.exec(text);
  if (status) return classifyStatus(Number(status[1]));
  if (THROTTLING_TEXT.test(text)) return 'throttling';
  if (PERMISSION_TEXT.test(text)) return 'permission';
  if (DATA_TEXT.test(text)) return 'data';
  return 'service';
}

function classifyStatus(status: number): FailureClass {
  if (status === 401 || status === 403) return 'permission';
  if (status === 429) return 'throttling';
  if (status === 400 || status === 409 || status === 412 || status === 413 || status === 422) return 'data';
  return 'service';
}
