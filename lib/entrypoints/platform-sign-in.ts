import { z } from 'zod';
import type { Settings } from '../config/settings';
import type { PlatformPrincipalCheck } from '../console/sign-in-check';

/**
 * A browser signed in by App Service authentication, without an access token (docs/security.md#console-sign-in).
 *
 * On Flex Consumption the platform's token store has no store that every instance shares and that the managed
 * identity can reach, so it is off, and the platform forwards no provider token. What it forwards on every
 * instance is the signed-in user's claims, X-MS-CLIENT-PRINCIPAL (base64 JSON of the ID token's claims), a
 * header that "external requests aren't allowed to set"
 * (https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities#access-user-claims-in-app-code).
 * That promise holds only while the platform's authentication is on, which the platform itself reports
 * (WEBSITE_AUTH_ENABLED): otherwise the header is anyone's and the check is not offered at all.
 *
 * The claims must name this API's registration as audience, come from the tenant's issuer and carry the
 * app role, exactly like a bearer token; App Service never checks the role.
 */

const clientPrincipal = z.object({
  role_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })),
});

/** The names App Service may give the claims it maps (roles and subject arrive under their long names too). */
const ROLE_CLAIMS = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const SUBJECT_CLAIMS = ['sub', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier'];

/** Undefined where the platform does not sign browsers in, or the releases API is closed. */
export function createPlatformPrincipalCheck(api: Settings['api']): PlatformPrincipalCheck | undefined {
  const audience = api.audience;
  if (!api.platformSignIn || !audience || api.signIn !== 'entra') return undefined;
  // An ID token names the registration by its client id; API_AUDIENCE is its Application ID URI, api://<client id>.
  const audiences = new Set([audience, audience.replace(/^api:\/\//, '')]);
  return (encodedPrincipal) => {
    let principal: z.infer<typeof clientPrincipal>;
    try {
      principal = clientPrincipal.parse(JSON.parse(Buffer.from(encodedPrincipal, 'base64').toString('utf8')));
    } catch {
      return {
        ok: false,
        status: 401,
        reason: 'the signed-in user could not be read (X-MS-CLIENT-PRINCIPAL)',
      };
    }
    const values = (names: string[]) =>
      principal.claims.filter((c) => names.includes(c.typ)).map((c) => c.val);
    if (!values(['aud']).some((aud) => audiences.has(aud))) {
      return { ok: false, status: 401, reason: 'the sign-in was for another app registration' };
    }
    if (!values(['iss']).some((iss) => api.issuers.includes(iss))) {
      return { ok: false, status: 401, reason: 'the sign-in came from another issuer' };
    }
    const roles = values([...ROLE_CLAIMS, ...(principal.role_typ ? [principal.role_typ] : [])]);
    if (!roles.includes(api.role)) {
      return { ok: false, status: 403, reason: `the signed-in user lacks the app role ${api.role}` };
    }
    return { ok: true, caller: { subject: values(SUBJECT_CLAIMS)[0] ?? '', roles: [...new Set(roles)] } };
  };
}
