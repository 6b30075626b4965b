import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { Readable } from 'node:stream';
import { loadSettings } from '../../lib/config/settings';
import { HOUR, MINUTE } from '../../lib/core/clock';
import { createHealthHandler, createReleasesHandler, HEALTH_HTTP_STATUS } from '../../lib/entrypoints/http';
import type { HealthReport, HealthSource } from '../../lib/health/health';
import { SIMULATED_API } from '../../lib/simulator';
import { startWorld, type World } from '../support/world';
import { parseCsv } from '../support/cli';

const ADMIN = 'adele.vance@contoso.com';

function get(
  path: string,
  token?: string,
  host = 'localhost:7071',
  headers: Record<string, string> = {},
): HttpRequest {
  return new HttpRequest({
    method: 'GET',
    url: `http://${host}${path}`,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
  });
}

function context(): InvocationContext {
  return new InvocationContext({ functionName: 'test', invocationId: 'test', logHandler: () => undefined });
}

async function bodyText(response: HttpResponseInit): Promise<string> {
  if (typeof response.body === 'string') return response.body;
  if (response.body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
  return JSON.stringify(response.jsonBody);
}

function healthSource(world: World, settings?: Record<string, string>): HealthSource {
  return {
    settings: () => loadSettings(world.env(settings)),
    application: async () => world.app,
    clock: world.clock,
  };
}

/** The demo situations: a transport-rule release (notified) and an inbound spam release (skipped). */
async function cycle(world: World) {
  const scenario = world.simulator.scenario;
  const outbound = scenario.addMessage({
    sender: 'megan.bowen@contoso.com',
    recipients: ['buyer@fabrikam.example'],
    subject: 'Q1 price list (confidential)',
    type: 'TransportRule',
  });
  const spam = scenario.addMessage({
    sender: 'newsletter@offers.example',
    recipients: ['lidia.holloway@contoso.com'],
    subject: 'Deals',
    type: 'Spam',
  });
  scenario.release({ networkMessageId: outbound.networkMessageId, by: ADMIN });
  scenario.release({ networkMessageId: spam.networkMessageId, by: ADMIN });
  await world.app.runSnapshot();
  world.clock.advance(80 * MINUTE);
  await world.app.runSnapshot();
  await world.app.runNotify();
}

describe('GET /api/health', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN both jobs ran minutes ago THEN 200 healthy, with ages and counts and no address or subject', async () => {
    world = await startWorld();
    await cycle(world);
    world.clock.advance(10 * MINUTE);
    const response = await createHealthHandler(healthSource(world))(get('/api/health'), context());
    expect(response.status).toBe(200);
    const report = response.jsonBody as HealthReport;
    expect(report).toMatchObject({
      status: 'healthy',
      problems: [],
      settings: 'valid',
      storage: 'reachable',
      jobs: { snapshot: { ok: true }, notify: { ok: true } },
      auditQuery: { used: true, open: false },
      releases: { pending: 0, unmatched: 0, failed: 0 },
    });
    expect(report.jobs?.notify.ageMinutes).toBeLessThanOrEqual(15);
    expect(report.auditQuery).toMatchObject({ lastSucceededAgeMinutes: expect.any(Number) });
    const text = JSON.stringify(report);
    expect(text).not.toContain('@');
    expect(text).not.toContain('price list');
    expect(text).not.toContain(world.simulator.clientSecret);
  });

  it('GIVEN the snapshot has not succeeded for over an hour THEN 503 naming the job', async () => {
    world = await startWorld();
    await cycle(world);
    world.clock.advance(HOUR);
    await world.app.runNotify(); // notify still runs; the snapshot timer stopped
    world.clock.advance(5 * MINUTE);
    const response = await createHealthHandler(healthSource(world))(get('/api/health'), context());
    expect(response.status).toBe(503);
    const report = response.jsonBody as HealthReport;
    expect(report.status).toBe('unhealthy');
    expect(report.problems).toEqual([expect.stringMatching(/^snapshot: no successful run for 6\d minutes$/)]);
    expect(report.jobs?.snapshot.ok).toBe(false);
    expect(report.jobs?.notify.ok).toBe(true);
  });

  it("GIVEN ALERT_NO_SUCCESS_MINUTES=120 WHEN the snapshot last succeeded over an hour ago THEN healthy: the health endpoint uses the alerts' threshold", async () => {
    world = await startWorld();
    await cycle(world);
    world.clock.advance(HOUR);
    await world.app.runNotify();
    world.clock.advance(5 * MINUTE);
    const source = healthSource(world, { ALERT_NO_SUCCESS_MINUTES: '120' });
    const report = (await createHealthHandler(source)(get('/api/health'), context()))
      .jsonBody as HealthReport;
    expect(report.jobs?.snapshot.ok).toBe(true);
    expect(report.jobs?.snapshot.ageMinutes).toBeGreaterThan(60);
    expect(report.jobs?.snapshot.ageMinutes).toBeLessThanOrEqual(120);
  });

  it('GIVEN a new deployment where no job has run yet THEN 503, each job without a recorded run', async () => {
    world = await startWorld();
    const report = (await createHealthHandler(healthSource(world))(get('/api/health'), context()))
      .jsonBody as HealthReport;
    expect(report.problems).toEqual([
      'snapshot: no successful run recorded',
      'notify: no successful run recorded',
    ]);
  });

  it('GIVEN invalid settings THEN 503 naming the settings, never their values', async () => {
    world = await startWorld();
    const source = healthSource(world, {
      AZURE_TENANT_ID: 'not-a-guid-secretish',
      ACS_CONNECTION_STRING: 'oops',
    });
    const response = await createHealthHandler(source)(get('/api/health'), context());
    expect(response.status).toBe(503);
    const report = response.jsonBody as HealthReport;
    expect(report).toMatchObject({
      settings: 'invalid',
      invalidSettings: ['AZURE_TENANT_ID', 'ACS_CONNECTION_STRING'],
    });
    expect(JSON.stringify(report)).not.toContain('secretish');
  });

  it('GIVEN storage that does not answer THEN 503 storage unreachable', async () => {
    world = await startWorld();
    const source: HealthSource = {
      ...healthSource(world),
      application: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:1');
      },
    };
    const response = await createHealthHandler(source)(get('/api/health'), context());
    expect(response.status).toBe(503);
    expect(response.jsonBody).toMatchObject({ storage: 'unreachable', problems: ['storage unreachable'] });
  });
});

describe('GET /api/releases', () => {
  let world: World;
  let token: string;
  beforeAll(async () => {
    world = await startWorld({ settings: { API_AUDIENCE: SIMULATED_API.audience } });
    await cycle(world);
    token = world.simulator.apiTokens.sign();
  });
  afterAll(async () => world?.close());
  const handler = () => createReleasesHandler(async () => world.app);

  it('GIVEN no format THEN the report as a JSON array', async () => {
    const response = await handler()(get('/api/releases?since=7d', token), context());
    expect(response.status).toBe(200);
    expect((response.headers as Record<string, string>)['content-type']).toBe(
      'application/json; charset=utf-8',
    );
    const rows = JSON.parse(await bodyText(response));
    expect(rows.map((r: { status: string }) => r.status).sort()).toEqual(['notified', 'skipped']);
  });

  it('GIVEN format=csv and filters, the sender in the x-filters header THEN a CSV download for Excel with the filtered rows', async () => {
    const response = await handler()(
      get('/api/releases?format=csv&status=notified', token, undefined, {
        'x-filters': 'sender=contoso.com',
      }),
      context(),
    );
    expect(response.status).toBe(200);
    const headers = response.headers as Record<string, string>;
    expect(headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(headers['content-disposition']).toMatch(
      /^attachment; filename="releases-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const text = await bodyText(response);
    expect(text.startsWith('\ufeff')).toBe(true);
    const [header, ...rows] = parseCsv(text.slice(1));
    expect(rows).toHaveLength(1);
    expect(rows[0][header.indexOf('Sender')]).toBe('megan.bowen@contoso.com');
  });

  it("GIVEN a malformed filter THEN 400 naming it: the field on its own, and a message in the API's words", async () => {
    const response = await handler()(get('/api/releases?since=yesterday', token), context());
    expect(response.status).toBe(400);
    expect(response.jsonBody).toEqual({
      error: expect.stringMatching(/^since "yesterday" is neither a duration/),
      field: 'since',
    });
    const table = await handler()(get('/api/releases?format=table', token), context());
    expect(table.status).toBe(400);
    expect(table.jsonBody).toEqual({
      error: 'format "table" is for the command line: use json or csv.',
      field: 'format',
    });
    const backwards = await handler()(get('/api/releases?since=1d&until=2d', token), context());
    expect(backwards.jsonBody).toEqual({ error: 'since must be earlier than until.', field: 'since' });
  });

  it.each([
    ['since=99999999999999999999d', 'since', 'reaches back further than any date'],
    ['until=2026-13-45', 'until', 'neither a duration'],
    ['status=done', 'status', 'status "done" is not one of'],
    ['top=0', 'top', 'top "0" must be a whole number from 1 to 1000'],
    ['top=1001', 'top', 'from 1 to 1000'],
    ['top=1e3', 'top', 'from 1 to 1000'],
    ['continuation=not-ours', 'continuation', 'continuation is not a token this API gave'],
  ])('GIVEN %s THEN 400 naming the field %s with the reason, never a 5xx', async (query, field, reason) => {
    const response = await handler()(get(`/api/releases?${query}`, token), context());
    expect(response.status).toBe(400);
    expect(response.jsonBody).toEqual({ error: expect.stringContaining(reason), field });
    expect((response.jsonBody as { error: string }).error).not.toContain('--');
  });

  it('GIVEN a sender in the URL THEN 400 saying a URL is logged whole and where the filter goes; GIVEN the same in the x-filters header THEN the rows', async () => {
    const inUrl = await handler()(get('/api/releases?sender=megan.bowen%40contoso.com', token), context());
    expect(inUrl.status).toBe(400);
    expect(inUrl.jsonBody).toEqual({
      error: expect.stringMatching(/^sender names a person, and a URL is recorded whole .* x-filters header/),
      field: 'sender',
    });
    const inHeader = await handler()(
      get('/api/releases', token, undefined, {
        'x-filters': 'sender=megan.bowen%40contoso.com&status=notified',
      }),
      context(),
    );
    expect(inHeader.status).toBe(200);
    const rows = JSON.parse(await bodyText(inHeader)) as { sender: string }[];
    expect(rows.map((r) => r.sender)).toEqual(['megan.bowen@contoso.com']);
    // The header is read by the same schema as the URL: the same 400 for the same mistake.
    const bad = await handler()(
      get('/api/releases', token, undefined, { 'x-filters': 'since=yesterday' }),
      context(),
    );
    expect(bad.jsonBody).toMatchObject({ field: 'since' });
  });

  it('GIVEN top=1 THEN one row per response, and the continuation token pages through every row once', async () => {
    const seen: string[] = [];
    let continuation: string | undefined;
    for (let page = 0; page < 5; page++) {
      const response = await handler()(
        get(`/api/releases?top=1${continuation ? `&continuation=${continuation}` : ''}`, token),
        context(),
      );
      expect(response.status).toBe(200);
      const rows = JSON.parse(await bodyText(response)) as { networkMessageId: string; releasedTo: string }[];
      expect(rows.length).toBeLessThanOrEqual(1);
      seen.push(...rows.map((r) => `${r.networkMessageId}|${r.releasedTo}`));
      continuation = (response.headers as Record<string, string>)['x-continuation-token'];
      if (!continuation) break;
      // The token goes back in a URL: it holds table keys (hashes), never an address or a subject.
      const decoded = Buffer.from(continuation, 'base64url').toString('utf8');
      expect(decoded).not.toMatch(/@|price list|Deals/i);
    }
    expect(continuation).toBeUndefined();
    expect(seen).toHaveLength(2);
    expect(new Set(seen).size).toBe(2);
  });

  it('GIVEN no token, a token without the app role, for another audience, expired, or signed by another key THEN 401 or 403 and no personal data', async () => {
    const other = (await import('../../lib/simulator/api-tokens')).createApiTokenSigner({
      clock: world.clock,
      tenantId: world.simulator.tenantId,
      loginUrl: () => world.simulator.urls.login,
    });
    const cases: [string | undefined, number][] = [
      [undefined, 401],
      ['not-a-jwt', 401],
      [world.simulator.apiTokens.sign({ roles: [] }), 403],
      [world.simulator.apiTokens.sign({ roles: ['Something.Else'] }), 403],
      [world.simulator.apiTokens.sign({ aud: 'api://another-app' }), 401],
      [world.simulator.apiTokens.sign({ iss: 'https://login.microsoftonline.com/another-tenant/v2.0' }), 401],
      [world.simulator.apiTokens.sign({ lifetimeMs: -3_600_000 }), 401],
      [other.sign(), 401],
    ];
    for (const [bad, status] of cases) {
      const response = await handler()(get('/api/releases', bad), context());
      expect({ bad: bad?.slice(0, 20), status: response.status }).toEqual({ bad: bad?.slice(0, 20), status });
      expect(JSON.stringify(response.jsonBody)).not.toMatch(/contoso|fabrikam/);
    }
  });

  it('GIVEN API_AUDIENCE is not set THEN the releases API is closed (503), whatever the token', async () => {
    const closed = await world.another({ settings: { API_AUDIENCE: '' } });
    const response = await createReleasesHandler(async () => closed)(get('/api/releases', token), context());
    expect(response.status).toBe(503);
  });

  it('GIVEN API_SIGN_IN=off-loopback under the Functions host WHEN a request names Host localhost:7071 THEN 401 without data: the host does not show where it comes from', async () => {
    const local = await world.another({ settings: { API_SIGN_IN: 'off-loopback' } });
    const releases = createReleasesHandler(async () => local);
    for (const host of ['localhost:7071', '127.0.0.1:7071', '[::1]:7071']) {
      const refused = await releases(get('/api/releases', undefined, host), context());
      expect(refused.status).toBe(401);
      expect(refused.jsonBody).toEqual({
        error:
          'an Entra ID bearer token is required (API_SIGN_IN=off-loopback spares only a connection from this machine, and this host does not show the app where a request comes from)',
      });
    }
    expect((await releases(get('/api/releases', token), context())).status).toBe(200);
  });

  it('GIVEN the app cannot start THEN 503, not a half-written 200', async () => {
    const failing = createReleasesHandler(async () => {
      throw new Error('storage unreachable');
    });
    expect((await failing(get('/api/releases'), context())).status).toBe(503);
  });
});

describe('the function registrations', () => {
  it('GIVEN the functions folder THEN health and releases export their handlers apart from registering them', async () => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined); // "test mode: not registered"
    const health = await import('../../functions/health');
    const releases = await import('../../functions/releases');
    expect(typeof health.healthHttp).toBe('function');
    expect(typeof releases.releasesHttp).toBe('function');
  });
});

describe('the health status table', () => {
  it('GIVEN each health code THEN its HTTP status comes from the one table: 200 healthy, 503 unhealthy', () => {
    expect(HEALTH_HTTP_STATUS).toEqual({ healthy: 200, unhealthy: 503 });
  });
});
