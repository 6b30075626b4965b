import * as http from 'node:http';
import { HttpRequest } from '@azure/functions';
import { consoleHttp } from '../../../functions/console';
import { loopbackAccess, signedInAccess } from '../../../lib/console/access';
import type { ConsoleRequest } from '../../../lib/entrypoints/console/handlers';
import { createSignInCheck } from '../../../lib/entrypoints/sign-in';
import { SIMULATED_API } from '../../../lib/simulator';
import { fromFunctionsRequest, serveConsoleLocally } from '../../../lib/entrypoints/console/hosts';
import { startWorld, type World } from '../../support/world';
import { worldConsoleHandler } from '../../support/console-handler';

function request(
  path: string,
  options: { method?: string; headers?: Record<string, string>; from?: string } = {},
): ConsoleRequest {
  const headers: Record<string, string> = { host: 'localhost:7071', ...options.headers };
  return {
    method: options.method ?? 'GET',
    url: new URL(`http://localhost:7071/api/console${path}`),
    header: (name) => headers[name.toLowerCase()] ?? null,
    remoteAddress: options.from ?? '127.0.0.1',
    localPort: 7071,
  };
}

describe('console HTTP handling', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  const handler = (access = loopbackAccess()) => worldConsoleHandler(world, { access });

  it('GIVEN the function app without sign-in (production settings) WHEN the page, an asset or the API is asked for THEN 401 with a Bearer challenge and no data', async () => {
    for (const path of [
      '',
      '/assets/app.js',
      '/data/summary',
      '/data/releases',
      '/data/releases.csv',
      '/data/message?id=1',
    ]) {
      const response = await consoleHttp(
        new HttpRequest({ method: 'GET', url: `https://qrn.azurewebsites.net/api/console${path}` }),
      );
      expect(response.status).toBe(401);
      expect(response.headers).toMatchObject({
        'www-authenticate': 'Bearer',
        'x-content-type-options': 'nosniff',
        'content-type': 'application/json; charset=utf-8',
      });
      expect(JSON.parse(String(response.body))).toEqual({ error: 'sign-in required' });
    }
  });

  it('GIVEN the function app WHEN a signed-in administrator without the console role asks THEN 403; with it THEN the page', async () => {
    const handle = handler(
      signedInAccess(
        async () => async (req) =>
          req.headers.get('authorization') === 'Bearer ok'
            ? { ok: true, caller: { subject: 'u@contoso.com', roles: ['Releases.Read'] } }
            : { ok: false, status: 403, reason: 'the token lacks the app role Releases.Read' },
      ),
    );
    expect((await handle(request('', { headers: { authorization: 'Bearer no' } }))).status).toBe(403);
    expect((await handle(request('', { headers: { authorization: 'Bearer ok' } }))).status).toBe(200);
  });

  it('GIVEN npm start WHEN the page is asked for THEN it carries a strict CSP (self only, no framing, no inline script) and nosniff', async () => {
    const response = await handler()(request(''));
    expect(response.status).toBe(200);
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const html = String(response.body);
    // Every script is a file of its own origin: none inline, none elsewhere.
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script src="console/assets/app.js" defer>']);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('GIVEN npm start WHEN a request comes from off this machine THEN 403', async () => {
    expect((await handler()(request('/data/summary', { from: '192.168.1.20' }))).status).toBe(403);
  });

  it('GIVEN npm start’s server WHEN a rebound name or a page of another origin asks for the data THEN 403 with the reason and no data', async () => {
    const server = await serveConsoleLocally(handler());
    try {
      const { port } = new URL(server.url);
      const ask = (headers: Record<string, string>) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = http.get(`${server.url}/data/releases.csv`, { headers }, (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
        });
      expect(await ask({ host: `attacker.example:${port}` })).toEqual({
        status: 403,
        body: JSON.stringify({
          error: `the local console answers only at 127.0.0.1:${port} or localhost:${port}, not at another name`,
        }),
      });
      expect(await ask({ host: `localhost:${port}`, origin: 'https://attacker.example' })).toEqual({
        status: 403,
        body: JSON.stringify({
          error: 'the local console answers only its own pages, not a page from another origin',
        }),
      });
      const own = await ask({ host: `localhost:${port}`, origin: `http://localhost:${port}` });
      expect(own.status).toBe(200);
      expect(own.body).toContain('Released at');
    } finally {
      await server.close();
    }
  });

  it('GIVEN the function app with API_SIGN_IN=off-loopback WHEN a request names Host localhost:7071 with a made-up token THEN 401: the Functions host does not show the peer', async () => {
    const local = await world.another({
      settings: { API_SIGN_IN: 'off-loopback', API_AUDIENCE: SIMULATED_API.audience },
    });
    const handle = handler(signedInAccess(async () => createSignInCheck(local.settings.api)));
    const response = await handle(
      fromFunctionsRequest(
        new HttpRequest({
          method: 'GET',
          url: 'http://localhost:7071/api/console/data/releases.csv',
          headers: { host: 'localhost:7071', authorization: 'Bearer made-up' },
        }),
      ),
    );
    expect(response.status).toBe(401);
    expect(JSON.parse(String(response.body))).toEqual({ error: 'the token was refused (ERR_JWS_INVALID)' });
  });

  it('GIVEN the API WHEN a filter, a message id or a path is wrong THEN 400/404/405 with a JSON error, never a page', async () => {
    const handle = handler();
    const cases: [ConsoleRequest, number, string][] = [
      [request('/data/releases?status=done'), 400, 'status "done" is not one of'],
      [request('/data/summary?period=-1'), 400, 'period'],
      [request('/data/message?id=%3Cscript%3E'), 400, 'NetworkMessageId'],
      [request('/data/everything'), 404, 'no such data'],
      [request('/assets/..%2Fsecret'), 404, 'not found'],
      [request('/assets/app.js.map'), 404, 'no such asset'],
      [request('/data/releases', { method: 'POST' }), 405, 'only GET'],
    ];
    for (const [req, status, message] of cases) {
      const response = await handle(req);
      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(JSON.parse(String(response.body)).error).toContain(message);
    }
    // A filter the console shares with the report is refused by the same schema, naming its field.
    const refused = await handle(request('/data/releases?status=done'));
    expect(JSON.parse(String(refused.body))).toEqual({
      error: 'status "done" is not one of pending, notified, skipped, unmatched, failed.',
      field: 'status',
    });
  });

  it('GIVEN a sender or releaser in the URL THEN 400 saying where it goes; GIVEN them in the x-filters header THEN the data', async () => {
    const handle = handler();
    for (const [field, query] of [
      ['sender', 'sender=megan.bowen%40contoso.com'],
      ['releasedBy', 'status=notified&releasedBy=adele.vance%40contoso.com'],
    ]) {
      const response = await handle(request(`/data/releases?${query}`));
      expect(response.status).toBe(400);
      expect(JSON.parse(String(response.body))).toEqual({
        error: expect.stringMatching(new RegExp(`^${field} names a person, .* x-filters header`)),
        field,
      });
    }
    const inHeader = await handle(
      request('/data/releases', { headers: { 'x-filters': 'sender=nobody%40contoso.com&period=7' } }),
    );
    expect(inHeader.status).toBe(200);
    expect(JSON.parse(String(inHeader.body))).toMatchObject({ rows: [], total: 0 });
  });

  it('GIVEN the page asked for with a trailing slash THEN it redirects to the address its relative links resolve from', async () => {
    const response = await handler()(request('/'));
    expect(response.status).toBe(308);
    expect(response.headers.location).toBe('/api/console');
  });

  it('GIVEN the health strip WHEN it asks for setup problems THEN only the doctor’s failures and warnings come back, and the doctor runs at most once per ten minutes', async () => {
    const setupChecks = jest.fn(async () => [
      { name: 'Storage', status: 'pass' as const, detail: 'reachable' },
      {
        name: 'Exchange',
        status: 'fail' as const,
        detail: '403: Security Reader missing',
        fix: 'qrn permissions',
      },
      { name: 'Email', status: 'warn' as const, detail: 'pilot redirect is on' },
    ]);
    const handle = worldConsoleHandler(world, { setupChecks });
    const first = JSON.parse(String((await handle(request('/data/setup'))).body));
    expect(first.checked).toBe(true);
    expect(first.checks.map((c: { name: string }) => c.name)).toEqual(['Exchange', 'Email']);
    await handle(request('/data/setup'));
    expect(setupChecks).toHaveBeenCalledTimes(1);
    await handle(request('/data/setup?refresh=1'));
    expect(setupChecks).toHaveBeenCalledTimes(2);
  });
});
