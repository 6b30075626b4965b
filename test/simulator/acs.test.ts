/**
 * The ACS Email emulation, driven by the real `EmailClient` over https (run with NODE_EXTRA_CA_CERTS set to
 * .local/certs/simulator-cert.pem, as `npm test` does).
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { EmailClient, type EmailMessage } from '@azure/communication-email';
import type { RestError } from '@azure/core-rest-pipeline';
import { ManualClock, MINUTE } from '../../lib/core/clock';
import { ACS_ACCESS_KEY_DEFAULT, createAcsService, type AcsScenario } from '../../lib/simulator/acs';
import type { IssuedToken, Outbox, SimRequest, TokenVerifier } from '../../lib/simulator/contract';
import { createOutbox } from '../../lib/simulator/outbox';
import { serveRoutes, type ServedRoutes } from '../support/serve-routes';

const SENDER = 'DoNotReply@0f3c9a2e-1111-4222-8333-444455556666.azurecomm.net';
const ACS_TOKEN = 'acs-token';
const GRAPH_TOKEN = 'graph-token';

/** Knows two tokens: one issued for ACS, one for Graph. */
const fakeTokens: TokenVerifier = {
  verify(req: SimRequest): IssuedToken | undefined {
    const token = /^Bearer (.+)$/.exec(req.headers['authorization'] ?? '')?.[1];
    const base = { clientId: 'app', tenantId: 'tenant', expiresAt: new Date(Date.now() + 3_600_000) };
    if (token === ACS_TOKEN) return { ...base, audience: 'acs' };
    if (token === GRAPH_TOKEN) return { ...base, audience: 'graph' };
    return undefined;
  },
};

function credential(token: string, scopes: string[][] = []): TokenCredential {
  return {
    getToken: async (scope): Promise<AccessToken> => {
      scopes.push(Array.isArray(scope) ? scope : [scope]);
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

function message(overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    senderAddress: SENDER,
    content: { subject: 'Your message was released', plainText: 'Hello', html: '<p>Hello</p>' },
    recipients: { to: [{ address: 'rob@contoso.com', displayName: 'Rob' }] },
    ...overrides,
  };
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { error?: { code: string; message: string }; id?: string; status?: string };
}

function raw(method: string, url: string, headers: Record<string, string>, body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: text ? JSON.parse(text) : {},
        });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Signs as the SDK's access-key policy does, with a date of our choosing. */
function hmacHeaders(
  method: string,
  url: string,
  body: string,
  key: string,
  date: Date,
): Record<string, string> {
  const u = new URL(url);
  const hash = createHash('sha256').update(body).digest('base64');
  const utc = date.toUTCString();
  const query = u.searchParams.toString();
  const toSign = `${method}\n${query ? `${u.pathname}?${query}` : u.pathname}\n${utc};${u.host};${hash}`;
  const signature = createHmac('sha256', Buffer.from(key, 'base64')).update(toSign).digest('base64');
  return {
    'x-ms-date': utc,
    'x-ms-content-sha256': hash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    'content-type': 'application/json',
  };
}

async function rejection(promise: Promise<unknown>): Promise<RestError> {
  try {
    await promise;
  } catch (error) {
    return error as RestError;
  }
  throw new Error('expected the call to fail');
}

describe('ACS Email emulation', () => {
  let clock: ManualClock;
  let outbox: Outbox;
  let scenario: AcsScenario;
  let server: ServedRoutes;
  let outboxDir: string;

  const connectionString = (key = ACS_ACCESS_KEY_DEFAULT) => `endpoint=${server.origin}/;accesskey=${key}`;
  /** No SDK retries: a 429 or 500 must reach the test, not be retried after Retry-After. */
  const keyClient = (key?: string) =>
    new EmailClient(connectionString(key), { retryOptions: { maxRetries: 0 } });
  const bearerClient = (token = ACS_TOKEN, scopes?: string[][]) =>
    new EmailClient(server.origin, credential(token, scopes), { retryOptions: { maxRetries: 0 } });

  beforeEach(async () => {
    // The SDK signs with the real time, so the service clock starts there (15 minutes of skew are allowed).
    clock = new ManualClock(new Date());
    outboxDir = mkdtempSync(path.join(tmpdir(), 'acs-outbox-'));
    outbox = createOutbox({ clock, directory: outboxDir });
    const service = createAcsService(
      { clock, tenantId: 'tenant', tokens: fakeTokens, outbox },
      { accessKey: ACS_ACCESS_KEY_DEFAULT, senderAddresses: [SENDER] },
    );
    scenario = service.scenario;
    server = await serveRoutes(service.routes);
  });

  afterEach(async () => {
    await server.close();
    rmSync(outboxDir, { recursive: true, force: true });
  });

  describe('authentication', () => {
    it('GIVEN a connection string with the access key WHEN an email is sent THEN it is accepted, captured and succeeds', async () => {
      const poller = await keyClient().beginSend(
        message({
          recipients: {
            to: [{ address: 'rob@contoso.com', displayName: 'Rob' }],
            cc: [{ address: 'cc@contoso.com' }],
            bcc: [{ address: 'bcc@contoso.com' }],
          },
          replyTo: [{ address: 'helpdesk@contoso.com' }],
          headers: { 'X-QRN-Notification': 'n-1' },
        }),
      );
      const result = await poller.pollUntilDone();
      expect(result.status).toBe('Succeeded');

      const [captured] = outbox.list();
      expect(outbox.list()).toHaveLength(1);
      expect(captured).toMatchObject({
        channel: 'acs',
        operationId: result.id,
        from: SENDER,
        to: [{ address: 'rob@contoso.com', displayName: 'Rob' }],
        cc: [{ address: 'cc@contoso.com' }],
        bcc: [{ address: 'bcc@contoso.com' }],
        replyTo: [{ address: 'helpdesk@contoso.com' }],
        subject: 'Your message was released',
        plainText: 'Hello',
        html: '<p>Hello</p>',
        headers: { 'X-QRN-Notification': 'n-1' },
      });
      expect(existsSync(captured.emlPath!)).toBe(true);
      const send = server.requests[0];
      expect(send.url.pathname).toBe('/emails:send');
      expect(send.url.searchParams.get('api-version')).toBe('2025-09-01');
      expect(send.headers['authorization']).toMatch(
        /^HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&/,
      );
    });

    it('GIVEN the wrong access key WHEN an email is sent THEN the service answers 401 Denied and sends nothing', async () => {
      const wrongKey = Buffer.from('not the simulator key').toString('base64');
      const error = await rejection(keyClient(wrongKey).beginSend(message()));
      expect(error.statusCode).toBe(401);
      expect(error.code).toBe('Denied');
      expect(outbox.list()).toHaveLength(0);
    });

    it('GIVEN no Authorization header WHEN an email is sent THEN the service answers 401 with an ACS error body', async () => {
      const response = await raw(
        'POST',
        `${server.origin}/emails:send?api-version=2025-09-01`,
        { 'content-type': 'application/json' },
        JSON.stringify(message()),
      );
      expect(response.status).toBe(401);
      expect(response.body.error).toEqual({ code: 'Denied', message: expect.stringContaining('Denied') });
      expect(outbox.list()).toHaveLength(0);
    });

    it('GIVEN a signature dated more than 15 minutes from the service clock WHEN sent THEN 401', async () => {
      const url = `${server.origin}/emails:send?api-version=2025-09-01`;
      const body = JSON.stringify(message());
      const stale = new Date(clock.now().getTime() - 16 * MINUTE);
      const response = await raw(
        'POST',
        url,
        hmacHeaders('POST', url, body, ACS_ACCESS_KEY_DEFAULT, stale),
        body,
      );
      expect(response.status).toBe(401);
      expect(response.body.error?.message).toMatch(/15 minutes/);

      const fresh = new Date(clock.now().getTime() - 14 * MINUTE);
      const ok = await raw('POST', url, hmacHeaders('POST', url, body, ACS_ACCESS_KEY_DEFAULT, fresh), body);
      expect(ok.status).toBe(202);
    });

    it('GIVEN a body that differs from the signed content hash WHEN sent THEN 401', async () => {
      const url = `${server.origin}/emails:send?api-version=2025-09-01`;
      const signed = JSON.stringify(message());
      const sent = JSON.stringify(message({ recipients: { to: [{ address: 'someone-else@example.net' }] } }));
      const headers = hmacHeaders('POST', url, signed, ACS_ACCESS_KEY_DEFAULT, clock.now());
      const response = await raw('POST', url, headers, sent);
      expect(response.status).toBe(401);
      expect(response.body.error?.message).toMatch(/x-ms-content-sha256/);
    });

    it('GIVEN a bearer token for ACS WHEN an email is sent THEN it is accepted, and the SDK asked for the ACS scope', async () => {
      const scopes: string[][] = [];
      const poller = await bearerClient(ACS_TOKEN, scopes).beginSend(message());
      expect((await poller.pollUntilDone()).status).toBe('Succeeded');
      expect(outbox.list()).toHaveLength(1);
      expect(scopes[0]).toEqual(['https://communication.azure.com//.default']);
      expect(server.requests[0].headers['authorization']).toBe(`Bearer ${ACS_TOKEN}`);
    });

    it('GIVEN a bearer token for another service WHEN an email is sent THEN 401', async () => {
      const error = await rejection(bearerClient(GRAPH_TOKEN).beginSend(message()));
      expect(error.statusCode).toBe(401);
      expect(outbox.list()).toHaveLength(0);
    });
  });

  describe('the operation', () => {
    it('GIVEN a send WHEN accepted THEN 202 with Operation-Location and retry-after, body Running', async () => {
      const statuses: { status: number; headers: Record<string, string>; body: unknown }[] = [];
      const poller = await keyClient().beginSend(message(), {
        onResponse: (response) =>
          statuses.push({
            status: response.status,
            headers: response.headers.toJSON(),
            body: response.parsedBody,
          }),
      });
      const accepted = statuses[0];
      expect(accepted.status).toBe(202);
      const id = (accepted.body as { id: string }).id;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(accepted.body).toEqual({ id, status: 'Running' });
      expect(accepted.headers['operation-location']).toBe(
        `${server.origin}/emails/operations/${id}?api-version=2025-09-01`,
      );
      expect(Number(accepted.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(accepted.headers['retry-after'])).toBeLessThanOrEqual(1);
      // beginSend polled once: still Running, then the next poll finds it Succeeded.
      expect(poller.getOperationState().status).toBe('running');
      expect(scenario.operations()).toEqual([{ id, status: 'Running', recipients: ['rob@contoso.com'] }]);
      expect((await poller.pollUntilDone()).status).toBe('Succeeded');
      expect(server.requests.filter((r) => r.method === 'GET').every((r) => r.headers['authorization'])).toBe(
        true,
      );
    });

    it('GIVEN an accepted send WHEN a second has passed on the service clock THEN its status is Succeeded', async () => {
      const url = `${server.origin}/emails:send?api-version=2025-09-01`;
      const body = JSON.stringify(message());
      const accepted = await raw(
        'POST',
        url,
        hmacHeaders('POST', url, body, ACS_ACCESS_KEY_DEFAULT, clock.now()),
        body,
      );
      const location = String(accepted.headers['operation-location']);
      const auth = { authorization: `Bearer ${ACS_TOKEN}` };
      const running = await raw('GET', location, auth);
      expect(running.body).toEqual({ id: accepted.body.id, status: 'Running' });
      expect(running.headers['retry-after']).toBe('1');
      clock.advance(1000);
      expect(scenario.operations()[0].status).toBe('Succeeded');
      const done = await raw('GET', location, auth);
      expect(done.status).toBe(200);
      expect(done.body).toEqual({ id: accepted.body.id, status: 'Succeeded' });
    });

    it('GIVEN an id never accepted WHEN its operation is read THEN 404 NotFound', async () => {
      const response = await raw(
        'GET',
        `${server.origin}/emails/operations/${randomUUID()}?api-version=2025-09-01`,
        { authorization: `Bearer ${ACS_TOKEN}` },
      );
      expect(response.status).toBe(404);
      expect(response.body.error?.code).toBe('NotFound');
    });

    it('GIVEN an operation id WHEN passed to beginSend THEN it is the operation id, and a reused id is sent again', async () => {
      const operationId = randomUUID();
      const client = keyClient();
      const first = await (await client.beginSend(message(), { operationId })).pollUntilDone();
      expect(first.id).toBe(operationId);
      expect(server.requests[0].headers['operation-id']).toBe(operationId);
      const second = await (await client.beginSend(message(), { operationId })).pollUntilDone();
      expect(second.id).toBe(operationId);
      expect(outbox.list().map((e) => e.operationId)).toEqual([operationId, operationId]);
      expect(scenario.operations().map((o) => o.id)).toEqual([operationId, operationId]);
    });
  });

  describe('limits', () => {
    it('GIVEN 5 sends in a minute WHEN a sixth is sent THEN 429 with Retry-After, not captured; a minute later it goes', async () => {
      const client = keyClient();
      for (let i = 0; i < 5; i++) {
        await client.beginSend(message());
        clock.advance(1000);
      }
      const error = await rejection(client.beginSend(message()));
      expect(error.statusCode).toBe(429);
      // The first send (5 s ago) leaves the one-minute window in 55 s.
      expect(error.response?.headers.get('retry-after')).toBe('55');
      expect(error.message).toMatch(/5 emails per minute/);
      expect(outbox.list()).toHaveLength(5);
      clock.advance(55_000);
      await client.beginSend(message());
      expect(outbox.list()).toHaveLength(6);
    });

    it('GIVEN 10 sends in an hour WHEN an eleventh is sent THEN 429 until the hour has passed', async () => {
      const client = bearerClient();
      for (let i = 0; i < 10; i++) {
        await client.beginSend(message());
        clock.advance(15_000); // 4 per minute: under the minute limit
      }
      const error = await rejection(client.beginSend(message()));
      expect(error.statusCode).toBe(429);
      expect(error.message).toMatch(/10 emails per hour/);
      // The first send was 150 s ago: it leaves the hour window in 3450 s.
      expect(error.response?.headers.get('retry-after')).toBe('3450');
      expect(outbox.list()).toHaveLength(10);
      clock.advance(3_450_000);
      await client.beginSend(message());
      expect(outbox.list()).toHaveLength(11);
    });

    it('GIVEN raised limits WHEN many are sent THEN none is throttled; reset restores the defaults', async () => {
      scenario.setLimits({ perMinute: 30, perHour: 100 });
      const client = bearerClient();
      for (let i = 0; i < 12; i++) await client.beginSend(message());
      expect(outbox.list()).toHaveLength(12);
      scenario.reset();
      expect(scenario.operations()).toEqual([]);
      for (let i = 0; i < 5; i++) await client.beginSend(message());
      expect((await rejection(client.beginSend(message()))).statusCode).toBe(429);
    });
  });

  describe('validation', () => {
    const post = (body: string) =>
      raw(
        'POST',
        `${server.origin}/emails:send?api-version=2025-09-01`,
        { authorization: `Bearer ${ACS_TOKEN}`, 'content-type': 'application/json' },
        body,
      );

    it('GIVEN malformed JSON THEN 400 BadRequest', async () => {
      const response = await post('{"senderAddress": ');
      expect(response.status).toBe(400);
      expect(response.body.error?.code).toBe('BadRequest');
    });

    it.each([
      ['no senderAddress', { ...message(), senderAddress: undefined }, /senderAddress/],
      ['no subject', { ...message(), content: { plainText: 'x' } }, /subject/],
      ['no body', { ...message(), content: { subject: 's' } }, /plainText or html/],
      ['no recipient', { ...message(), recipients: { to: [] } }, /recipient/],
      [
        'a malformed recipient',
        { ...message(), recipients: { to: [{ address: 'not-an-address' }] } },
        /not-an-address/,
      ],
    ])('GIVEN %s THEN 400 naming the problem', async (_name, body, reason) => {
      const response = await post(JSON.stringify(body));
      expect(response.status).toBe(400);
      expect(response.body.error?.message).toMatch(reason);
      expect(outbox.list()).toHaveLength(0);
    });

    it('GIVEN a sender address the linked domain does not accept THEN 400 naming it', async () => {
      const error = await rejection(keyClient().beginSend(message({ senderAddress: 'ceo@contoso.com' })));
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('DomainNotLinked');
      expect(error.message).toContain('ceo@contoso.com');
      scenario.setSenderAddresses(['ceo@contoso.com']);
      await keyClient().beginSend(message({ senderAddress: 'CEO@contoso.com' }));
      expect(outbox.list()).toHaveLength(1);
    });

    it('GIVEN 51 recipients across to, cc and bcc THEN 400; 50 are accepted', async () => {
      const addresses = (n: number, prefix: string) =>
        Array.from({ length: n }, (_, i) => ({ address: `${prefix}${i}@contoso.com` }));
      const error = await rejection(
        keyClient().beginSend(
          message({
            recipients: { to: addresses(20, 'to'), cc: addresses(20, 'cc'), bcc: addresses(11, 'bcc') },
          }),
        ),
      );
      expect(error.statusCode).toBe(400);
      expect(error.message).toMatch(/51 recipients/);
      await keyClient().beginSend(
        message({
          recipients: { to: addresses(20, 'to'), cc: addresses(20, 'cc'), bcc: addresses(10, 'bcc') },
        }),
      );
      expect(outbox.list()[0].bcc).toHaveLength(10);
    });

    it('GIVEN an email over 10 MB THEN it is refused as too large', async () => {
      const big = JSON.stringify(
        message({ content: { subject: 's', plainText: 'x'.repeat(10 * 1024 * 1024) } }),
      );
      const response = await post(big);
      expect(response.status).toBe(413);
      expect(outbox.list()).toHaveLength(0);
    });

    it('GIVEN an unsupported api-version THEN 400', async () => {
      const response = await raw(
        'GET',
        `${server.origin}/emails/operations/${randomUUID()}?api-version=1999-01-01`,
        {
          authorization: `Bearer ${ACS_TOKEN}`,
        },
      );
      expect(response.status).toBe(400);
      expect(response.body.error?.code).toBe('UnsupportedApiVersion');
    });
  });

  describe('failures', () => {
    it('GIVEN failNext(500) WHEN an email is sent THEN 500, nothing captured, its id unknown; the next send goes', async () => {
      scenario.failNext(500);
      const operationId = randomUUID();
      const error = await rejection(keyClient().beginSend(message(), { operationId }));
      expect(error.statusCode).toBe(500);
      expect(outbox.list()).toHaveLength(0);
      const lookup = await raw(
        'GET',
        `${server.origin}/emails/operations/${operationId}?api-version=2025-09-01`,
        {
          authorization: `Bearer ${ACS_TOKEN}`,
        },
      );
      expect(lookup.status).toBe(404);
      await keyClient().beginSend(message(), { operationId });
      expect(outbox.list()).toHaveLength(1);
    });

    it('GIVEN failNext(202) WHEN an email is sent THEN it is accepted but the operation fails and nothing is captured', async () => {
      scenario.failNext(202);
      const poller = await keyClient().beginSend(message());
      const error = await rejection(poller.pollUntilDone());
      expect(String((error as Error).message)).toMatch(/could not be sent/);
      expect(scenario.operations()[0].status).toBe('Failed');
      expect(outbox.list()).toHaveLength(0);
    });

    it('GIVEN failAfterAccept suppressed WHEN an email is sent THEN it is accepted, then Failed with a suppressed-recipient error', async () => {
      scenario.setQuirks({ failAfterAccept: 'suppressed' });
      const poller = await keyClient().beginSend(message());
      const error = await rejection(poller.pollUntilDone());
      expect(String((error as Error).message)).toMatch(/suppressed/);
      expect(outbox.list()).toHaveLength(0);
    });

    it('GIVEN reusedIdAnswersEarlier WHEN a failed operation id is sent again THEN the earlier failed operation answers and nothing is sent', async () => {
      scenario.setQuirks({ reusedIdAnswersEarlier: true });
      scenario.failNext(202);
      const operationId = '0b7f6a1e-4c2d-4e8f-9a1b-2c3d4e5f6a7b';
      await rejection((await keyClient().beginSend(message(), { operationId })).pollUntilDone());
      const again = await rejection(
        keyClient()
          .beginSend(message(), { operationId })
          .then((p) => p.pollUntilDone()),
      );
      expect(String((again as Error).message)).toMatch(/could not be sent/);
      expect(scenario.operations()).toHaveLength(1);
      expect(outbox.list()).toHaveLength(0);
    });
  });
});
