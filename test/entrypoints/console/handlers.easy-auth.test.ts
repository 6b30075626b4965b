import { generateKeyPairSync, sign } from 'node:crypto';
import { signedInAccess } from '../../../lib/console/access';
import { MINUTE } from '../../../lib/core/clock';
import { createConsoleHandler, type ConsoleRequest } from '../../../lib/entrypoints/console/handlers';
import { createPlatformPrincipalCheck } from '../../../lib/entrypoints/platform-sign-in';
import { createSignInCheck } from '../../../lib/entrypoints/sign-in';
import { SIMULATED_API } from '../../../lib/simulator';
import { startWorld, type World } from '../../support/world';
import { worldConsoleHandler } from '../../support/console-handler';

/**
 * The console in Azure behind App Service authentication (infra/app/auth.bicep): a browser that signed in
 * through the platform sends no Authorization header, only its session cookie. With the token store off (as
 * deployed) the platform forwards the user's claims as X-MS-CLIENT-PRINCIPAL; where a token store is on, it
 * also forwards the access token as X-MS-TOKEN-AAD-ACCESS-TOKEN, which the app verifies exactly as a bearer
 * token (production sign-in check, the simulator's JWKS, the world's clock), so a forged or stale header
 * gains nothing.
 */

const FORWARDED = 'x-ms-token-aad-access-token';

function request(path: string, headers: Record<string, string>, method = 'GET'): ConsoleRequest {
  return {
    method,
    url: new URL(`https://qrn.azurewebsites.net/api/console${path}`),
    header: (name) => headers[name.toLowerCase()] ?? null,
  };
}

/** A token shaped like the simulator's, signed with a key the tenant never published. */
function forgedToken(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'forged' })}.${b64({
    aud: SIMULATED_API.audience,
    roles: [SIMULATED_API.role],
    sub: 'mallory',
    iat: now,
    nbf: now,
    exp: now + 3600,
  })}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url')}`;
}

describe('console behind App Service authentication: the forwarded claims or access token', () => {
  let world: World;
  let handle: (request: ConsoleRequest) => ReturnType<ReturnType<typeof createConsoleHandler>>;
  /** The same console where the platform does not report its authentication on (WEBSITE_AUTH_ENABLED unset). */
  let handleWithoutPlatformSignIn: typeof handle;

  beforeAll(async () => {
    world = await startWorld({ seed: 'demo' });
    await world.app.runSnapshot();
    await world.app.runNotify();
    const api = { ...world.app.settings.api, audience: SIMULATED_API.audience };
    const signIn = createSignInCheck(api, { now: () => world.clock.now() });
    const consoleFor = (platformSignIn: boolean) =>
      worldConsoleHandler(world, {
        access: signedInAccess(
          async () => signIn,
          async () => createPlatformPrincipalCheck({ ...api, platformSignIn }),
        ),
      });
    handleWithoutPlatformSignIn = consoleFor(false);
    handle = consoleFor(true);
  });

  afterAll(async () => {
    await world.close();
  });

  it('GIVEN a browser signed in through the platform WHEN its request carries only the forwarded access token (no Authorization header) THEN the page and the data are served', async () => {
    const token = world.simulator.apiTokens.sign({ sub: 'adele.vance@contoso.com' });
    const page = await handle(request('', { [FORWARDED]: token }));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const data = await handle(request('/data/releases', { [FORWARDED]: token }));
    expect(data.status).toBe(200);
    const body = JSON.parse(String(data.body)) as { rows: unknown[]; total: number };
    expect(body.total).toBeGreaterThan(0);
    expect(body.rows.length).toBeGreaterThan(0);
  });

  it('GIVEN a forwarded header WHEN its token is forged, lacks the app role, names another audience or has expired THEN no data: 401 or 403', async () => {
    const cases: [string, string, number][] = [
      ['forged signature', forgedToken(), 401],
      ['not a token', 'admin', 401],
      ['without the role', world.simulator.apiTokens.sign({ roles: [] }), 403],
      ['for another API', world.simulator.apiTokens.sign({ aud: 'https://graph.microsoft.com' }), 401],
    ];
    const stale = world.simulator.apiTokens.sign({ lifetimeMs: 10 * MINUTE });
    world.clock.advance(20 * MINUTE);
    cases.push(['expired', stale, 401]);
    for (const [what, token, status] of cases) {
      const response = await handle(request('/data/releases', { [FORWARDED]: token }));
      expect({ what, status: response.status }).toEqual({ what, status });
      expect(String(response.body)).not.toContain('@contoso.com');
    }
  });

  it('GIVEN the platform session outlived its forwarded access token (about an hour) WHEN the browser opens the page THEN it is sent to sign in again and back, once; its data, scripts with a bearer token and other refusals get 401', async () => {
    const stale = world.simulator.apiTokens.sign({ lifetimeMs: 10 * MINUTE });
    world.clock.advance(20 * MINUTE);
    const page = await handle(request('', { [FORWARDED]: stale }));
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe(
      '/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fconsole%3Fsignin%3Dagain',
    );
    expect((await handle(request('', { [FORWARDED]: stale }, 'HEAD'))).status).toBe(302);
    // Back from signing in: a token still refused is a 401, never a second redirect (no loop).
    expect((await handle(request('?signin=again', { [FORWARDED]: stale }))).status).toBe(401);
    // The page's data and assets answer its scripts with 401.
    for (const path of ['/data/releases', '/assets/app.js']) {
      expect((await handle(request(path, { [FORWARDED]: stale }))).status).toBe(401);
    }
    // A script's own expired token, a forged forwarded token, or one without the role: no redirect.
    expect((await handle(request('', { authorization: `Bearer ${stale}` }))).status).toBe(401);
    expect((await handle(request('', { [FORWARDED]: forgedToken() }))).status).toBe(401);
    expect(
      (await handle(request('', { [FORWARDED]: world.simulator.apiTokens.sign({ roles: [] }) }))).status,
    ).toBe(403);
  });

  /** X-MS-CLIENT-PRINCIPAL as the platform forwards it: the ID token's claims, base64 JSON. */
  function principal(claims: Record<string, string | string[]>): string {
    const list = Object.entries(claims).flatMap(([typ, val]) =>
      (Array.isArray(val) ? val : [val]).map((v) => ({ typ, val: v })),
    );
    return Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: list })).toString('base64');
  }
  const adele = () =>
    principal({
      aud: 'quarantine-release-notifier', // the client id of api://quarantine-release-notifier
      iss: world.app.settings.api.issuers[0],
      sub: 'adele-subject',
      roles: [SIMULATED_API.role],
    });

  it('GIVEN the token store off WHEN a signed-in browser comes with only the forwarded claims, on any instance THEN the page and the data are served', async () => {
    const page = await handle(request('', { 'x-ms-client-principal': adele() }));
    expect(page.status).toBe(200);
    const data = await handle(request('/data/releases', { 'x-ms-client-principal': adele() }));
    expect(data.status).toBe(200);
    expect((JSON.parse(String(data.body)) as { total: number }).total).toBeGreaterThan(0);
  });

  it('GIVEN forwarded claims without the role, for another registration or tenant THEN no data, no redirect: 403 or 401', async () => {
    const cases: [string, string, number][] = [
      [
        'without the role',
        principal({ aud: 'quarantine-release-notifier', iss: world.app.settings.api.issuers[0] }),
        403,
      ],
      [
        'another registration',
        principal({ aud: 'other', iss: world.app.settings.api.issuers[0], roles: SIMULATED_API.role }),
        401,
      ],
      [
        'another tenant',
        principal({
          aud: 'quarantine-release-notifier',
          iss: 'https://login.microsoftonline.com/other/v2.0',
          roles: SIMULATED_API.role,
        }),
        401,
      ],
    ];
    for (const [what, claims, status] of cases) {
      const response = await handle(request('', { 'x-ms-client-principal': claims }));
      expect({ what, status: response.status }).toEqual({ what, status });
      expect(String(response.body)).not.toContain('@contoso.com');
    }
  });

  it('GIVEN a browser the platform signed in WHEN this instance cannot decide from its claims (the platform does not report its authentication on) THEN the page sends it through sign-in again and back, once; the data answers 401', async () => {
    const headers = { 'x-ms-client-principal': adele(), 'x-ms-client-principal-id': 'adele-subject' };
    const page = await handleWithoutPlatformSignIn(request('', headers));
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe(
      '/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fconsole%3Fsignin%3Dagain',
    );
    expect((await handleWithoutPlatformSignIn(request('?signin=again', headers))).status).toBe(401);
    const data = await handleWithoutPlatformSignIn(request('/data/releases', headers));
    expect(data.status).toBe(401);
    expect(String(data.body)).not.toContain('@contoso.com');
  });
});
