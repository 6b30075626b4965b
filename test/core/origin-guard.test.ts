import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { MINUTE } from '../../lib/core/clock';
import { MemoryLogger } from '../../lib/core/log';
import { assertOrigin, ForeignOriginError, originGuardPolicy } from '../../lib/core/origin-guard';
import { startWorld, type World } from '../support/world';
import { testCertificate } from '../support/simulator';

/** Another https service on loopback: the place a hostile URL points to. It records what reaches it. */
async function startDecoy() {
  const certificate = await testCertificate();
  const seen: { method?: string; url?: string; authorization?: string }[] = [];
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"value":[],"id":"x","status":"Succeeded"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `https://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('token safety: credentials go to the configured hosts only', () => {
  describe('the guard itself', () => {
    const allowed = 'https://graph.microsoft.com';
    it.each([
      ['another port on the same host', 'https://graph.microsoft.com:8443/v1.0/me'],
      ['another scheme', 'http://graph.microsoft.com/v1.0/me'],
      ['userinfo that looks like the host', 'https://graph.microsoft.com@evil.example/v1.0/me'],
      ['a look-alike subdomain', 'https://graph.microsoft.com.evil.example/v1.0/me'],
      ['another Microsoft Graph cloud', 'https://graph.microsoft.us/v1.0/me'],
      ['an unparsable URL', 'not a url'],
      ['a relative URL', '/v1.0/me'],
    ])('GIVEN %s THEN the request is refused and logged', (_name, url) => {
      const logger = new MemoryLogger();
      expect(() => assertOrigin('graph', allowed, url, logger)).toThrow(ForeignOriginError);
      expect(logger.text()).toMatch(/error Refused a request off the configured host/);
      expect(logger.text()).toContain(`allowedOrigin=${allowed}`);
    });

    it('GIVEN the configured origin (any path, any case of the host) THEN the request goes through', () => {
      expect(() => assertOrigin('graph', allowed, 'https://GRAPH.microsoft.com/beta/x?$top=1')).not.toThrow();
      expect(() => assertOrigin('graph', allowed, 'https://graph.microsoft.com:443/v1.0/x')).not.toThrow();
    });

    it('GIVEN a pipeline policy THEN a foreign request never reaches the next policy', async () => {
      const policy = originGuardPolicy('exchange', 'https://outlook.office365.com/adminapi');
      const next = jest.fn(async () => ({ status: 200 }) as PipelineResponse);
      const foreign = createPipelineRequest({ url: 'https://evil.example/adminapi/beta/x/InvokeCommand' });
      await expect(policy.sendRequest(foreign, next)).rejects.toThrow(ForeignOriginError);
      expect(next).not.toHaveBeenCalled();
      const own = createPipelineRequest({
        url: 'https://outlook.office365.com/adminapi/beta/x/InvokeCommand',
      });
      await expect(policy.sendRequest(own, next)).resolves.toMatchObject({ status: 200 });
    });
  });

  describe('against the simulator', () => {
    let world: World;
    let decoy: Awaited<ReturnType<typeof startDecoy>>;
    beforeEach(async () => {
      decoy = await startDecoy();
      world = await startWorld();
    });
    afterEach(async () => {
      await world?.close();
      await decoy?.close();
    });

    it('GIVEN an @odata.nextLink to another loopback port THEN the Graph client refuses it and the port receives nothing', async () => {
      // The Graph client's own customHosts check compares host names only: 127.0.0.1 on any port would match.
      await expect(
        world.app.graph.api(`${decoy.origin}/v1.0/security/auditLog/queries`).get(),
      ).rejects.toThrow(/Refused to send a graph request to https:\/\/127\.0\.0\.1:\d+/);
      expect(decoy.seen).toEqual([]);
      expect(world.logger.text()).toContain(`refusedOrigin=${decoy.origin}`);
    });

    it('GIVEN the audit records page 2 link points to another port THEN notify refuses it, reports the audit read failed, and the port receives nothing', async () => {
      const id = world.simulator.scenario.addMessage({
        sender: 'megan.bowen@contoso.com',
        recipients: ['buyer@fabrikam.example'],
        type: 'TransportRule',
      }).networkMessageId;
      world.simulator.scenario.release({ networkMessageId: id, by: 'adele.vance@contoso.com' });
      // 1001 records: the first page holds 1000 and links to the rest.
      for (let i = 0; i < 1000; i++) {
        world.simulator.scenario.addRawAuditRecord({
          id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          createdDateTime: world.clock.now().toISOString(),
          auditLogRecordType: 'Quarantine',
          operation: 'QuarantineReleaseMessage',
          auditData: { Operation: 'QuarantineReleaseMessage', RequestType: 1 },
        });
      }
      world.simulator.scenario.configureAuditQueries({ nextLinkOrigin: decoy.origin });
      world.clock.advance(3 * 60 * MINUTE);
      const summary = await world.app.runNotify();
      expect(summary.audit).toMatchObject({ state: 'failed', pages: 1 });
      expect(decoy.seen).toEqual([]);
      expect(world.logger.text()).toMatch(/refused an @odata.nextLink/);
    });

    it('GIVEN the page 2 link names the public Graph host while GRAPH_API_URL points elsewhere THEN it is read from the configured host, and only there', async () => {
      for (let i = 0; i < 1001; i++) {
        world.simulator.scenario.addRawAuditRecord({
          id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          createdDateTime: world.clock.now().toISOString(),
          auditLogRecordType: 'Quarantine',
          operation: 'QuarantineReleaseMessage',
          auditData: { Operation: 'QuarantineReleaseMessage', RequestType: 1 },
        });
      }
      world.simulator.scenario.configureAuditQueries({ nextLinkOrigin: 'https://graph.microsoft.com' });
      world.clock.advance(3 * 60 * MINUTE);
      const summary = await world.app.runNotify();
      expect(summary.audit).toMatchObject({ state: 'succeeded', pages: 2, recordsRead: 1001 });
      const pages = world.simulator.scenario.requests('graph').filter((r) => r.path.endsWith('/records'));
      expect(pages).toHaveLength(2);
      expect(decoy.seen).toEqual([]);
    });

    it('GIVEN ACS answers 202 with an Operation-Location on another port THEN the send counts as accepted, the poll is refused, and the port receives nothing', async () => {
      world.simulator.scenario.acs.setOperationLocationOrigin(decoy.origin);
      const operationId = '0f8fad5b-d9cb-469f-a165-70867728950e';
      const outcome = await world.app.channel.send(
        { to: 'megan.bowen@contoso.com', subject: 'Test', plainText: 'Hello', html: '<p>Hello</p>' },
        operationId,
      );
      expect(outcome).toEqual({ kind: 'accepted' });
      expect(decoy.seen).toEqual([]);
      expect(world.simulator.scenario.emails()).toHaveLength(1);
      expect(world.logger.text()).toMatch(/client=acs .*refusedOrigin=https:\/\/127\.0\.0\.1:\d+/);
      // Asking for the status uses the configured endpoint, never the response's URL.
      world.simulator.scenario.acs.setOperationLocationOrigin(undefined);
      await expect(world.app.channel.status(operationId)).resolves.toMatch(/accepted|succeeded/);
      expect(decoy.seen).toEqual([]);
    });
  });
});
