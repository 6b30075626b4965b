/**
 * What a sign-in check is asked and answers: the console's signed-in access (lib/console/access.ts) and the
 * releases API ask it; lib/entrypoints/sign-in.ts is the Entra ID check that answers.
 */
export type SignInOutcome =
  | { ok: true; caller: { subject: string; roles: string[] } | 'loopback' }
  | { ok: false; status: 401 | 403 | 503; reason: string };

export interface SignInRequest {
  headers: { get(name: string): string | null };
  /** The connection's peer address, where the host knows it (the Functions host does not). */
  remoteAddress?: string;
}

export type SignInCheck = (request: SignInRequest) => Promise<SignInOutcome>;

/**
 * Decides about the claims App Service authentication forwards for a browser it signed in
 * (`X-MS-CLIENT-PRINCIPAL`, base64 JSON); lib/entrypoints/platform-sign-in.ts answers.
 */
export type PlatformPrincipalCheck = (encodedPrincipal: string) => SignInOutcome;
