import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { DAY, HOUR, MINUTE, ManualClock } from '../../lib/core/clock';
import type { Simulator } from '../../lib/simulator';
import { fixtureJson as fixture } from '../support/fixtures';
import { bearer, call, credentialFor, startTestSimulator, tokenFor } from '../support/simulator';

const created = fixture('graph/auditlog-query.created.json');
const page1 = fixture('graph/auditlog-records.page1.json');
const page2 = fixture('graph/auditlog-records.page2.json');

describe('simulated Microsoft Graph', () => {
  let sim: Simulator;
  let token: string;
  let client: Client;
  const clock = new ManualClock('2026-03-02T12:00:00Z');

  const newQuery = (version = 'beta', start = '2026-03-01T12:00:00Z', end = '2026-03-02T12:15:00Z') =>
    call(`${sim.urls.graph}/${version}/security/auditLog/queries`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({
        displayName: created.displayName,
        filterStartDateTime: start,
        filterEndDateTime: end,
        recordTypeFilters: ['quarantine'],
        operationFilters: ['QuarantineReleaseMessage'],
      }),
    });
  const getQuery = (id: string, version = 'beta') =>
    call(`${sim.urls.graph}/${version}/security/auditLog/queries/${id}`, { headers: bearer(token) });
  const allRecords = async (id: string, top = 2) => {
    const pages: Record<string, unknown>[][] = [];
    let next: string | undefined =
      `${sim.urls.graph}/beta/security/auditLog/queries/${id}/records?$top=${top}`;
    while (next) {
      const res = await call(next, { headers: bearer(token) });
      expect(res.status).toBe(200);
      pages.push(res.json.value);
      next = res.json['@odata.nextLink'];
    }
    return pages;
  };

  beforeAll(async () => {
    // Tokens outlive the day-long clock moves of these tests.
    sim = await startTestSimulator({ clock, tokenLifetimeMs: 365 * DAY });
    token = await tokenFor(sim, 'graph');
    client = Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(credentialFor(sim), {
        scopes: [`${sim.urls.graph}/.default`],
      }),
      baseUrl: sim.urls.graph,
      defaultVersion: 'beta',
      customHosts: new Set([new URL(sim.urls.graph).hostname]),
    });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    // Each test starts a day later, clear of the creation quotas of the one before.
    clock.advance(DAY + HOUR);
    sim.scenario.configureAuditQueries({
      notStartedMs: MINUTE,
      runningMs: MINUTE,
      failNext: 0,
      hang: false,
      recordLimit: 1_000_000,
      v1NotFound: false,
    });
    sim.scenario.setPermissions({ auditLogsQuery: true, domainRead: true, mailSend: true });
    sim.scenario.setAuditLatency(75 * MINUTE);
  });

  it('GIVEN a new query THEN 201 shaped like the fixture, and status advances notStarted -> running -> succeeded', async () => {
    const res = await newQuery();
    expect(res.status).toBe(201);
    const { id, '@odata.context': context, ...rest } = res.json;
    const { id: _id, '@odata.context': fixtureContext, ...fixtureRest } = created;
    expect(Object.keys(res.json)).toEqual(Object.keys(created));
    expect(rest).toEqual(fixtureRest);
    expect(context).toBe(fixtureContext.replace('https://graph.microsoft.com', sim.urls.graph));
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    expect((await getQuery(id)).json.status).toBe('notStarted');
    clock.advance(MINUTE);
    expect((await getQuery(id)).json.status).toBe('running');
    clock.advance(MINUTE);
    const done = await getQuery(id);
    expect(done.json).toMatchObject({ id, status: 'succeeded', isRecordCountLimitExceeded: false });

    const list = await call(`${sim.urls.graph}/beta/security/auditLog/queries`, { headers: bearer(token) });
    expect(list.json.value.map((q: { id: string }) => q.id)).toContain(id);
    expect(sim.scenario.auditQueries().find((q) => q.id === id)?.status).toBe('succeeded');
  });

  it('GIVEN the fixture records WHEN read in pages of 2 with nextLink THEN the fixture pages', async () => {
    clock.set('2026-03-02T14:00:00Z');
    for (const record of [...page1.value, ...page2.value])
      sim.scenario.addRawAuditRecord(record, '2026-03-02T13:00:00Z');
    const res = await newQuery();
    clock.advance(2 * MINUTE);
    const first = await call(
      `${sim.urls.graph}/beta/security/auditLog/queries/${res.json.id}/records?$top=2`,
      { headers: bearer(token) },
    );
    expect(first.status).toBe(200);
    expect(first.json.value).toEqual(page1.value);
    const next = new URL(first.json['@odata.nextLink']);
    expect(next.origin).toBe(sim.urls.graph);
    expect(next.searchParams.get('$skiptoken')).toBeTruthy();
    const second = await call(next.toString(), { headers: bearer(token) });
    expect(second.json.value).toEqual(page2.value);
    expect(second.json['@odata.nextLink']).toBeUndefined();
  });

  it('GIVEN releases THEN records are shaped like the fixture (crossed user fields, system release) and late ones wait', async () => {
    const now = clock.now().getTime();
    const m = sim.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example', 'ap@fabrikam.example'],
      receivedAt: new Date(now - 5 * HOUR),
    });
    const s = sim.scenario.addMessage({
      sender: 'news@offers.example',
      recipients: ['lidia.holloway@contoso.com'],
      type: 'Spam',
      receivedAt: new Date(now - 5 * HOUR),
    });
    const admin = sim.scenario.release({
      networkMessageId: m.networkMessageId,
      by: 'adele.vance@contoso.com',
      at: new Date(now - 2 * HOUR),
    });
    const system = sim.scenario.release({
      networkMessageId: s.networkMessageId,
      by: 'system',
      at: new Date(now - 30 * MINUTE),
    });
    expect(admin).toHaveLength(2);

    expect(Object.keys(admin[0])).toEqual(Object.keys(page1.value[0]));
    expect(Object.keys(admin[0].auditData as object)).toEqual(Object.keys(page1.value[0].auditData));
    expect(admin[0]).toMatchObject({
      userType: 'Admin',
      userPrincipalName: 'adele.vance@contoso.com',
      userId: (admin[0].auditData as { UserKey: string }).UserKey,
      auditData: {
        UserId: 'adele.vance@contoso.com',
        UserType: 2,
        RequestType: 2,
        RequestSource: 0,
        ReleaseTo: 'buyer@fabrikam.example',
        ResultStatus: 'Successful',
        NetworkMessageId: m.networkMessageId,
      },
    });
    expect(Object.keys(system[0])).toEqual(Object.keys(page2.value[0]));
    expect(Object.keys(system[0].auditData as object)).toEqual(Object.keys(page2.value[0].auditData));
    expect(system[0]).toMatchObject({
      userType: 'System',
      userId: 'Quarantine',
      userPrincipalName: 'System release',
      auditData: { UserType: 4, UserKey: 'Quarantine' },
    });

    const window = [new Date(now - 6 * HOUR).toISOString(), new Date(now).toISOString()] as const;
    // The system release happened 30 minutes ago: with 75 minutes of latency it is not in the log yet.
    const early = await newQuery('beta', ...window);
    clock.advance(2 * MINUTE);
    expect((await allRecords(early.json.id, 10)).flat().map((r) => r.id)).toEqual(admin.map((r) => r.id));
    // A later query over the same window finds it.
    clock.advance(HOUR);
    const late = await newQuery('beta', ...window);
    clock.advance(2 * MINUTE);
    expect((await allRecords(late.json.id, 10)).flat().map((r) => r.id)).toEqual(
      [...admin, ...system].map((r) => r.id),
    );
    // And the early query's result set stays what it was when it finished.
    expect((await allRecords(early.json.id, 10)).flat()).toHaveLength(2);
  });

  it('GIVEN filters THEN event time, record type (case-insensitive) and operation select records', async () => {
    const now = clock.now().getTime();
    const at = (ms: number) => new Date(now - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const visible = new Date(now - MINUTE);
    const base = page1.value[0];
    sim.scenario.addRawAuditRecord({ ...base, id: 'in', createdDateTime: at(3 * HOUR) }, visible);
    sim.scenario.addRawAuditRecord({ ...base, id: 'before', createdDateTime: at(10 * HOUR) }, visible);
    sim.scenario.addRawAuditRecord(
      { ...base, id: 'preview', operation: 'QuarantinePreviewMessage', createdDateTime: at(3 * HOUR) },
      visible,
    );
    sim.scenario.addRawAuditRecord(
      { ...base, id: 'other', auditLogRecordType: 'ExchangeAdmin', createdDateTime: at(3 * HOUR) },
      visible,
    );
    const q = await newQuery('beta', at(5 * HOUR), at(0));
    clock.advance(2 * MINUTE);
    expect((await allRecords(q.json.id, 10)).flat().map((r) => r.id)).toEqual(['in']);
  });

  it('GIVEN records above the record limit THEN isRecordCountLimitExceeded and the records are cut', async () => {
    const now = clock.now().getTime();
    for (let i = 0; i < 5; i++) {
      sim.scenario.addRawAuditRecord(
        {
          ...page1.value[0],
          id: `r${i}`,
          createdDateTime: new Date(now - (3 * HOUR - i * 1000)).toISOString(),
        },
        new Date(now - HOUR),
      );
    }
    sim.scenario.configureAuditQueries({ recordLimit: 3 });
    const q = await newQuery('beta', new Date(now - 6 * HOUR).toISOString(), new Date(now).toISOString());
    clock.advance(2 * MINUTE);
    expect((await getQuery(q.json.id)).json.isRecordCountLimitExceeded).toBe(true);
    expect((await allRecords(q.json.id, 2)).map((p) => p.length)).toEqual([2, 1]);
  });

  it('GIVEN records requested before success THEN 400; a failed query reports failed; a hung one stays running', async () => {
    sim.scenario.configureAuditQueries({ failNext: 1, hang: false });
    const failing = await newQuery();
    const early = await call(`${sim.urls.graph}/beta/security/auditLog/queries/${failing.json.id}/records`, {
      headers: bearer(token),
    });
    expect(early.status).toBe(400);
    clock.advance(2 * MINUTE);
    expect((await getQuery(failing.json.id)).json.status).toBe('failed');

    sim.scenario.configureAuditQueries({ hang: true });
    const hung = await newQuery();
    clock.advance(DAY);
    expect((await getQuery(hung.json.id)).json.status).toBe('running');
    sim.scenario.configureAuditQueries({ hang: false });
    expect((await getQuery(hung.json.id)).json.status).toBe('succeeded');
    expect((await getQuery('00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  it('GIVEN more than 5 creations in a minute, or 200 in a day, THEN 429 with Retry-After', async () => {
    for (let i = 0; i < 5; i++) expect((await newQuery()).status).toBe(201);
    const sixth = await newQuery();
    expect(sixth.status).toBe(429);
    expect(sixth.json.error.code).toBe('TooManyRequests');
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.advance(MINUTE);
    expect((await newQuery()).status).toBe(201);

    // 194 more spread over the day (6 already): the 201st in 24 h is refused.
    for (let i = 0; i < 194; i++) {
      clock.advance(MINUTE);
      expect((await newQuery()).status).toBe(201);
    }
    clock.advance(MINUTE);
    const over = await newQuery();
    expect(over.status).toBe(429);
    expect(over.json.error.message).toMatch(/daily quota/);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(60);
  });

  it('GIVEN the queries forgotten (the bench puts a tenant back between runs) THEN they are gone and the minute quota starts again', async () => {
    clock.advance(2 * MINUTE);
    for (let i = 0; i < 5; i++) expect((await newQuery()).status).toBe(201);
    expect((await newQuery()).status).toBe(429);
    const forgotten = await call(`${sim.urls.scenario}/audit-queries`, { method: 'DELETE' });
    expect(forgotten.status).toBe(200);
    expect(sim.scenario.auditQueries()).toEqual([]);
    expect((await newQuery()).status).toBe(201);
    expect(sim.scenario.auditQueries()).toHaveLength(1);
  });

  it('GIVEN a tenant where only beta works THEN v1.0 answers 404 and beta 201', async () => {
    expect((await newQuery('v1.0')).status).toBe(201);
    clock.advance(MINUTE);
    sim.scenario.configureAuditQueries({ v1NotFound: true });
    const v1 = await newQuery('v1.0');
    expect(v1.status).toBe(404);
    expect(v1.json.error.code).toBe('ResourceNotFound');
    expect((await newQuery('beta')).status).toBe(201);
    // domains and sendMail stay on v1.0.
    expect((await call(`${sim.urls.graph}/v1.0/domains`, { headers: bearer(token) })).status).toBe(200);
  });

  it('GIVEN a malformed body or filter date THEN 400 BadRequest', async () => {
    const post = (body: string) =>
      call(`${sim.urls.graph}/beta/security/auditLog/queries`, {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body,
      });
    expect((await post('{not json')).json.error.code).toBe('BadRequest');
    const badDate = await post(JSON.stringify({ filterStartDateTime: 'last tuesday' }));
    expect(badDate.status).toBe(400);
    expect(badDate.json.error.message).toMatch(/filterStartDateTime/);
  });

  it('GIVEN no AuditLogsQuery.Read.All THEN 403 Graph error JSON', async () => {
    sim.scenario.setPermissions({ auditLogsQuery: false });
    const res = await newQuery();
    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({
      code: 'Forbidden',
      message: expect.stringContaining('AuditLogsQuery.Read.All'),
    });
  });

  it('GIVEN the real Graph client THEN it sends the token, creates and reads a query, and lists domains', async () => {
    const query = await client.api('/security/auditLog/queries').post({
      displayName: 'via sdk',
      filterStartDateTime: new Date(clock.now().getTime() - DAY).toISOString(),
      filterEndDateTime: clock.now().toISOString(),
      recordTypeFilters: ['quarantine'],
    });
    expect(query.status).toBe('notStarted');
    clock.advance(2 * MINUTE);
    expect((await client.api(`/security/auditLog/queries/${query.id}`).get()).status).toBe('succeeded');
    const domains = await client.api('/domains').version('v1.0').get();
    expect(domains.value[0]).toMatchObject({ id: 'contoso.com', isVerified: true, isDefault: true });
    expect(sim.scenario.requests('graph').every((r) => r.authorized)).toBe(true);
  });

  it('GIVEN a JSON batch THEN each request is answered as on its own, matched by id, faults included; more than 20, a nested batch or no token are refused', async () => {
    const batch = (requests: unknown, auth = bearer(token)) =>
      call(`${sim.urls.graph}/v1.0/$batch`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ requests }),
      });
    const mailbox = (id: string, user: string) => ({
      id,
      method: 'GET',
      url: `/users/${user}/mailboxSettings`,
    });
    sim.scenario.clearRequests();
    sim.scenario.injectFault({
      service: 'graph',
      kind: 'throttle',
      retryAfterSeconds: 3,
      count: 1,
      match: 'throttled.user',
    });
    const res = await batch([
      mailbox('a', 'johanna.lorenz@contoso.com'),
      mailbox('b', 'nobody@contoso.com'),
      mailbox('c', 'throttled.user@contoso.com'),
      { id: 'd', method: 'GET', url: 'domains' },
    ]);
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(
      (
        res.json.responses as { id: string; status: number; headers: Record<string, string>; body: unknown }[]
      ).map((r) => [r.id, r]),
    );
    expect(byId.a).toMatchObject({ status: 200, body: { language: { locale: 'de-DE' } } });
    expect(byId.b).toMatchObject({ status: 404, body: { error: { code: 'ErrorInvalidUser' } } });
    expect(byId.c).toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
    expect(byId.d).toMatchObject({ status: 200, body: { value: expect.any(Array) } });
    // Logged as the batch and each request in it.
    expect(sim.scenario.requests('graph').map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /v1.0/users/johanna.lorenz@contoso.com/mailboxSettings 200',
      'GET /v1.0/users/nobody@contoso.com/mailboxSettings 404',
      'GET /v1.0/users/throttled.user@contoso.com/mailboxSettings 429',
      'GET /v1.0/domains 200',
      'POST /v1.0/$batch 200',
    ]);

    const many = Array.from({ length: 21 }, (_, i) => mailbox(String(i), 'johanna.lorenz@contoso.com'));
    expect((await batch(many)).status).toBe(400);
    expect((await batch([{ id: '1', method: 'POST', url: '/$batch' }])).status).toBe(400);
    expect((await batch([mailbox('1', 'x@contoso.com'), mailbox('1', 'y@contoso.com')])).status).toBe(400);
    expect((await batch([mailbox('1', 'johanna.lorenz@contoso.com')], {})).status).toBe(401);
    // A Graph without JSON batching (a scenario switch): 404 for the segment, nothing inside is asked.
    sim.scenario.setGraphQuirks({ batchRefused: true });
    try {
      sim.scenario.clearRequests();
      const refused = await batch([mailbox('1', 'johanna.lorenz@contoso.com')]);
      expect(refused.status).toBe(404);
      expect(sim.scenario.requests('graph').map((r) => r.path)).toEqual(['/v1.0/$batch']);
    } finally {
      sim.scenario.setGraphQuirks({ batchRefused: false });
    }
    expect(() => sim.scenario.setGraphQuirks({ batchRefused: 'yes' as unknown as boolean })).toThrow(
      'batchRefused must be true or false',
    );
  });

  it('GIVEN domains without Domain.Read.All THEN 403', async () => {
    sim.scenario.setPermissions({ domainRead: false });
    const res = await call(`${sim.urls.graph}/v1.0/domains`, { headers: bearer(token) });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('Authorization_RequestDenied');
  });

  it('GIVEN sendMail THEN 202 and the email lands in the outbox (channel graph); errors otherwise', async () => {
    sim.scenario.clearEmails();
    await client
      .api('/users/notifier@contoso.com/sendMail')
      .version('v1.0')
      .post({
        message: {
          subject: 'Your message was released',
          body: { contentType: 'HTML', content: '<p>Released</p>' },
          toRecipients: [{ emailAddress: { address: 'megan.bowen@contoso.com', name: 'Megan Bowen' } }],
        },
        saveToSentItems: false,
      });
    const [email] = sim.scenario.emails();
    expect(email).toMatchObject({
      channel: 'graph',
      from: 'notifier@contoso.com',
      to: [{ address: 'megan.bowen@contoso.com', displayName: 'Megan Bowen' }],
      subject: 'Your message was released',
      html: '<p>Released</p>',
    });

    const send = (mailbox: string, body: unknown) =>
      call(`${sim.urls.graph}/v1.0/users/${mailbox}/sendMail`, {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const good = {
      message: {
        subject: 's',
        body: { contentType: 'Text', content: 't' },
        toRecipients: [{ emailAddress: { address: 'a@contoso.com' } }],
      },
    };
    const accepted = await send('notifier@contoso.com', good);
    expect(accepted.status).toBe(202);
    expect(accepted.text).toBe('');
    expect((await send('someone@elsewhere.example', good)).status).toBe(404);
    expect(
      (await send('notifier@contoso.com', { message: { subject: 's', toRecipients: [] } })).json.error.code,
    ).toBe('ErrorInvalidRecipients');
    const withHeader = (name: string) => ({
      message: { ...good.message, internetMessageHeaders: [{ name, value: 'auto-generated' }] },
    });
    const refused = await send('notifier@contoso.com', withHeader('Auto-Submitted'));
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({
      code: 'InvalidInternetMessageHeader',
      message: "The internet message header name 'Auto-Submitted' should start with 'x-' or 'X-'.",
    });
    expect((await send('notifier@contoso.com', withHeader('X-Auto-Response-Suppress'))).status).toBe(202);
    sim.scenario.setPermissions({ mailSend: false });
    expect((await send('notifier@contoso.com', good)).status).toBe(403);
  });
});
