import { loopbackAccess, signedInAccess } from '../../lib/console/access';
import type { SignInCheck, SignInRequest } from '../../lib/console/sign-in-check';

function request(headers: Record<string, string>, remoteAddress?: string, where?: number | URL) {
  return {
    header: (name: string) => headers[name.toLowerCase()] ?? null,
    remoteAddress,
    ...(typeof where === 'number' ? { localPort: where } : { url: where }),
  };
}

describe('console access', () => {
  /** A request to npm start's console on port 7071, as its server describes it. */
  const local = (headers: Record<string, string>, from = '127.0.0.1') =>
    request({ host: 'localhost:7071', ...headers }, from, 7071);

  it('GIVEN npm start WHEN a request comes from this machine (IPv4, IPv6, or IPv4 mapped into IPv6) to the console’s own address THEN it is allowed without sign-in', async () => {
    const access = loopbackAccess();
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      for (const host of ['localhost:7071', '127.0.0.1:7071', 'LOCALHOST:7071']) {
        await expect(access.authorize(local({ host }, address))).resolves.toEqual({
          allowed: true,
          user: 'local administrator',
        });
      }
    }
  });

  it('GIVEN npm start WHEN a request names Host localhost:7071 but comes from another address, or the peer is unknown THEN 403', async () => {
    const access = loopbackAccess();
    for (const address of ['192.168.1.20', '10.0.0.1', '::ffff:10.0.0.1', 'fe80::1', undefined]) {
      await expect(access.authorize(request({ host: 'localhost:7071' }, address, 7071))).resolves.toEqual({
        allowed: false,
        status: 403,
        reason: 'the local console answers only on this machine',
      });
    }
  });

  it('GIVEN npm start WHEN a page rebinds its own name to 127.0.0.1, or the Host names another port or none THEN 403 with the reason', async () => {
    const access = loopbackAccess();
    const refused = {
      allowed: false,
      status: 403,
      reason: 'the local console answers only at 127.0.0.1:7071 or localhost:7071, not at another name',
    };
    for (const host of [
      'attacker.example:7071',
      'attacker.example',
      'localhost:8080',
      'localhost',
      '[::1]:7071',
      '',
    ]) {
      await expect(access.authorize(local({ host }))).resolves.toEqual(refused);
    }
    await expect(access.authorize(request({ host: 'localhost:7071' }, '127.0.0.1'))).resolves.toMatchObject({
      allowed: false,
      status: 403,
    });
  });

  it('GIVEN npm start WHEN a page from another origin asks THEN 403; the console’s own pages pass', async () => {
    const access = loopbackAccess();
    for (const origin of [
      'https://attacker.example',
      'http://localhost:8080',
      'https://localhost:7071',
      'null',
    ]) {
      await expect(access.authorize(local({ origin }))).resolves.toEqual({
        allowed: false,
        status: 403,
        reason: 'the local console answers only its own pages, not a page from another origin',
      });
    }
    for (const origin of ['http://localhost:7071', 'http://127.0.0.1:7071']) {
      await expect(access.authorize(local({ origin }))).resolves.toMatchObject({ allowed: true });
    }
  });

  describe("the function app: the releases API's Entra ID sign-in and app role", () => {
    /** A sign-in check that remembers the Authorization header it was shown and answers by the token. */
    function fakeCheck() {
      const seen: (string | null)[] = [];
      const check: SignInCheck = async (req: SignInRequest) => {
        const authorization = req.headers.get('authorization');
        seen.push(authorization);
        if (authorization === 'Bearer admin')
          return { ok: true, caller: { subject: 'adele', roles: ['Releases.Read'] } };
        if (authorization === 'Bearer reader')
          return { ok: false, status: 403, reason: 'the token lacks the app role' };
        return { ok: false, status: 401, reason: 'an Entra ID bearer token is required' };
      };
      return { check, seen };
    }

    it('GIVEN no token WHEN any request comes, even from loopback THEN 401, without starting the app', async () => {
      const signIn = jest.fn();
      await expect(signedInAccess(signIn).authorize(request({}, '127.0.0.1'))).resolves.toEqual({
        allowed: false,
        status: 401,
        reason: 'sign-in required',
      });
      expect(signIn).not.toHaveBeenCalled();
    });

    it('GIVEN a token WHEN the app cannot start (settings invalid) THEN 503, never the data', async () => {
      const access = signedInAccess(async () => {
        throw new Error('settings invalid');
      });
      await expect(access.authorize(request({ authorization: 'Bearer admin' }))).resolves.toMatchObject({
        allowed: false,
        status: 503,
      });
    });

    it('GIVEN a token the check refuses THEN 401 with the check reason', async () => {
      const { check } = fakeCheck();
      await expect(
        signedInAccess(async () => check).authorize(request({ authorization: 'Bearer forged' })),
      ).resolves.toEqual({ allowed: false, status: 401, reason: 'an Entra ID bearer token is required' });
    });

    it('GIVEN a browser behind App Service authentication WHEN the platform forwards the access token THEN that token is verified as a bearer token', async () => {
      const { check, seen } = fakeCheck();
      const access = signedInAccess(async () => check);
      await expect(access.authorize(request({ 'x-ms-token-aad-access-token': 'admin' }))).resolves.toEqual({
        allowed: true,
        user: 'adele',
      });
      expect(seen).toEqual(['Bearer admin']);
    });

    it('GIVEN both headers WHEN authorizing THEN the Authorization header wins; a token without the role is 403', async () => {
      const { check, seen } = fakeCheck();
      const access = signedInAccess(async () => check);
      await expect(
        access.authorize(request({ authorization: 'Bearer reader', 'x-ms-token-aad-access-token': 'admin' })),
      ).resolves.toMatchObject({ allowed: false, status: 403 });
      expect(seen).toEqual(['Bearer reader']);
    });

    describe('a browser App Service authentication signed in, without an access token (token store off, or a new instance)', () => {
      const consoleUrl = new URL('https://qrn.example/api/console');
      const signedInBrowser = {
        'x-ms-client-principal': 'claims-of-adele',
        'x-ms-client-principal-id': 'adele',
      };
      const principalCheck = async () => (encoded: string) =>
        encoded === 'claims-of-adele'
          ? { ok: true as const, caller: { subject: 'adele', roles: ['Releases.Read'] } }
          : {
              ok: false as const,
              status: 403 as const,
              reason: 'the signed-in user lacks the app role Releases.Read',
            };

      it('GIVEN the platform signs browsers in WHEN its claims carry the app role THEN the user is let in, on any instance, without a token', async () => {
        const signIn = jest.fn();
        const access = signedInAccess(signIn, principalCheck);
        await expect(access.authorize(request(signedInBrowser, undefined, consoleUrl))).resolves.toEqual({
          allowed: true,
          user: 'adele',
        });
        expect(signIn).not.toHaveBeenCalled();
      });

      it('GIVEN claims without the app role THEN 403, and no sign-in loop', async () => {
        const access = signedInAccess(jest.fn(), principalCheck);
        await expect(
          access.authorize(request({ 'x-ms-client-principal': 'claims-of-bob' }, undefined, consoleUrl)),
        ).resolves.toEqual({
          allowed: false,
          status: 403,
          reason: 'the signed-in user lacks the app role Releases.Read',
        });
      });

      it('GIVEN this instance cannot decide from the claims WHEN the browser asks for the console THEN it is sent through sign-in again, back to the console, once', async () => {
        const access = signedInAccess(jest.fn(), async () => undefined);
        await expect(access.authorize(request(signedInBrowser, undefined, consoleUrl))).resolves.toEqual({
          allowed: false,
          status: 401,
          reason: 'signed in, but no token or claims this instance can verify',
          signIn: `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent('/api/console?signin=again')}`,
        });
        // Back from that sign-in and still undecidable: a plain 401 with the reason, never a redirect loop.
        const back = new URL('https://qrn.example/api/console?signin=again');
        await expect(access.authorize(request(signedInBrowser, undefined, back))).resolves.toEqual({
          allowed: false,
          status: 401,
          reason: 'signed in, but no token or claims this instance can verify',
        });
      });

      it('GIVEN the app cannot start WHEN a signed-in browser comes THEN 503', async () => {
        const access = signedInAccess(jest.fn(), async () => {
          throw new Error('settings invalid');
        });
        await expect(
          access.authorize(request(signedInBrowser, undefined, consoleUrl)),
        ).resolves.toMatchObject({
          allowed: false,
          status: 503,
        });
      });
    });

    it('GIVEN the releases API is closed (no audience) THEN the console is closed too (503)', async () => {
      const closed: SignInCheck = async () => ({ ok: false, status: 503, reason: 'API_AUDIENCE is not set' });
      await expect(
        signedInAccess(async () => closed).authorize(request({ authorization: 'Bearer admin' })),
      ).resolves.toMatchObject({
        allowed: false,
        status: 503,
      });
    });
  });
});
