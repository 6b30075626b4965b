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
}

export type AccessDecision =
  { allowed: true; user: string } | { allowed: false; status: 401 | 403; reason: string };

export interface ConsoleAccess {
  authorize(request: AccessRequest): Promise<AccessDecision>;
}

/** The app role an administrator needs for the console. */
export const CONSOLE_ROLE = 'Console.Read';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * `npm start`: no sign-in, and so no request from anywhere but this machine. The server also listens on
 * loopback only; this check holds even if it were ever bound wider.
 */
export function loopbackAccess(): ConsoleAccess {
  return {
    async authorize(request) {
      if (request.remoteAddress !== undefined && LOOPBACK.has(request.remoteAddress)) {
        return { allowed: true, user: 'local administrator' };
      }
      return { allowed: false, status: 403, reason: 'the local console answers only on this machine' };
    },
  };
}

/** The signed-in caller a bearer token names, as the sign-in check verified it. */
export interface VerifiedCaller {
  user: string;
  roles: readonly string[];
}

/**
 * Verifies a bearer token (signature, issuer, audience, lifetime) and says who it names; throws when the
 * token is not acceptable. Supplied by the composition root (the app's Entra ID sign-in).
 */
export type BearerVerifier = (token: string) => Promise<VerifiedCaller>;

/**
 * The function app: `Authorization: Bearer <token>` is required (401 without it or when the token does not
 * verify), and the caller must hold the console's app role (403 otherwise).
 */
export function bearerAccess(verifyBearer: BearerVerifier, role: string = CONSOLE_ROLE): ConsoleAccess {
  return {
    async authorize(request) {
      const header = request.header('authorization') ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) return { allowed: false, status: 401, reason: 'sign-in required' };
      let caller: VerifiedCaller;
      try {
        caller = await verifyBearer(match[1]);
      } catch {
        return { allowed: false, status: 401, reason: 'the sign-in token was not accepted' };
      }
      if (!caller.roles.includes(role)) {
        return { allowed: false, status: 403, reason: `the app role ${role} is required` };
      }
      return { allowed: true, user: caller.user };
    },
  };
}

/**
 * The verifier used until the app's Entra ID sign-in is wired in: it accepts no token, so the hosted
 * console answers 401 to everyone rather than serve data unauthenticated.
 */
export const noSignInConfigured: BearerVerifier = async () => {
  throw new Error('no sign-in is configured for the console');
};
