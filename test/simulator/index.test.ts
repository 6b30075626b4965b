import { EmailClient } from '@azure/communication-email';
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createPipelineFromOptions,
  createPipelineRequest,
} from '@azure/core-rest-pipeline';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { DAY, HOUR, ManualClock, OffsetClock } from '../../lib/core/clock';
import type { Simulator } from '../../lib/simulator';
import { ensureCertificate } from '../../lib/simulator/certificate';
import { fixtureJson as fixture } from '../support/fixtures';
import { call, credentialFor, invoke, startTestSimulator, tokenFor } from '../support/simulator';

const quarantinePage = fixture('exchange/get-quarantinemessage.page.json');

describe('the simulator as a whole', () => {
  describe('certificate', () => {
    it('GIVEN an empty folder THEN a 10-year sha256 certificate for localhost and 127.0.0.1, reused afterwards', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'sim-cert-'));
      try {
        const first = await ensureCertificate(dir);
        expect(first.certPath).toBe(path.join(dir, 'simulator-cert.pem'));
        expect(readFileSync(first.certPath, 'utf8')).toBe(first.cert);
        const x509 = new X509Certificate(first.cert);
        expect(x509.subjectAltName).toMatch(/DNS:localhost/);
        expect(x509.subjectAltName).toMatch(/IP Address:127\.0\.0\.1/);
        const years = (Date.parse(x509.validTo) - Date.parse(x509.validFrom)) / (365 * DAY);
        expect(years).toBeGreaterThanOrEqual(9.99);
        expect(x509.checkPrivateKey(createPrivateKey(first.key))).toBe(true);
        const again = await ensureCertificate(dir);
        expect(again.cert).toBe(first.cert);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('start, ports and real SDK clients', () => {
    let sim: Simulator;
    let outboxDir: string;

    beforeAll(async () => {
      outboxDir = mkdtempSync(path.join(tmpdir(), 'sim-outbox-'));
      sim = await startTestSimulator({ outboxDir });
    });
    afterAll(async () => {
      await sim.close();
      rmSync(outboxDir, { recursive: true, force: true });
    });

    it('GIVEN defaults THEN five distinct loopback https ports and the documented identity', () => {
      const ports = Object.values(sim.urls).map((u) => new URL(u).port);
      expect(new Set(ports).size).toBe(5);
      for (const url of Object.values(sim.urls)) expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(sim.tenantId).toBe('00000000-0000-0000-0000-00000000c0de');
      expect(sim.acsEndpoint).toBe(`${sim.urls.acs}/`);
      expect(sim.acsConnectionString).toMatch(new RegExp(`^endpoint=${sim.urls.acs}/;accesskey=.+`));
      expect(sim.senderAddress).toMatch(/^DoNotReply@[0-9a-f-]{36}\.azurecomm\.net$/);
      expect(sim.clock).toBeInstanceOf(OffsetClock);
    });

    it('GIVEN @azure/core-rest-pipeline with the bearer policy THEN InvokeCommand works, and retries a throttle', async () => {
      const pipeline = createPipelineFromOptions({
        retryOptions: { maxRetries: 2, retryDelayInMs: 10, maxRetryDelayInMs: 20 },
      });
      pipeline.addPolicy(
        bearerTokenAuthenticationPolicy({
          credential: credentialFor(sim),
          scopes: `${sim.urls.exchange}/.default`,
        }),
      );
      sim.scenario.injectFault({ service: 'exchange', kind: 'throttle', retryAfterSeconds: 0 });
      sim.scenario.addMessage({ sender: 'megan.bowen@contoso.com', recipients: ['buyer@fabrikam.example'] });
      const request = createPipelineRequest({
        url: `${sim.urls.exchange}/adminapi/beta/${sim.tenantId}/InvokeCommand`,
        method: 'POST',
        body: JSON.stringify({
          CmdletInput: { CmdletName: 'Get-QuarantineMessage', Parameters: { PageSize: 1000, Page: 1 } },
        }),
      });
      request.headers.set('content-type', 'application/json');
      const response = await pipeline.sendRequest(createDefaultHttpClient(), request);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.bodyAsText ?? '{}').value).toHaveLength(1);
      expect(sim.scenario.requests('exchange').map((r) => r.status)).toEqual([429, 200]);
    });

    it('GIVEN the ACS EmailClient from the connection string THEN the email is captured in the outbox and as .eml', async () => {
      const client = new EmailClient(sim.acsConnectionString);
      const poller = await client.beginSend({
        senderAddress: sim.senderAddress,
        content: { subject: 'Released', plainText: 'Your message was released.' },
        recipients: { to: [{ address: 'megan.bowen@contoso.com' }] },
      });
      const result = await poller.pollUntilDone();
      expect(result.status).toBe('Succeeded');
      const acsEmails = sim.scenario.emails().filter((e) => e.channel === 'acs');
      expect(acsEmails).toHaveLength(1);
      expect(acsEmails[0]).toMatchObject({ from: sim.senderAddress, subject: 'Released' });
      expect(readdirSync(outboxDir).some((f) => f.endsWith('.eml'))).toBe(true);
      expect(sim.scenario.acs.operations()).toHaveLength(1);
    });
  });

  describe('fixed ports, seed and the scenario API over https', () => {
    let sim: Simulator;
    const clock = new ManualClock('2026-03-02T12:00:00Z');
    const api = (method: string, pathAndQuery: string, body?: unknown) =>
      call(`${sim.urls.scenario}${pathAndQuery}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    beforeAll(async () => {
      // Find a free port first, then ask for it explicitly.
      const probe = await startTestSimulator();
      const port = Number(new URL(probe.urls.scenario).port);
      await probe.close();
      sim = await startTestSimulator({
        clock,
        seed: 'demo',
        ports: { scenario: port },
        tokenLifetimeMs: 30 * DAY,
      });
      expect(sim.urls.scenario).toBe(`https://127.0.0.1:${port}`);
    });
    afterAll(() => sim.close());

    it('GIVEN the demo seed THEN the fixture situations, one admin release whose records are already visible', async () => {
      const rows = sim.scenario.messages();
      expect(rows).toHaveLength(7);
      for (const row of rows) expect(Object.keys(row)).toEqual(Object.keys(quarantinePage.value[0]));
      const released = rows.filter((r) => r.ReleaseStatus === 'RELEASED');
      expect(released.map((r) => r.RecipientAddress)).toEqual([
        ['buyer@fabrikam.example'],
        ['ap@fabrikam.example'],
        ['patient.records@northwind.example'],
        ['einkauf@fabrikam.example'],
      ]);
      // The DLP message was released by an app through the admin API: not Microsoft's own release.
      expect(released[2]).toMatchObject({
        ReleasedBy: [expect.stringMatching(/^SystemMailbox\{[0-9a-f-]+\}@contoso\.com$/)],
        SystemReleased: false,
      });
      expect(rows.find((r) => r.SenderAddress === '')).toMatchObject({
        Direction: 'Outbound',
        RecipientAddress: [],
      });
      expect(rows.find((r) => r.SenderAddress === 'ceo@contoso.com')).toMatchObject({
        Direction: 'Inbound',
        QuarantineTypes: 'Phish',
      });
      expect(rows.find((r) => String(r.Subject).includes('<b>'))).toMatchObject({
        QuarantineTypes: 'DataLossPrevention',
        Direction: 'Outbound',
      });
      // The price list to two recipients and the German offer to one, visible; the DLP message's not yet.
      const records = sim.scenario.auditRecords();
      expect(records).toHaveLength(4);
      const visibleNow = records.filter((r) => Date.parse(r.visibleAt) <= clock.now().getTime());
      expect(visibleNow).toHaveLength(3);
    });

    it('GIVEN the https mirror THEN the Exchange and ACS switches are flipped over JSON, and a bad value is refused', async () => {
      const exchange = await api('POST', '/exchange/quirks', { serverPageSize: 7, honourPrefer: false });
      expect(exchange.status).toBe(200);
      expect(exchange.json).toMatchObject({ serverPageSize: 7, honourPrefer: false });
      expect((await api('GET', '/exchange/quirks')).json).toMatchObject({ serverPageSize: 7 });
      expect(
        (await api('POST', '/exchange/quirks', { serverPageSize: 0, honourPrefer: true })).json,
      ).not.toHaveProperty('serverPageSize');
      expect((await api('POST', '/exchange/quirks', { serverPageSize: -1 })).status).toBe(400);
      const acs = await api('POST', '/acs/quirks', {
        failAfterAccept: 'suppressed',
        reusedIdAnswersEarlier: true,
      });
      expect(acs.json).toMatchObject({ failAfterAccept: 'suppressed', reusedIdAnswersEarlier: true });
      expect((await api('POST', '/acs/quirks', { failAfterAccept: 'sometimes' })).status).toBe(400);
      sim.scenario.acs.setQuirks({ failAfterAccept: 'none', reusedIdAnswersEarlier: false });
    });

    it('GIVEN the https mirror THEN messages, releases, clock, permissions, faults, requests and emails are driven over JSON', async () => {
      const info = await api('GET', '/');
      expect(info.json).toMatchObject({ urls: sim.urls, tenantId: sim.tenantId, clientId: sim.clientId });

      const added = await api('POST', '/messages', {
        sender: 'megan.bowen@contoso.com',
        recipients: ['a@fabrikam.example', 'b@fabrikam.example'],
        subject: 'over https',
        type: 'DataLossPrevention',
      });
      expect(added.status).toBe(201);
      expect(added.json.identities).toHaveLength(2);
      expect((await api('GET', '/messages')).json.value).toHaveLength(9);

      const release = await api('POST', '/releases', {
        networkMessageId: added.json.networkMessageId,
        recipients: ['a@fabrikam.example'],
        by: 'system',
      });
      expect(release.status).toBe(201);
      expect(release.json.records).toHaveLength(1);
      expect(release.json.records[0]).toMatchObject({
        userPrincipalName: 'System release',
        auditData: { ReleaseTo: 'a@fabrikam.example' },
      });
      expect((await api('POST', '/releases', { networkMessageId: 'nope' })).status).toBe(400);

      const raw = await api('POST', '/messages/raw', {
        ...quarantinePage.value[3],
        Identity: 'deadbeef-0000-4000-8000-000000000000\\1',
      });
      expect(raw.status).toBe(201);
      expect((await api('DELETE', '/messages/deadbeef-0000-4000-8000-000000000000')).json).toEqual({
        deleted: 1,
      });
      expect((await api('POST', '/audit-records', { record: { id: 'malformed' } })).status).toBe(201);
      expect(
        (await api('GET', '/audit-records')).json.value.map((r: { record: { id: string } }) => r.record.id),
      ).toContain('malformed');

      expect((await api('POST', '/clock/advance', { ms: HOUR })).json.now).toBe('2026-03-02T13:00:00.000Z');
      expect((await api('GET', '/clock')).json.now).toBe('2026-03-02T13:00:00.000Z');
      expect((await api('POST', '/audit-latency', { ms: 0 })).status).toBe(200);
      expect(
        (await api('POST', '/audit-queries/config', { notStartedMs: 0, runningMs: 0 })).json,
      ).toMatchObject({ notStartedMs: 0, runningMs: 0 });
      expect((await api('GET', '/audit-queries')).json.value).toEqual([]);

      expect((await api('POST', '/permissions', { securityReader: false })).json.securityReader).toBe(false);
      const token = await tokenFor(sim, 'exchange');
      expect((await invoke(sim, token, 'Get-QuarantineMessage', {})).status).toBe(403);
      await api('POST', '/permissions', { securityReader: true });

      expect((await api('POST', '/faults', { service: 'exchange', kind: 'server-error' })).status).toBe(201);
      expect((await api('GET', '/faults')).json.value).toHaveLength(1);
      expect((await api('DELETE', '/faults')).status).toBe(200);
      expect((await api('POST', '/faults', { service: 'scenario', kind: 'reset' })).status).toBe(400);

      await api('DELETE', '/requests');
      await invoke(sim, token, 'Get-AcceptedDomain', {});
      const requests = await api('GET', '/requests?service=exchange');
      expect(requests.json.value).toEqual([
        expect.objectContaining({ cmdlet: 'Get-AcceptedDomain', status: 200 }),
      ]);

      expect(
        (await api('POST', '/accepted-domains', { domains: ['contoso.com', { domainName: 'fabrikam.com' }] }))
          .json.value,
      ).toHaveLength(2);
      expect((await api('GET', '/emails')).json.value).toEqual([]);
      expect((await api('POST', '/acs/limits', { perMinute: 1, perHour: 2 })).status).toBe(200);
      expect((await api('GET', '/acs/operations')).json.value).toEqual([]);
      expect((await api('POST', '/acs/reset')).status).toBe(200);
      expect((await api('DELETE', '/messages')).status).toBe(200);
      expect((await api('GET', '/messages')).json.value).toEqual([]);
      expect((await api('GET', '/nowhere')).status).toBe(404);
      expect((await api('POST', '/messages', 'not an object')).status).toBe(400);
    });

    it('GIVEN a clock that cannot move THEN advanceClock says so', async () => {
      const fixed = await startTestSimulator({
        clock: { now: () => new Date(), sleep: async () => undefined },
      });
      try {
        expect(() => fixed.scenario.advanceClock(1000)).toThrow(/cannot be advanced/);
      } finally {
        await fixed.close();
      }
    });
  });
});
