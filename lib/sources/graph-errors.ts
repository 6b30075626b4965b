import { challengeOf, entraErrorDescription } from './entra-challenge';

/**
 * What a failed Microsoft Graph call said, as one value: the Graph client's GraphError (statusCode, code,
 * message), or an error that never reached Graph (no token: the credential's own error; no connection).
 */
export interface GraphFailure {
  /** HTTP status; undefined when Graph never answered (sign-in failed, network). */
  status?: number;
  /** Graph's error code, e.g. Authorization_RequestDenied, Request_ResourceNotFound. */
  code?: string;
  message: string;
  /** "HTTP 403 Authorization_RequestDenied: Insufficient privileges…", one line. */
  text: string;
}

export function graphFailure(error: unknown): GraphFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    statusCode?: unknown;
    code?: unknown;
    message?: unknown;
    name?: unknown;
  };
  const status = typeof e.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
  const code = typeof e.code === 'string' && e.code !== '' ? e.code : undefined;
  const raw = typeof e.message === 'string' && e.message !== '' ? e.message : String(error);
  // The credential's errors run over many lines (every credential it tried): keep the first ones.
  const said = status === 401 ? entraErrorDescription(challengeOf(error)) : undefined;
  const message =
    raw.split('\n').slice(0, 3).join(' ').replace(/\s+/g, ' ').trim().slice(0, 400) +
    (said ? ` (Entra ID says: ${said})` : '');
  const text = [status !== undefined ? `HTTP ${status}` : undefined, code].filter(Boolean).join(' ');
  return { status, code, message, text: text ? `${text}: ${message}` : message };
}
