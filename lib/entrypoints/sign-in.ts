import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Settings } from '../config/settings';
import { isLoopbackPeer } from '../core/peer';
import type { SignInCheck } from '../console/sign-in-check';

/** One key set per JWKS URL per process: jose caches the keys and refetches on an unknown key id. */
const keySets = new Map<string, JWTVerifyGetKey>();

/**
 * Who may read personal data over HTTP (GET /api/releases; later the admin console): a caller with an
 * Entra ID access token for the API's app registration that carries the required app role. The app checks
 * the token itself, whatever sits in front of it (App Service authentication where the plan has it):
 * signature against the tenant's JWKS, issuer, audience, expiry, and the role.
 *
 * `off-loopback` (a development setting, refused in Azure by the settings) lets a request through without a
 * token when its connection comes from this machine. That is known only from the socket's peer address,
 * never from the Host header or a URL built from it (any caller, or a proxy, writes those). The Functions
 * host does not show the app the peer, so under it every request needs a token, and the refusal says why.
 */
export function createSignInCheck(
  api: Settings['api'],
  options: { keys?: JWTVerifyGetKey; clockTolerance?: number; now?: () => Date } = {},
): SignInCheck {
  return async (request) => {
    // Why off-loopback did not spare this request, said with the refusal.
    let notSpared = '';
    if (api.signIn === 'off-loopback') {
      if (isLoopbackPeer(request.remoteAddress)) return { ok: true, caller: 'loopback' };
      notSpared =
        request.remoteAddress === undefined
          ? ' (API_SIGN_IN=off-loopback spares only a connection from this machine, and this host does not show the app where a request comes from)'
          : ' (API_SIGN_IN=off-loopback spares only a connection from this machine)';
    }
    if (!api.audience) {
      return {
        ok: false,
        status: 503,
        reason: `API_AUDIENCE is not set: the releases API is closed${notSpared}`,
      };
    }
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(request.headers.get('authorization') ?? '');
    if (!match) return { ok: false, status: 401, reason: `an Entra ID bearer token is required${notSpared}` };
    let keys = options.keys ?? keySets.get(api.jwksUrl);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(api.jwksUrl), { timeoutDuration: 10_000 });
      keySets.set(api.jwksUrl, keys);
    }
    try {
      const { payload } = await jwtVerify(match[1], keys, {
        issuer: api.issuers,
        audience: api.audience,
        algorithms: ['RS256'],
        clockTolerance: options.clockTolerance ?? 60,
        currentDate: options.now?.(),
        requiredClaims: ['exp'],
      });
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r) => typeof r === 'string') : [];
      if (!roles.includes(api.role)) {
        return { ok: false, status: 403, reason: `the token lacks the app role ${api.role}` };
      }
      return { ok: true, caller: { subject: String(payload.sub ?? ''), roles } };
    } catch (error) {
      if (error instanceof errors.JOSEError && !(error instanceof errors.JWKSTimeout)) {
        return { ok: false, status: 401, reason: `the token was refused (${error.code})` };
      }
      return { ok: false, status: 503, reason: 'the signing keys could not be read' };
    }
  };
}
