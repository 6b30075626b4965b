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
  const request = (token?: string) => ({
    url: 'https://qrn.example/api/releases',
    headers: { get: (name: string) => (name === 'authorization' && token ? `Bearer ${token}` : null) },
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

  it('GIVEN API_SIGN_IN=off-loopback in Azure (WEBSITE_SITE_NAME set) THEN the settings refuse it', () => {
    expect(() => settingsFor({ API_SIGN_IN: 'off-loopback', WEBSITE_SITE_NAME: 'func-qrn' })).toThrow(
      /API_SIGN_IN is off-loopback in Azure/,
    );
  });
});
