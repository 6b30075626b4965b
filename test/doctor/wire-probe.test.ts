import { MemoryLogger } from '../../lib/core/log';
import {
  probeOnFirstSnapshot,
  scrub,
  WIRE_PROBE_STATE_JOB,
  WIRE_PROBE_STATE_KEY,
  type WireReport,
} from '../../lib/doctor/wire-probe';
import { qrn } from '../support/cli';
import { runPeriod, startWorld, type World } from '../support/world';

const SUBJECTS = ['Quote for the new fleet', 'Board pack (draft)', 'Salary review 2026'];

/** Three outbound messages, one released by an administrator and one by an app through the admin API. */
function quarantine(world: World): string[] {
  const ids = SUBJECTS.map(
    (subject, i) =>
      world.simulator.scenario.addMessage({
        sender: 'megan.bowen@contoso.com',
        recipients: [`buyer${i}@fabrikam.example`],
        subject,
        type: 'TransportRule',
        policyType: 'ExchangeTransportRule',
        policyName: 'Quarantine outbound confidential',
      }).networkMessageId,
  );
  world.simulator.scenario.release({ networkMessageId: ids[0], by: 'adele.vance@contoso.com' });
  world.simulator.scenario.release({ networkMessageId: ids[1], by: 'admin-api' });
  return ids;
}

async function probe(world: World): Promise<{ report: WireReport; stdout: string; code: number }> {
  const out = await qrn(world, ['doctor', '--wire']);
  return { report: JSON.parse(out.stdout) as WireReport, stdout: out.stdout, code: out.code };
}

/** Nothing personal in the document: no address, subject, message id or tenant id. */
function expectNothingPersonal(stdout: string, world: World, ids: string[]) {
  expect(stdout).not.toContain('@');
  for (const subject of SUBJECTS) expect(stdout).not.toContain(subject);
  for (const id of ids) expect(stdout.toLowerCase()).not.toContain(id.toLowerCase());
  expect(stdout).not.toContain(world.simulator.tenantId);
}

describe('qrn doctor --wire: what the tenant answers, beside what the code assumes', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN the simulator in its convenient mode THEN each open question gets the documented answer, read-only, and the JSON holds nothing personal', async () => {
    world = await startWorld();
    const ids = quarantine(world);
    world.simulator.scenario.clearRequests();

    const { report, stdout, code } = await probe(world);
    expect(code).toBe(0);
    expect(report).toMatchObject({ probe: 'qrn doctor --wire', version: 1 });
    const found = (part: Record<string, { found: string }> | undefined) =>
      Object.fromEntries(Object.entries(part ?? {}).map(([k, v]) => [k, v.found]));
    expect(found(report.exchange)).toEqual({
      preferHonoured: 'yes',
      serverPageWithoutPrefer: 'whole (3 row(s))',
      smallPageWhole: 'yes',
      nextLinkReplayable: 'yes (1 row(s))',
      releasedRowsInList: '2 of 2 name ReleasedUser, 2 ReleasedBy',
      identityShowsReleasedUser: 'not tested: no released row without ReleasedUser',
      emptyAnswer: 'value array, warnings empty',
      acceptedDomainsRoute: 'yes (3 domain(s))',
    });
    expect(report.exchange.releasedRowsInList.evidence).toMatchObject({
      releasedBy: { person: 1, adminApiMailbox: 1, systemWords: 0, other: 0 },
      systemReleased: 0,
    });
    expect(found(report.graph)).toEqual({
      auditQueriesVersion: 'v1.0 and beta',
      domainsReadable: 'yes (3 domain(s))',
      mailboxSettingsReadable: expect.stringMatching(/^(yes|permitted)/),
      batchAnswered: expect.stringMatching(/^yes \(the read inside answered HTTP (200|404)\)$/),
      releaseRecordApp: 'not asked: no finished audit query of quarantine releases to read',
    });
    expect(found(report.acs)).toEqual({ unknownOperation: 'HTTP 404' });
    for (const part of [report.exchange, report.graph, report.acs]) {
      for (const finding of Object.values(part ?? {})) {
        expect(finding.question).not.toBe('');
        expect(finding.assumed).not.toBe('');
      }
    }
    expectNothingPersonal(stdout, world, ids);

    // Read-only and bounded: no audit query created, no email sent, a few calls of each API.
    const requests = world.simulator.scenario.requests();
    // Every Graph request is a GET but the one JSON batch, which holds a GET (logged on its own).
    expect(
      requests.filter((r) => r.service === 'graph' && r.method !== 'GET').map((r) => `${r.method} ${r.path}`),
    ).toEqual(['POST /v1.0/$batch']);
    expect(world.simulator.scenario.emails()).toEqual([]);
    expect(requests.filter((r) => r.service === 'exchange').length).toBeLessThanOrEqual(8);
    expect(requests.filter((r) => r.service === 'graph').length).toBeLessThanOrEqual(8);
  });

  it('GIVEN a finished audit query holding releases through the admin API THEN the probe names the fields that name the app, with counts, never their values', async () => {
    world = await startWorld();
    const ids = quarantine(world);
    const named = world.simulator.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer9@fabrikam.example'],
      subject: SUBJECTS[2],
      type: 'TransportRule',
    }).networkMessageId;
    world.simulator.scenario.release({
      networkMessageId: named,
      by: 'admin-api',
      app: { id: '0c7a2f4e-51b3-4d8e-9f60-2a1b3c4d5e6f', name: 'Contoso Release Desk' },
    });
    // The app's own runs create the audit query; the probe only reads it once it has finished.
    for (let i = 0; i < 6; i++) await runPeriod(world);
    expect(world.simulator.scenario.auditQueries().some((q) => q.status === 'succeeded')).toBe(true);
    world.simulator.scenario.clearRequests();

    const { report, stdout } = await probe(world);
    expect(report.graph?.releaseRecordApp).toMatchObject({
      found: '3 release record(s): AppAccessContext in 1, AppId in 1',
      evidence: {
        releaseRecords: 3,
        carrying: { AppAccessContext: 1, AppId: 1, ClientAppId: 0, ClientAppName: 0 },
        appAccessContextFields: ['ClientAppId', 'ClientAppName'],
      },
    });
    expect(stdout).not.toContain('Contoso Release Desk');
    expect(stdout).not.toContain('0c7a2f4e');
    expectNothingPersonal(stdout, world, [...ids, named]);
    const graph = world.simulator.scenario.requests('graph');
    expect(graph.filter((r) => r.method !== 'GET').map((r) => r.path)).toEqual(['/v1.0/$batch']);
    expect(graph.length).toBeLessThanOrEqual(8);
  });

  it('GIVEN the simulator in its inconvenient mode THEN the probe tells each inconvenience apart', async () => {
    world = await startWorld();
    const ids = quarantine(world);
    world.simulator.scenario.setExchangeQuirks({
      honourPrefer: false,
      serverPageSize: 2,
      expireNextContinuations: 100,
      listHidesReleaseFields: true,
    });
    world.simulator.scenario.configureAuditQueries({ v1NotFound: true });
    world.simulator.scenario.setPermissions({ domainRead: false });
    world.simulator.scenario.setGraphQuirks({ batchRefused: true });

    const { report, stdout } = await probe(world);
    expect(report.exchange.preferHonoured.found).toBe('no: both rows came back');
    expect(report.exchange.serverPageWithoutPrefer.found).toBe('cut at 2 row(s)');
    expect(report.exchange.smallPageWhole.found).toBe('no: cut at 2');
    expect(report.exchange.nextLinkReplayable.found).toMatch(
      /^no: HTTP 400 Expired or Invalid pagination request/,
    );
    expect(report.exchange.releasedRowsInList.found).toBe('0 of 2 name ReleasedUser, 0 ReleasedBy');
    expect(report.exchange.identityShowsReleasedUser.found).toBe('yes');
    expect(report.graph?.auditQueriesVersion.found).toBe('beta only (v1.0: HTTP 404)');
    expect(report.graph?.domainsReadable.found).toBe('no: HTTP 403');
    expect(report.graph?.batchAnswered.found).toBe('no: HTTP 404 (mailbox settings are read one by one)');
    expectNothingPersonal(stdout, world, ids);
  });

  it('GIVEN the wire an app-only client was recorded getting (pages cut whatever Prefer asks, every nextLink refused, empty answers without value) THEN the probe reports each', async () => {
    world = await startWorld();
    const ids = quarantine(world);
    world.simulator.scenario.setExchangeQuirks({
      cutPagesAt: 2,
      refuseNextLinks: true,
      emptyValue: 'absent',
    });

    const { report, stdout } = await probe(world);
    const found = Object.fromEntries(Object.entries(report.exchange).map(([k, v]) => [k, v.found]));
    expect(found).toMatchObject({
      preferHonoured: 'yes',
      serverPageWithoutPrefer: 'cut at 2 row(s)',
      smallPageWhole: 'no: cut at 2',
      nextLinkReplayable: expect.stringMatching(/^no: HTTP 400 Expired or Invalid pagination request/),
      emptyAnswer: 'value absent, warnings empty',
      acceptedDomainsRoute: 'yes (cut: a first page of 2 domain(s))',
    });
    expectNothingPersonal(stdout, world, ids);
  });

  it('GIVEN invalid settings THEN it says so on stderr, prints no JSON and exits 1', async () => {
    world = await startWorld();
    const out = await qrn(world, ['doctor', '--wire'], { settings: { AZURE_TENANT_ID: '' } });
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/AZURE_TENANT_ID/);
  });
});

describe("the first snapshot of a new deployment asks Exchange's part once", () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN no probe recorded THEN it runs, logs its JSON without personal values, records it, and never runs again', async () => {
    world = await startWorld();
    const ids = quarantine(world);
    const logger = new MemoryLogger();
    await probeOnFirstSnapshot(world.app, logger);
    const line = logger.lines.find((l) => l.message.startsWith('wire probe:'));
    expect(line?.level).toBe('info');
    const logged = String(line?.fields?.probe);
    expect(JSON.parse(logged)).toMatchObject({ exchange: { preferHonoured: { found: 'yes' } } });
    expectNothingPersonal(logged, world, ids);
    expect(await world.app.state.read(WIRE_PROBE_STATE_JOB, WIRE_PROBE_STATE_KEY)).toMatchObject({
      exchange: { smallPageWhole: { found: 'yes' } },
    });

    world.simulator.scenario.clearRequests();
    await probeOnFirstSnapshot(world.app, logger);
    expect(world.simulator.scenario.requests('exchange')).toEqual([]);
  });

  it('GIVEN Exchange refusing the app (401) THEN each question is answered with that status, nothing throws, and the answers are recorded', async () => {
    world = await startWorld();
    world.simulator.scenario.setPermissions({ exchangeManageAsApp: false });
    const logger = new MemoryLogger();
    await probeOnFirstSnapshot(world.app, logger);
    // Each question answered with its HTTP status: the probe itself ran, and is recorded.
    expect(await world.app.state.read(WIRE_PROBE_STATE_JOB, WIRE_PROBE_STATE_KEY)).toMatchObject({
      exchange: { preferHonoured: { found: 'HTTP 401' } },
    });
  });
});

describe('scrub', () => {
  it('THEN addresses, ids and tokens are replaced, and long text is cut', () => {
    expect(
      scrub(
        'mailbox SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@contoso.com refused for adele@contoso.com ' +
          'at 0123456789abcdef0123456789abcdef',
      ),
    ).toBe('mailbox <address> refused for <address> at <token>');
    expect(scrub('x'.repeat(500), 10)).toBe(`${'x'.repeat(10)}…`);
  });
});
