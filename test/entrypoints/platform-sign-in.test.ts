import { loadSettings } from '../../lib/config/settings';
import { createPlatformPrincipalCheck } from '../../lib/entrypoints/platform-sign-in';

const TENANT = '8a2e4d6c-1111-4222-8333-944455556666';
const CLIENT_ID = '0f3c7b1e-aaaa-4bbb-8ccc-0123456789ab';

/** The settings of the deployed function app; WEBSITE_AUTH_ENABLED is what the platform injects. */
function apiSettings(extra: Record<string, string> = {}) {
  return loadSettings({
    AZURE_TENANT_ID: TENANT,
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    ACS_CONNECTION_STRING: 'endpoint=https://acs.example/;accesskey=a2V5',
    EMAIL_SENDER_ADDRESS: 'donotreply@contoso.example',
    API_AUDIENCE: `api://${CLIENT_ID}`,
    WEBSITE_AUTH_ENABLED: 'True',
    ...extra,
  }).api;
}

/** X-MS-CLIENT-PRINCIPAL as App Service forwards it for an Entra ID sign-in (claims of the ID token). */
function principal(
  claims: [string, string][],
  roleType = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
) {
  const body = {
    auth_typ: 'aad',
    name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
    role_typ: roleType,
    claims: claims.map(([typ, val]) => ({ typ, val })),
  };
  return Buffer.from(JSON.stringify(body)).toString('base64');
}

const signedIn = (roles: string[], overrides: Record<string, string> = {}): [string, string][] => [
  ['aud', overrides.aud ?? CLIENT_ID],
  ['iss', overrides.iss ?? `https://login.microsoftonline.com/${TENANT}/v2.0`],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier', 'adele-subject'],
  ['name', 'Adele Vance'],
  ...roles.map((role): [string, string] => ['roles', role]),
];

describe('the console user App Service authentication signed in (X-MS-CLIENT-PRINCIPAL)', () => {
  it('GIVEN the platform authentication on WHEN the claims name this registration, the tenant issuer and the app role THEN the user is let in', () => {
    const check = createPlatformPrincipalCheck(apiSettings())!;
    expect(check(principal(signedIn(['Releases.Read'])))).toEqual({
      ok: true,
      caller: { subject: 'adele-subject', roles: ['Releases.Read'] },
    });
  });

  it('GIVEN the roles under the role type the principal names THEN they count too', () => {
    const check = createPlatformPrincipalCheck(apiSettings())!;
    const claims = signedIn([]).concat([
      ['http://schemas.microsoft.com/ws/2008/06/identity/claims/role', 'Releases.Read'],
    ]);
    expect(check(principal(claims))).toMatchObject({ ok: true });
  });

  it('GIVEN a signed-in user without the app role THEN 403, naming the role', () => {
    const check = createPlatformPrincipalCheck(apiSettings())!;
    expect(check(principal(signedIn(['Other.Role'])))).toEqual({
      ok: false,
      status: 403,
      reason: 'the signed-in user lacks the app role Releases.Read',
    });
  });

  it('GIVEN a sign-in for another registration, or from another tenant THEN 401', () => {
    const check = createPlatformPrincipalCheck(apiSettings())!;
    expect(check(principal(signedIn(['Releases.Read'], { aud: 'another-app' })))).toMatchObject({
      ok: false,
      status: 401,
      reason: 'the sign-in was for another app registration',
    });
    expect(
      check(
        principal(
          signedIn(['Releases.Read'], { iss: 'https://login.microsoftonline.com/other-tenant/v2.0' }),
        ),
      ),
    ).toMatchObject({ ok: false, status: 401, reason: 'the sign-in came from another issuer' });
  });

  it('GIVEN a header that is not base64 JSON of claims THEN 401, never a crash', () => {
    const check = createPlatformPrincipalCheck(apiSettings())!;
    for (const bad of [
      '%%%',
      Buffer.from('{"claims":"x"}').toString('base64'),
      Buffer.from('[]').toString('base64'),
    ]) {
      expect(check(bad)).toMatchObject({ ok: false, status: 401 });
    }
  });

  it('GIVEN the platform authentication off (WEBSITE_AUTH_ENABLED unset or False), or the releases API closed THEN no principal is trusted at all: anyone could send the header', () => {
    expect(createPlatformPrincipalCheck(apiSettings({ WEBSITE_AUTH_ENABLED: '' }))).toBeUndefined();
    expect(createPlatformPrincipalCheck(apiSettings({ WEBSITE_AUTH_ENABLED: 'False' }))).toBeUndefined();
    expect(createPlatformPrincipalCheck(apiSettings({ API_AUDIENCE: '' }))).toBeUndefined();
  });
});
