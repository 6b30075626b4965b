/**
 * What Entra ID says in a 401's `WWW-Authenticate` challenge (`Bearer …, error="invalid_token",
 * error_description="…"`): often the one sentence that tells a missing role from an expired or
 * wrong-audience token. Exchange puts the same sentence in `x-ms-diagnostics` (`reason="…"`) instead. Read
 * from header values, or from an SDK error that carries the response headers.
 */

const DESCRIPTION = /error_description\s*=\s*"((?:[^"\\]|\\.)*)"/i;
const REASON = /\breason\s*=\s*"((?:[^"\\]|\\.)*)"/i;
const MAX_LENGTH = 300;

/** The challenge's error_description, or undefined when there is none. */
export function entraErrorDescription(challenge: string | null | undefined): string | undefined {
  if (typeof challenge !== 'string') return undefined;
  const match = DESCRIPTION.exec(challenge) ?? REASON.exec(challenge);
  const text = match?.[1].replace(/\\(.)/g, '$1').replace(/\s+/g, ' ').trim();
  if (!text) return undefined;
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH)}…` : text;
}

/** The WWW-Authenticate header of a failed call's response, whatever shape the SDK kept the headers in. */
export function challengeOf(error: unknown): string | undefined {
  const headers = (typeof error === 'object' && error !== null ? error : {}) as {
    headers?: unknown;
    response?: { headers?: unknown };
  };
  for (const candidate of [headers.headers, headers.response?.headers]) {
    if (candidate === null || typeof candidate !== 'object') continue;
    const get = (candidate as { get?: unknown }).get;
    const value =
      typeof get === 'function'
        ? (get as (name: string) => unknown).call(candidate, 'www-authenticate')
        : (candidate as Record<string, unknown>)['www-authenticate'];
    if (typeof value === 'string') return value;
  }
  return undefined;
}
