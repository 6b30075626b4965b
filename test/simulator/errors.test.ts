import { DAY, ManualClock } from '../../lib/core/clock';
import type { Simulator } from '../../lib/simulator';
import { bearer, call, invoke, startTestSimulator, tokenFor } from '../support/simulator';

describe('simulator fault injection and request log', () => {
  let sim: Simulator;
  let exchangeToken: string;
  let graphToken: string;
  const clock = new ManualClock('2026-03-02T12:00:00Z');
  const quarantine = () => invoke(sim, exchangeToken, 'Get-QuarantineMessage', {});
  const domains = () => call(`${sim.urls.graph}/v1.0/domains`, { headers: bearer(graphToken) });

  beforeAll(async () => {
    sim = await startTestSimulator({ clock, tokenLifetimeMs: DAY });
    exchangeToken = await tokenFor(sim, 'exchange');
    graphToken = await tokenFor(sim, 'graph');
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.scenario.clearFaults();
    sim.scenario.clearRequests();
  });

  it('GIVEN a throttle fault THEN 429 once (count defaults to 1), Retry-After only when asked', async () => {
    sim.scenario.injectFault({ service: 'exchange', kind: 'throttle' });
    const first = await quarantine();
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBeNull();
    expect((await quarantine()).status).toBe(200);
    sim.scenario.injectFault({ service: 'graph', kind: 'throttle', retryAfterSeconds: 7 });
    const graph = await domains();
    expect(graph.status).toBe(429);
    expect(graph.headers.get('retry-after')).toBe('7');
    expect(graph.json.error.code).toBe('TooManyRequests');
  });

  it('GIVEN faults with counts THEN they are consumed in order', async () => {
    sim.scenario.injectFault({ service: 'graph', kind: 'unavailable', count: 2 });
    sim.scenario.injectFault({ service: 'graph', kind: 'gateway-timeout' });
    sim.scenario.injectFault({ service: 'graph', kind: 'server-error' });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await domains()).status);
    expect(statuses).toEqual([503, 503, 504, 500, 200]);
    expect(sim.scenario.faults()).toEqual([]);
  });

  it('GIVEN a match THEN only matching requests (path text, or Exchange cmdlet) take the fault', async () => {
    sim.scenario.injectFault({ service: 'exchange', kind: 'server-error', match: 'Get-QuarantineMessage' });
    expect((await invoke(sim, exchangeToken, 'Get-AcceptedDomain', {})).status).toBe(200);
    expect((await quarantine()).status).toBe(500);
    sim.scenario.injectFault({ service: 'graph', kind: 'server-error', match: '/security/' });
    expect((await domains()).status).toBe(200);
    expect(sim.scenario.faults()).toHaveLength(1);
  });

  it('GIVEN Exchange-specific faults THEN concurrency plain text, transient ServerBusyException, missing-role NUL bytes', async () => {
    sim.scenario.injectFault({ service: 'exchange', kind: 'concurrency' });
    sim.scenario.injectFault({ service: 'exchange', kind: 'transient' });
    sim.scenario.injectFault({ service: 'exchange', kind: 'missing-role' });
    const concurrency = await quarantine();
    expect(concurrency.status).toBe(429);
    expect(concurrency.text).toBe(
      'You have reached the maximum number of concurrent requests per tenant. Please wait and try again later.',
    );
    const transient = await quarantine();
    expect(transient.status).toBe(400);
    expect(transient.json.error.message).toBe('Invalid Operation');
    expect(transient.json.error.innererror.internalexception.type).toMatch(/ServerBusyException$/);
    expect(transient.json.error.details[0].message).toMatch(/^\|[\w.]+ServerBusyException\|/);
    const missingRole = await quarantine();
    expect(missingRole.status).toBe(403);
    expect(missingRole.bytes.length).toBeGreaterThan(0);
    expect(missingRole.bytes.every((b) => b === 0)).toBe(true);
  });

  it('GIVEN an unauthorized fault THEN 401 even with a good token', async () => {
    sim.scenario.injectFault({ service: 'graph', kind: 'unauthorized' });
    expect((await domains()).status).toBe(401);
    expect((await domains()).status).toBe(200);
  });

  it('GIVEN a timeout fault THEN the request never answers (the client times out), and is logged with status 0', async () => {
    sim.scenario.injectFault({ service: 'exchange', kind: 'timeout' });
    await expect(
      fetch(`${sim.urls.exchange}/adminapi/beta/${sim.tenantId}/InvokeCommand`, {
        method: 'POST',
        headers: { ...bearer(exchangeToken), 'content-type': 'application/json' },
        body: JSON.stringify({ CmdletInput: { CmdletName: 'Get-QuarantineMessage', Parameters: {} } }),
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow();
    expect(sim.scenario.requests('exchange')[0]).toMatchObject({
      status: 0,
      cmdlet: 'Get-QuarantineMessage',
    });
    expect((await quarantine()).status).toBe(200);
  });

  it('GIVEN a reset fault THEN the connection is destroyed', async () => {
    sim.scenario.injectFault({ service: 'graph', kind: 'reset' });
    await expect(domains()).rejects.toThrow();
    expect((await domains()).status).toBe(200);
  });

  it('GIVEN a login fault THEN the token endpoint fails once', async () => {
    sim.scenario.injectFault({ service: 'login', kind: 'unavailable', match: '/token' });
    const form = new URLSearchParams({
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
      scope: `${sim.urls.graph}/.default`,
      grant_type: 'client_credentials',
    }).toString();
    const post = () =>
      call(`${sim.urls.login}/${sim.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
    expect((await post()).status).toBe(503);
    expect((await post()).status).toBe(200);
  });

  it('GIVEN requests THEN each is logged with service, path, query, body, status, time and whether it carried auth', async () => {
    await call(`${sim.urls.graph}/beta/security/auditLog/queries?x=1`, { headers: bearer(graphToken) });
    await call(`${sim.urls.graph}/v1.0/nothing-here`);
    const log = sim.scenario.requests('graph');
    expect(log).toEqual([
      {
        service: 'graph',
        method: 'GET',
        path: '/beta/security/auditLog/queries',
        query: { x: '1' },
        body: undefined,
        status: 200,
        at: '2026-03-02T12:00:00.000Z',
        authorized: true,
      },
      expect.objectContaining({ path: '/v1.0/nothing-here', status: 404, authorized: false }),
    ]);
    expect(sim.scenario.requests('exchange')).toEqual([]);
    sim.scenario.clearRequests();
    expect(sim.scenario.requests()).toEqual([]);
  });

  it('GIVEN a bad fault spec THEN it is refused', () => {
    expect(() => sim.scenario.injectFault({ service: 'nope' as 'graph', kind: 'throttle' })).toThrow(
      /service/,
    );
    expect(() => sim.scenario.injectFault({ service: 'graph', kind: 'nope' as 'throttle' })).toThrow(/kind/);
  });
});
