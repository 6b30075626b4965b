import { bearerAccess, CONSOLE_ROLE, loopbackAccess, noSignInConfigured } from '../../lib/console/access';

function request(headers: Record<string, string>, remoteAddress?: string) {
  return { header: (name: string) => headers[name.toLowerCase()] ?? null, remoteAddress };
}

describe('console access', () => {
  it('GIVEN npm start WHEN a request comes from this machine (IPv4 or IPv6 loopback) THEN it is allowed without sign-in', async () => {
    const access = loopbackAccess();
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      await expect(access.authorize(request({}, address))).resolves.toEqual({
        allowed: true,
        user: 'local administrator',
      });
    }
  });

  it('GIVEN npm start WHEN a request comes from another address, or the peer is unknown THEN it is refused with 403', async () => {
    const access = loopbackAccess();
    for (const address of ['192.168.1.20', '10.0.0.1', '::ffff:10.0.0.1', undefined]) {
      await expect(access.authorize(request({}, address))).resolves.toMatchObject({
        allowed: false,
        status: 403,
      });
    }
  });

  it('GIVEN the function app WHEN a request carries no bearer token (or another scheme) THEN 401, and the verifier is never asked', async () => {
    const verify = jest.fn();
    const access = bearerAccess(verify);
    const cases: Record<string, string>[] = [
      {},
      { authorization: 'Basic YTpi' },
      { authorization: 'Bearer' },
    ];
    for (const headers of cases) {
      await expect(access.authorize(request(headers, '127.0.0.1'))).resolves.toMatchObject({
        allowed: false,
        status: 401,
      });
    }
    expect(verify).not.toHaveBeenCalled();
  });

  it('GIVEN the function app WHEN the token does not verify THEN 401; without the app role THEN 403; with it THEN the user', async () => {
    const access = bearerAccess(async (token) => {
      if (token === 'admin') return { user: 'adele.vance@contoso.com', roles: [CONSOLE_ROLE] };
      if (token === 'reader') return { user: 'megan.bowen@contoso.com', roles: ['Something.Else'] };
      throw new Error('bad signature');
    });
    const as = (token: string) => access.authorize(request({ authorization: `Bearer ${token}` }));
    await expect(as('forged')).resolves.toMatchObject({ allowed: false, status: 401 });
    await expect(as('reader')).resolves.toMatchObject({ allowed: false, status: 403 });
    await expect(as('admin')).resolves.toEqual({ allowed: true, user: 'adele.vance@contoso.com' });
  });

  it('GIVEN no sign-in is configured yet WHEN any bearer token is presented THEN it is refused with 401', async () => {
    const access = bearerAccess(noSignInConfigured);
    await expect(access.authorize(request({ authorization: 'Bearer anything' }))).resolves.toMatchObject({
      allowed: false,
      status: 401,
    });
  });
});
