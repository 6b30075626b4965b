import { isLoopbackPeer } from '../core/peer';
import type { PlatformPrincipalCheck, SignInCheck, SignInOutcome } from './sign-in-check';

/**
 * Who may open the console. The console's HTTP handlers receive this narrow port and ask it about every
 * request (the page, its assets and its API alike), so the same handlers serve `npm start` on loopback
 * without sign-in and the function app behind the Entra ID sign-in.
 */

/** What the handlers know of a request: enough to decide, nothing more. */
export interface AccessRequest {
  /** Header lookup, case-insensitive (null when absent). */
  header(name: string): string | null;
  /** The peer's IP address when the server knows it (the local host does; the Functions host does not). */
  remoteAddress?: string;
  /** The port the connection arrived on, when the server knows it (the local host does). */
  localPort?: number;
  /** The request's address, where the server knows it. */
  url?: URL;
}

export type AccessDecision =
  | { allowed: true; user: string }
  | {
      allowed: false;
      status: 401 | 403 | 503;
      reason: string;
      /** Where a browser signs in again: set when the platform's session outlived its access token. */
      signIn?: string;
    };

/**
 * App Service authentication's sign-in endpoint: it signs the browser in again (silently while the Entra ID
 * session lasts), stores a fresh access token and returns to the page. The marker stops a loop if that token
 * were refused as well. https://learn.microsoft.com/azure/app-service/configure-authentication-customize-sign-in-out
 */
export const SIGN_IN_AGAIN_MARKER = 'signin=again';
function signInAgain(url: URL | undefined): string | undefined {
  if (!url || url.searchParams.get('signin') === 'again') return undefined;
  const back = `${url.pathname}?${SIGN_IN_AGAIN_MARKER}`;
  return `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(back)}`;
}

export interface ConsoleAccess {
  authorize(request: AccessRequest): Promise<AccessDecision>;
}

/**
 * `npm start`: no sign-in, and so no request from anywhere but this machine. The server also listens on
 * loopback only; this check holds even if it were ever bound wider. A connection from this machine is not
 * enough: a page the administrator visits can point its own name at 127.0.0.1 (DNS rebinding) and read
 * the console as a same-origin page, so the Host must be the console's own address, and an Origin, when
 * the browser sends one, the console's own origin (docs/security.md).
 */
export function loopbackAccess(): ConsoleAccess {
  const refuse = (reason: string): AccessDecision => ({ allowed: false, status: 403, reason });
  return {
    async authorize(request) {
      if (!isLoopbackPeer(request.remoteAddress))
        return refuse('the local console answers only on this machine');
      const port = request.localPort;
      const own = port === undefined ? [] : [`127.0.0.1:${port}`, `localhost:${port}`];
      if (!own.includes(request.header('host')?.toLowerCase() ?? '')) {
        return refuse(
          `the local console answers only at 127.0.0.1:${port} or localhost:${port}, not at another name`,
        );
      }
      const origin = request.header('origin');
      if (origin !== null && !own.some((host) => origin.toLowerCase() === `http://${host}`)) {
        return refuse('the local console answers only its own pages, not a page from another origin');
      }
      return { allowed: true, user: 'local administrator' };
    },
  };
}

/**
 * The function app: the console sits behind the same Entra ID sign-in and app role as the releases API
 * (lib/entrypoints/sign-in.ts checks signature, issuer, audience, lifetime and role). A script sends its
 * token as `Authorization: Bearer`. A browser signed in through App Service authentication reaches the app
 * with the claims the platform forwards (`X-MS-CLIENT-PRINCIPAL`, lib/entrypoints/platform-sign-in.ts), or,
 * where a token store is on, with its access token (`X-MS-TOKEN-AAD-ACCESS-TOKEN`), verified like a bearer
 * token. A browser the platform signed in that this instance cannot decide about is sent through sign-in
 * again, never left with a bare 401 (docs/security.md#console-sign-in).
 */
export function signedInAccess(
  signIn: () => Promise<SignInCheck>,
  platformPrincipal: () => Promise<PlatformPrincipalCheck | undefined> = async () => undefined,
): ConsoleAccess {
  return {
    async authorize(request) {
      const forwarded = request.header('x-ms-token-aad-access-token');
      const authorization =
        request.header('authorization') ?? (forwarded ? `Bearer ${forwarded.trim()}` : null);
      const principal = request.header('x-ms-client-principal');
      if (!authorization) {
        if (!principal && !request.header('x-ms-client-principal-id')) {
          return { allowed: false, status: 401, reason: 'sign-in required' };
        }
        let check: PlatformPrincipalCheck | undefined;
        try {
          check = await platformPrincipal();
        } catch {
          return { allowed: false, status: 503, reason: 'the app cannot start; see GET /api/health' };
        }
        if (check && principal) return decide(check(principal.trim()));
        return refused(
          { ok: false, status: 401, reason: 'signed in, but no token or claims this instance can verify' },
          signInAgain(request.url),
        );
      }
      let check: SignInCheck;
      try {
        check = await signIn();
      } catch {
        return { allowed: false, status: 503, reason: 'the app cannot start; see GET /api/health' };
      }
      const outcome = await check({
        // A development setting's loopback exception reads the peer the host saw, never a header.
        remoteAddress: request.remoteAddress,
        headers: {
          get: (name) => (name.toLowerCase() === 'authorization' ? authorization : request.header(name)),
        },
      });
      if (outcome.ok) return decide(outcome);
      // The platform's session (8 hours) outlives the access token it forwards (about an hour): a browser
      // whose forwarded token has expired is sent to sign in again rather than left with a 401.
      const stale = forwarded && !request.header('authorization') && /ERR_JWT_EXPIRED/.test(outcome.reason);
      return refused(outcome, stale ? signInAgain(request.url) : undefined);
    },
  };
}

function decide(outcome: SignInOutcome): AccessDecision {
  if (!outcome.ok) return refused(outcome, undefined);
  return {
    allowed: true,
    user: outcome.caller === 'loopback' ? 'local administrator' : outcome.caller.subject,
  };
}

function refused(outcome: Extract<SignInOutcome, { ok: false }>, signIn: string | undefined): AccessDecision {
  return {
    allowed: false,
    status: outcome.status,
    reason: outcome.reason,
    ...(signIn ? { signIn } : {}),
  };
}
