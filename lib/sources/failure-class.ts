import { GraphError } from '@microsoft/microsoft-graph-client';
import type { PermissionGap } from '../fleet/tenant-fixes';
import { ExchangeApiError } from './exchange/admin-api';

/**
 * What kind of trouble a failure is, so an alert can say what to check: a missing role or permission; the
 * service asking us to slow down; the service (or the network) unavailable; data the app cannot use;
 * unified auditing turned off in the tenant (a setting only an administrator can change).
 */
export type FailureClass = 'permission' | 'throttling' | 'service' | 'data' | 'auditing-off';

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
  // A refusal by Entra (a sign-in wrapped as a network failure by the client that asked) is a permission.
  if (permissionGap(error)) return 'permission';
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

/**
 * Entra's codes for an app that is not (or no longer) consented in the tenant: the app is not in its
 * directory (700016), its service principal is gone for the token exchange (7000229), consent is missing
 * (65001).
 */
const CONSENT_CODES = new Set([700016, 7000229, 65001]);
/**
 * Entra's codes for a client assertion no federated credential of the app matches: by issuer (700211),
 * audience (700212), subject (700213), or at all (70021).
 */
const FEDERATED_CREDENTIAL_CODES = new Set([700211, 700212, 700213, 70021]);

/**
 * Which grant a permission failure lacks, from the error's kind or code: Exchange's missing directory role;
 * a missing app role, Entra's consent codes, or a Graph 401/403 (the application permissions are what the
 * consent grants); Entra's codes for an assertion that matches no federated credential. Undefined for a failure that is not about permissions. The error's causes are read too,
 * since a sign-in failure reaches the jobs wrapped.
 */
export function permissionGap(error: unknown): PermissionGap | undefined {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    if (e instanceof ExchangeApiError) {
      if (e.kind === 'missing-directory-role') return 'directory-role';
      if (e.kind === 'missing-app-role') return 'consent';
    }
    const codes = entraErrorCodes(e);
    if (codes.some((code) => CONSENT_CODES.has(code))) return 'consent';
    if (codes.some((code) => FEDERATED_CREDENTIAL_CODES.has(code))) return 'federated-credential';
    // Only Graph's own refusals: a 401/403 from Table Storage is the deployment's role, not the tenant's.
    if (e instanceof GraphError && (e.statusCode === 401 || e.statusCode === 403)) return 'consent';
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Entra's numeric error codes: @azure/identity's `errorResponse.errorCodes`, else the AADSTS code it leads its text with. */
function entraErrorCodes(error: object): number[] {
  const response = (error as { errorResponse?: { errorCodes?: unknown } }).errorResponse;
  if (Array.isArray(response?.errorCodes)) return response.errorCodes.filter((c) => typeof c === 'number');
  const message = error instanceof Error ? error.message : '';
  return [...message.matchAll(/\bAADSTS(\d+)\b/g)].map((m) => Number(m[1]));
}
