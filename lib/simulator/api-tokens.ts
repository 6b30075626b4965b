/**
 * Entra ID access tokens for the app's own API (GET /api/releases), as real JWTs: RS256-signed with a
 * key the simulator makes at start and publishes at its JWKS endpoint, so the app validates them exactly
 * as it validates Microsoft's (issuer, audience, app role, signature via the JWKS).
 */
import { createPrivateKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { Clock } from '../core/clock';

/** The API's application ID URI and app role in the simulated tenant (local settings point at these). */
export const SIMULATED_API = {
  audience: 'api://quarantine-release-notifier',
  role: 'Releases.Read',
} as const;

export interface ApiTokenClaims {
  /** Default SIMULATED_API.audience. */
  aud?: string;
  /** Default [SIMULATED_API.role]; [] for a client without the role. */
  roles?: string[];
  /** Default the issuer of this tenant at the login service. */
  iss?: string;
  sub?: string;
  /** Default one hour. */
  lifetimeMs?: number;
}

export interface ApiTokenSigner {
  jwks(): { keys: Record<string, unknown>[] };
  sign(claims?: ApiTokenClaims): string;
}

export function createApiTokenSigner(options: {
  clock: Clock;
  tenantId: string;
  loginUrl: () => string;
}): ApiTokenSigner {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const key: KeyObject = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    jwks: () => ({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' }] }),
    sign: (claims = {}) => {
      const now = Math.floor(options.clock.now().getTime() / 1000);
      const payload = {
        aud: claims.aud ?? SIMULATED_API.audience,
        iss: claims.iss ?? `${options.loginUrl()}/${options.tenantId}/v2.0`,
        iat: now,
        nbf: now,
        exp: now + Math.floor((claims.lifetimeMs ?? 3_600_000) / 1000),
        tid: options.tenantId,
        sub: claims.sub ?? randomUUID(),
        oid: claims.sub ?? randomUUID(),
        roles: claims.roles ?? [SIMULATED_API.role],
        ver: '2.0',
      };
      const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64(payload)}`;
      return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
    },
  };
}
