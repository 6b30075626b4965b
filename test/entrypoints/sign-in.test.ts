import { loadSettings } from '../../lib/config/settings';
import { createSignInCheck } from '../../lib/entrypoints/sign-in';
import { SIMULATED_API, type Simulator } from '../../lib/simulator';
import { credentialFor, startTestSimulator } from '../support/simulator';

/** The sign-in check against the simulator's login service: a real token request, a real JWKS fetch. */
describe('the Entra ID sign-in of the personal-data API', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator();
  });
  afterAll(async () => sim?.close());

  const settingsFor = (extra: Record<string, string> = {}) =>
    loadSettings({
      AZURE_TENANT_ID: sim.tenantId,
      AZURE_AUTHORITY_HOST: sim.urls.login,
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      ACS_CONNECTION_STRING: sim.acsConnectionString,
      EMAIL_SENDER_ADDRESS: sim.senderAddress,
      API_AUDIENCE: SIMULATED_API.audience,
      ...extra,
    }).api;
  const request = (token?: string, remoteAddress?: string) => ({
    // A Host naming this machine, as any caller may write it: the check never reads it.
    headers: {
      get: (name: string) =>
        name === 'authorization' && token ? `Bearer ${token}` : name === 'host' ? 'localhost:7071' : null,
    },
    remoteAddress,
  });

  it('GIVEN an app-only token from the login service for the API, with its app role THEN it is accepted, its keys read from the tenant JWKS', async () => {
    const token = await credentialFor(sim).getToken(`${SIMULATED_API.audience}/.default`);
    const outcome = await createSignInCheck(settingsFor())(request(token.token));
    expect(outcome).toEqual({ ok: true, caller: { subject: sim.clientId, roles: [SIMULATED_API.role] } });
  });

  it('GIVEN a JWKS URL that does not answer THEN 503, never a pass', async () => {
    const check = createSignInCheck(settingsFor({ API_JWKS_URL: 'https://127.0.0.1:9/keys' }));
    const outcome = await check(request(sim.apiTokens.sign()));
    expect(outcome).toMatchObject({ ok: false, status: 503 });
  });

  describe('API_SIGN_IN=off-loopback', () => {
    const offLoopback = () => createSignInCheck(settingsFor({ API_SIGN_IN: 'off-loopback' }));

    it('GIVEN a connection from this machine (IPv4, IPv6, or IPv4 mapped into IPv6) THEN no token is needed', async () => {
      for (const peer of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
        await expect(offLoopback()(request(undefined, peer))).resolves.toEqual({
          ok: true,
          caller: 'loopback',
        });
      }
    });

    it('GIVEN Host localhost:7071 from another machine THEN a token is needed, and the refusal says why', async () => {
      await expect(offLoopback()(request(undefined, '192.0.2.7'))).resolves.toEqual({
        ok: false,
        status: 401,
        reason:
          'an Entra ID bearer token is required (API_SIGN_IN=off-loopback spares only a connection from this machine)',
      });
    });

    it('GIVEN a host that does not tell the peer (the Functions host) THEN a token is needed, and the refusal says why', async () => {
      await expect(offLoopback()(request())).resolves.toEqual({
        ok: false,
        status: 401,
        reason:
          'an Entra ID bearer token is required (API_SIGN_IN=off-loopback spares only a connection from this machine, and this host does not show the app where a request comes from)',
      });
    });

    it('GIVEN a valid token from another machine THEN it is accepted as under entra', async () => {
      const token = await credentialFor(sim).getToken(`${SIMULATED_API.audience}/.default`);
      await expect(offLoopback()(request(token.token, '192.0.2.7'))).resolves.toMatchObject({
        ok: true,
        caller: { subject: sim.clientId },
      });
    });
  });

  it('GIVEN API_SIGN_IN=off-loopback in Azure (WEBSITE_SITE_NAME set) THEN the settings refuse it', () => {
    expect(() => settingsFor({ API_SIGN_IN: 'off-loopback', WEBSITE_SITE_NAME: 'func-qrn' })).toThrow(
      /API_SIGN_IN is off-loopback in Azure/,
    );
  });
});
