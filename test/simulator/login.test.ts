import { ManualClock, HOUR } from '../../lib/core/clock';
import type { Simulator } from '../../lib/simulator';
import { bearer, call, credentialFor, invoke, startTestSimulator } from '../support/simulator';

describe('simulated Entra login (client credentials)', () => {
  let sim: Simulator;
  const clock = new ManualClock('2026-03-02T12:00:00Z');

  beforeAll(async () => {
    sim = await startTestSimulator({ clock });
  });
  afterAll(() => sim.close());

  const tokenUrl = (tenant = sim.tenantId) => `${sim.urls.login}/${tenant}/oauth2/v2.0/token`;
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const goodForm = (overrides: Record<string, string> = {}) =>
    form({
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
      scope: `${sim.urls.exchange}/.default`,
      grant_type: 'client_credentials',
      ...overrides,
    });

  it('GIVEN the real ClientSecretCredential WHEN it asks for each audience THEN each token opens its service only', async () => {
    const credential = credentialFor(sim);
    const exchange = await credential.getToken(`${sim.urls.exchange}/.default`);
    const graph = await credential.getToken(`${sim.urls.graph}/.default`);
    const acs = await credential.getToken(`${sim.urls.acs}/.default`);
    expect(new Set([exchange.token, graph.token, acs.token]).size).toBe(3);

    expect((await invoke(sim, exchange.token, 'Get-AcceptedDomain')).status).toBe(200);
    expect((await call(`${sim.urls.graph}/v1.0/domains`, { headers: bearer(graph.token) })).status).toBe(200);
    // A token for another audience is refused, as a real resource refuses a token not issued for it.
    expect((await invoke(sim, graph.token, 'Get-AcceptedDomain')).status).toBe(401);
    const wrong = await call(`${sim.urls.graph}/v1.0/domains`, { headers: bearer(exchange.token) });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('InvalidAuthenticationToken');
  });

  it('GIVEN the real resource names WHEN used as scopes THEN they map to the simulated services', async () => {
    const credential = credentialFor(sim);
    const exchange = await credential.getToken('https://outlook.office365.com/.default');
    const graph = await credential.getToken('https://graph.microsoft.com/.default');
    const acs = await credential.getToken('https://communication.azure.com/.default');
    expect((await invoke(sim, exchange.token, 'Get-AcceptedDomain')).status).toBe(200);
    expect((await call(`${sim.urls.graph}/v1.0/domains`, { headers: bearer(graph.token) })).status).toBe(200);
    expect(acs.token).toBeTruthy();
    expect((await invoke(sim, acs.token, 'Get-AcceptedDomain')).status).toBe(401);
  });

  it('GIVEN a token response THEN it is shaped like Entra v2 and lasts an hour', async () => {
    const res = await call(tokenUrl(), goodForm());
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: expect.any(String),
    });
  });

  it('GIVEN the discovery documents MSAL fetches THEN they name this host as issuer and token endpoint', async () => {
    const res = await call(`${sim.urls.login}/${sim.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.json.issuer).toBe(`${sim.urls.login}/${sim.tenantId}/v2.0`);
    expect(res.json.token_endpoint).toBe(`${sim.urls.login}/${sim.tenantId}/oauth2/v2.0/token`);
    const discovery = await call(`${sim.urls.login}/common/discovery/instance?api-version=1.1`);
    expect(discovery.status).toBe(200);
    expect(discovery.json.metadata[0].aliases).toEqual([new URL(sim.urls.login).host]);
  });

  it('GIVEN a wrong tenant THEN 400 AADSTS90002, and the credential fails', async () => {
    const res = await call(tokenUrl('11111111-1111-1111-1111-111111111111'), goodForm());
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: 'invalid_request', error_codes: [90002] });
    expect(res.json.error_description).toMatch(
      /^AADSTS90002: Tenant '11111111-1111-1111-1111-111111111111' not found/,
    );
    expect(res.json).toHaveProperty('trace_id');
    expect(res.json).toHaveProperty('correlation_id');
    const discovery = await call(
      `${sim.urls.login}/11111111-1111-1111-1111-111111111111/v2.0/.well-known/openid-configuration`,
    );
    expect(discovery.status).toBe(400);
    expect(discovery.json.error).toBe('invalid_tenant');
    await expect(
      credentialFor(sim, { tenantId: '11111111-1111-1111-1111-111111111111' }).getToken(
        `${sim.urls.exchange}/.default`,
      ),
    ).rejects.toThrow();
  });

  it('GIVEN a wrong secret THEN 401 AADSTS7000215, and the credential says so', async () => {
    const res = await call(tokenUrl(), goodForm({ client_secret: 'nope' }));
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    await expect(
      credentialFor(sim, { secret: 'nope' }).getToken(`${sim.urls.graph}/.default`),
    ).rejects.toThrow(/AADSTS7000215/);
  });

  it('GIVEN an unknown client id THEN 400 AADSTS700016 (unauthorized_client, as Entra answers)', async () => {
    const res = await call(tokenUrl(), goodForm({ client_id: '22222222-2222-2222-2222-222222222222' }));
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    await expect(
      credentialFor(sim, { clientId: '22222222-2222-2222-2222-222222222222' }).getToken(
        `${sim.urls.graph}/.default`,
      ),
    ).rejects.toThrow(/AADSTS700016/);
  });

  it('GIVEN no credential, a bad scope, an unknown resource or another grant THEN Entra-like errors', async () => {
    const noSecret = await call(
      tokenUrl(),
      form({
        client_id: sim.clientId,
        scope: `${sim.urls.exchange}/.default`,
        grant_type: 'client_credentials',
      }),
    );
    expect(noSecret.status).toBe(401);
    expect(noSecret.json.error_codes).toEqual([7000216]);
    const badScope = await call(tokenUrl(), goodForm({ scope: `${sim.urls.exchange}/Exchange.ManageAsApp` }));
    expect(badScope.status).toBe(400);
    expect(badScope.json).toMatchObject({ error: 'invalid_scope', error_codes: [1002012] });
    const unknown = await call(tokenUrl(), goodForm({ scope: 'https://manage.office.com/.default' }));
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ error: 'invalid_resource', error_codes: [500011] });
    const grant = await call(tokenUrl(), goodForm({ grant_type: 'password' }));
    expect(grant.status).toBe(400);
    expect(grant.json.error).toBe('unsupported_grant_type');
  });

  it('GIVEN a client assertion naming the client THEN a token is issued', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const assertion = `${part({ alg: 'RS256' })}.${part({ iss: sim.clientId, sub: sim.clientId, aud: tokenUrl() })}.sig`;
    const res = await call(
      tokenUrl(),
      form({
        client_id: sim.clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
        scope: `${sim.urls.graph}/.default`,
        grant_type: 'client_credentials',
      }),
    );
    expect(res.status).toBe(200);
    const bad = await call(
      tokenUrl(),
      form({
        client_id: sim.clientId,
        client_assertion: 'x.y.z',
        scope: `${sim.urls.graph}/.default`,
        grant_type: 'client_credentials',
      }),
    );
    expect(bad.status).toBe(401);
  });

  it('GIVEN no token, a made-up token or an expired one THEN the services answer 401', async () => {
    const res = await call(tokenUrl(), goodForm());
    const token = res.json.access_token as string;
    expect((await invoke(sim, token, 'Get-AcceptedDomain')).status).toBe(200);

    const none = await invoke(sim, undefined, 'Get-AcceptedDomain');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((await invoke(sim, 'made-up', 'Get-AcceptedDomain')).status).toBe(401);
    const graphNone = await call(`${sim.urls.graph}/v1.0/domains`);
    expect(graphNone.status).toBe(401);
    expect(graphNone.json.error).toMatchObject({
      code: 'InvalidAuthenticationToken',
      message: 'Access token is empty.',
    });

    clock.advance(HOUR);
    expect((await invoke(sim, token, 'Get-AcceptedDomain')).status).toBe(401);
  });
});
