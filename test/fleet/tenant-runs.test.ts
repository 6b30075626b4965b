import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AccessToken } from '@azure/identity';
import { MINUTE } from '../../lib/core/clock';
import { createCredential, createFleet, createTenantCredential, type Fleet } from '../../lib/composition';
import { encodeTenantRun, spreadDelaySeconds, SPREAD_SECONDS } from '../../lib/fleet/tenant-runs';
import {
  fleetRunDeps,
  queueTenantRuns,
  raisePoisonedTenantRun,
  runTenant,
  type TenantRunDeps,
} from '../../lib/ops/tenant-runs';
import { QueueClient } from '@azure/storage-queue';
import {
  HOST_QUEUE_TRIGGER,
  pollQueue,
  startQueueWorker,
  type QueueMessageContext,
} from '../../lib/local/queue-trigger';
import type { RunEvent } from '../../lib/ops/run-event';
import { startWorld, type World } from '../support/world';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A deployment identity Entra does not know: its tokens match no federated credential of the app. */
const notTheIdentity = {
  getToken: async (): Promise<AccessToken> => ({
    token: 'a.b.c',
    expiresOnTimestamp: Date.now() + 3_600_000,
  }),
};

const FABRIKAM = '8b7c0e52-3f1a-4c1e-9a55-2f0d9c1b7e41';
const NORTHWIND = '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const TAILSPIN = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';

/** Retries at once, three attempts: the host's semantics with test-sized numbers. */
const FAST_TRIGGER = {
  batchSize: 4,
  newBatchThreshold: 2,
  maxDequeueCount: 3,
  retryDelaySeconds: 0,
  runningSeconds: 30,
};

describe('signing in to customer tenants with the deployment identity as client assertion', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ fleetTenants: [FABRIKAM, NORTHWIND] });
  });
  afterAll(async () => world?.close());

  const tenantSettings = (tenantId: string) => ({ ...world.settings, tenantId });

  it('GIVEN a consented customer THEN its token is issued for that tenant, and a withdrawn consent or a foreign assertion is refused with what Entra says', async () => {
    const identity = createCredential(world.settings);
    const scope = `${world.simulator.urls.exchange}/.default`;

    const fabrikam = createTenantCredential(tenantSettings(FABRIKAM), identity);
    expect((await fabrikam.getToken(scope))?.token).toEqual(expect.any(String));

    world.simulator.fleet.tenant(NORTHWIND).setConsent(false);
    const northwind = createTenantCredential(tenantSettings(NORTHWIND), identity);
    await expect(northwind.getToken(scope)).rejects.toThrow(/AADSTS700016/);
    world.simulator.fleet.tenant(NORTHWIND).setConsent(true);

    const forged = createTenantCredential(tenantSettings(FABRIKAM), notTheIdentity);
    await expect(forged.getToken(scope)).rejects.toThrow(/AADSTS700213/);
  });
});

describe('the fleet period on the Azurite queue', () => {
  let world: World;
  let fleet: Fleet;
  let events: RunEvent[];
  beforeEach(async () => {
    world = await startWorld({ fleetTenants: [FABRIKAM, NORTHWIND, TAILSPIN] });
    fleet = createFleet(world.env(), {
      clock: world.clock,
      logger: world.logger,
      queueName: `runs-${randomBytes(5).toString('hex')}`,
    });
    events = [];
    await fleet.tenants.ensure();
    await fleet.queues().runs.createIfNotExists();
    for (const [tenantId, displayName] of [
      [FABRIKAM, 'Fabrikam'],
      [NORTHWIND, 'Northwind'],
      [TAILSPIN, 'Tailspin'],
    ]) {
      await fleet.tenants.add({ tenantId, displayName, settings: {} });
    }
  });
  afterEach(async () => {
    await Promise.all([fleet.queues().runs.deleteIfExists(), fleet.queues().poison.deleteIfExists()]);
    for (const tenant of await fleet.tenants.list()) {
      await Promise.all(Object.values(fleet.tenantTables(tenant)).map((t) => t.deleteTable()));
    }
    await fleet.tenants.table.deleteTable();
    await world?.close();
  });

  const queuePeriod = () =>
    queueTenantRuns({
      tenants: fleet.tenants,
      queue: fleet.queues().runs,
      clock: world.clock,
      logger: world.logger,
      spreadSeconds: 1,
    });

  const attempts: { tenantId: string; dequeueCount: number }[] = [];
  /** How the worker opens a tenant's application: the fleet's, unless a test puts a refusal in its way. */
  let openTenant: TenantRunDeps['openTenant'];
  beforeEach(() => (openTenant = (tenant, logger) => fleet.openTenant(tenant, logger)));
  const handler = (message: unknown, context: QueueMessageContext) => {
    attempts.push({
      tenantId: (message as { tenantId: string }).tenantId,
      dequeueCount: context.dequeueCount,
    });
    return runTenant(message, {
      ...fleetRunDeps(fleet, {
        clock: world.clock,
        logger: world.logger,
        emit: (_line, event) => events.push(event),
      }),
      openTenant: (tenant, logger) => openTenant(tenant, logger),
    });
  };

  /** Polls as the host does until the queue is empty (each poll a batch). */
  async function drain() {
    const polls = [];
    for (let i = 0; i < 10; i++) {
      const poll = await pollQueue(fleet.queues(), handler, FAST_TRIGGER);
      polls.push(poll);
      const { approximateMessagesCount } = await fleet.queues().runs.getProperties();
      if (approximateMessagesCount === 0) break;
    }
    return polls;
  }

  beforeEach(() => (attempts.length = 0));

  /** Each tenant's run events, by tenant. */
  const eventsOf = (tenantId: string) =>
    events.filter((e) => (e as RunEvent & { tenantId: string }).tenantId === tenantId);
  const releaseOneFor = (tenantIds: string[]) => {
    for (const tenantId of tenantIds) {
      const tenant = world.simulator.fleet.tenant(tenantId);
      const { networkMessageId } = tenant.addMessage({
        sender: 'megan.bowen@contoso.com',
        recipients: ['buyer@fabrikam.example'],
        subject: `Price list for ${tenantId}`,
        type: 'TransportRule',
      });
      tenant.release({ networkMessageId, by: 'adele.vance@contoso.com' });
    }
  };
  const consentLink = (tenantId: string) =>
    `${world.settings.credentials.authorityHost}/${tenantId}/adminconsent?client_id=${fleet.settings.fleet.appClientId}`;

  it('GIVEN three tenants, one disabled WHEN the period is queued and drained THEN one message per enabled tenant runs once, snapshot then notify, each event naming its tenant', async () => {
    await fleet.tenants.save({ ...(await fleet.tenants.get(TAILSPIN))!, enabled: false });
    expect(await queuePeriod()).toEqual({ queued: 2, disabled: 1 });
    expect((await fleet.queues().runs.getProperties()).approximateMessagesCount).toBe(2);

    await drain();
    expect(attempts.map((a) => a.tenantId).sort()).toEqual([NORTHWIND, FABRIKAM].sort());
    expect(
      events.map((e) => [(e as RunEvent & { tenantId: string }).tenantId, e.job, e.outcome]).sort(),
    ).toEqual(
      [
        [FABRIKAM, 'notify', 'completed'],
        [FABRIKAM, 'snapshot', 'completed'],
        [NORTHWIND, 'notify', 'completed'],
        [NORTHWIND, 'snapshot', 'completed'],
      ].sort(),
    );
    expect((await fleet.queues().runs.getProperties()).approximateMessagesCount).toBe(0);
  });

  it("GIVEN one customer withdrew consent WHEN the period runs THEN the others' senders are told at once, and its message is retried up to the dequeue limit, then poisoned and alerted naming it", async () => {
    world.simulator.fleet.tenant(FABRIKAM).setConsent(false);
    releaseOneFor([NORTHWIND, TAILSPIN]);
    world.clock.advance(80 * MINUTE);
    await queuePeriod();
    await drain();

    const emails = world.simulator.scenario.emails();
    expect(emails).toHaveLength(2);
    expect(emails.map((e) => e.to.map((t) => t.address))).toEqual([
      ['megan.bowen@contoso.com'],
      ['megan.bowen@contoso.com'],
    ]);
    expect(attempts.filter((a) => a.tenantId !== FABRIKAM)).toHaveLength(2);
    expect(attempts.filter((a) => a.tenantId === FABRIKAM).map((a) => a.dequeueCount)).toEqual([1, 2, 3]);
    const failed = events.filter((e) => e.outcome === 'failed');
    expect(failed.every((e) => (e as RunEvent & { tenantId: string }).tenantId === FABRIKAM)).toBe(true);
    expect(failed[0].failure).toContain('AADSTS700016');
    // The tenant's alert names the fix: the consent link of its own tenant, and the doctor for it.
    expect(failed[0].failureClass).toBe('permission');
    expect(failed[0].failure).toContain(
      `${world.settings.credentials.authorityHost}/${FABRIKAM}/adminconsent?client_id=${fleet.settings.fleet.appClientId}`,
    );
    expect(failed[0].failure).toContain(`qrn doctor --tenant ${FABRIKAM}`);
    const others = events.filter((e) => (e as RunEvent & { tenantId: string }).tenantId !== FABRIKAM);
    expect(others.map((e) => [e.outcome, e.failure])).toEqual(others.map(() => ['completed', null]));

    const poisoned = await fleet.queues().poison.receiveMessages({ numberOfMessages: 32 });
    expect(poisoned.receivedMessageItems).toHaveLength(1);
    const message = JSON.parse(
      Buffer.from(poisoned.receivedMessageItems[0].messageText, 'base64').toString('utf8'),
    );
    expect(message).toMatchObject({ tenantId: FABRIKAM });
    const lines: string[] = [];
    const alert = raisePoisonedTenantRun(message, {
      clock: world.clock,
      emit: (line) => lines.push(line),
      dequeueCount: 3,
    });
    expect(alert).toMatchObject({ outcome: 'failed', tenantId: FABRIKAM });
    expect(lines[0]).toContain(FABRIKAM);
    expect(alert.failure).toContain('3 attempts');
  });

  it("GIVEN one customer's consent lacks the audit log's permission WHEN the period runs THEN its notify event ends with that permission and its consent link, and the others are told", async () => {
    world.simulator.fleet.tenant(FABRIKAM).setPermissions({ auditLogsQuery: false });
    releaseOneFor([NORTHWIND, TAILSPIN]);
    world.clock.advance(80 * MINUTE);
    await queuePeriod();
    await drain();

    const notify = eventsOf(FABRIKAM).find((e) => e.job === 'notify')!;
    expect(notify).toMatchObject({ outcome: 'partial', failureClass: 'permission' });
    expect(notify.failure).toContain('403');
    expect(notify.failure).toMatch(
      new RegExp(
        'Fix: the app lacks the Microsoft Graph application permission AuditLogsQuery\\.Read\\.All in the tenant: ' +
          `its administrator consents \\(again\\) to the app, which grants it: ${escape(consentLink(FABRIKAM))}; ` +
          `then check with qrn doctor --tenant ${FABRIKAM}\\.$`,
      ),
    );
    expect(world.simulator.scenario.emails()).toHaveLength(2);
    for (const tenantId of [NORTHWIND, TAILSPIN]) {
      expect(eventsOf(tenantId).map((e) => [e.job, e.outcome, e.failure])).toEqual([
        ['snapshot', 'completed', null],
        ['notify', 'completed', null],
      ]);
      expect((await fleet.tenants.get(tenantId))?.status?.problems).toEqual([]);
    }
    // The fleet page says it too: the status the run kept in the tenant's row.
    expect((await fleet.tenants.get(FABRIKAM))?.status?.problems).toEqual([
      `last run: notify: ${notify.failure}`,
    ]);
  });

  it("GIVEN Entra refuses the deployment's identity as the app's credential for one tenant WHEN the period runs THEN each of its failed events ends with the federated credential's fix, and the others are told", async () => {
    const forged = createFleet(world.env(), {
      clock: world.clock,
      logger: world.logger,
      azureCredential: notTheIdentity,
    });
    openTenant = (tenant, logger) =>
      (tenant.tenantId === FABRIKAM ? forged : fleet).openTenant(tenant, logger);
    releaseOneFor([NORTHWIND, TAILSPIN]);
    world.clock.advance(80 * MINUTE);
    await queuePeriod();
    await drain();

    const refused = eventsOf(FABRIKAM).filter((e) => e.failure !== null);
    expect(refused.map((e) => e.job)).toContain('snapshot');
    for (const event of refused) {
      expect(event.failureClass).toBe('permission');
      expect(event.failure).toContain('AADSTS700213');
      expect(event.failure).toMatch(
        new RegExp(
          "Fix: Entra refused this deployment's managed identity as the app's credential: recreate the app's " +
            `federated credential .*; then check with qrn doctor --tenant ${FABRIKAM}\\.$`,
        ),
      );
    }
    expect(world.simulator.scenario.emails()).toHaveLength(2);
    for (const tenantId of [NORTHWIND, TAILSPIN]) {
      expect(eventsOf(tenantId).every((e) => e.outcome === 'completed')).toBe(true);
    }
  });

  it("GIVEN a tenant whose application cannot be opened for a refusal WHEN it runs THEN its event ends with the refusal's fix", async () => {
    openTenant = (tenant, logger) =>
      tenant.tenantId === FABRIKAM
        ? Promise.reject(
            new Error('AADSTS65001: The user or administrator has not consented to use the application.'),
          )
        : fleet.openTenant(tenant, logger);
    await queuePeriod();
    await drain();

    const [opened] = eventsOf(FABRIKAM);
    expect(opened).toMatchObject({ job: 'snapshot', outcome: 'failed', failureClass: 'permission' });
    expect(opened.failure).toContain(
      `Fix: the tenant's administrator consents (again) to the app: ${consentLink(FABRIKAM)}; then check with qrn doctor --tenant ${FABRIKAM}.`,
    );
    for (const tenantId of [NORTHWIND, TAILSPIN]) {
      expect(eventsOf(tenantId).every((e) => e.outcome === 'completed')).toBe(true);
    }
    expect((await fleet.tenants.get(FABRIKAM))?.status?.problems).toEqual([
      `last run: snapshot: ${opened.failure}`,
    ]);
  });

  it('GIVEN a malformed message, or a tenant removed since it was queued THEN the first fails with why (and is poisoned after its attempts), the second is dropped', async () => {
    const { runs } = fleet.queues();
    await runs.sendMessage(Buffer.from('{"tenantId":"not-a-guid"}').toString('base64'));
    await runs.sendMessage(
      encodeTenantRun({ tenantId: randomUUID(), queuedAt: world.clock.now().toISOString() }),
    );
    const polls = await drain();
    expect(polls.reduce((n, p) => n + p.poisoned, 0)).toBe(1);
    expect(polls.reduce((n, p) => n + p.handled, 0)).toBe(1);
    await expect(runTenant('{"tenantId":"x"}', {} as never)).rejects.toThrow(
      /tenant run message is malformed: tenantId/,
    );
    expect(world.logger.text()).toContain('no longer served');
  });
});

describe('the spread of the period and the trigger semantics', () => {
  it('GIVEN one slow message in a batch WHEN the worker runs THEN it takes the next batch while the slow one runs, as the host does past newBatchThreshold', async () => {
    const name = `worker-${randomBytes(5).toString('hex')}`;
    const queues = {
      runs: new QueueClient(process.env.TEST_QUEUES_CONNECTION_STRING!, name),
      poison: new QueueClient(process.env.TEST_QUEUES_CONNECTION_STRING!, `${name}-poison`),
    };
    await queues.runs.create();
    for (const text of ['slow', 'a', 'b', 'c', 'd', 'e']) {
      await queues.runs.sendMessage(Buffer.from(JSON.stringify(text)).toString('base64'));
    }
    const done: string[] = [];
    let othersDone: () => void = () => undefined;
    const allOthers = new Promise<void>((resolve) => (othersDone = resolve));
    const worker = startQueueWorker(
      queues,
      async (message) => {
        // The slow tenant finishes only once every other message has: a worker that waited for its whole
        // batch before taking more would never get there.
        if (message === 'slow') await allOthers;
        done.push(String(message));
        if (done.length === 5) othersDone();
      },
      { ...FAST_TRIGGER, runningSeconds: 60 },
      50,
    );
    await allOthers;
    while (done.length < 6) await new Promise((r) => setTimeout(r, 20));
    expect(await worker.stop()).toEqual({ handled: 6, failed: 0, poisoned: 0 });
    expect(done[5]).toBe('slow');
    await queues.runs.delete();
  });

  it('GIVEN 1,000 tenants THEN each has the same place every period, within the first 12 minutes, and every minute holds a fair share', () => {
    const ids = Array.from({ length: 1000 }, () => randomUUID());
    const delays = ids.map((id) => spreadDelaySeconds(id));
    expect(ids.map((id) => spreadDelaySeconds(id))).toEqual(delays);
    expect(Math.max(...delays)).toBeLessThan(SPREAD_SECONDS);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    const perMinute = Array.from(
      { length: SPREAD_SECONDS / 60 },
      (_, m) => delays.filter((d) => Math.floor(d / 60) === m).length,
    );
    for (const count of perMinute) expect(count).toBeGreaterThan(40);
  });

  it("GIVEN host.json THEN the local queue trigger uses the host's batch size, dequeue limit, retry delay and timeout", () => {
    const host = JSON.parse(readFileSync(path.resolve(__dirname, '../../host.json'), 'utf8'));
    const seconds = (span: string) =>
      span
        .split(':')
        .map(Number)
        .reduce((t, n) => t * 60 + n, 0);
    expect(HOST_QUEUE_TRIGGER).toEqual({
      batchSize: host.extensions.queues.batchSize,
      newBatchThreshold: host.extensions.queues.newBatchThreshold,
      maxDequeueCount: host.extensions.queues.maxDequeueCount,
      retryDelaySeconds: seconds(host.extensions.queues.visibilityTimeout),
      runningSeconds: seconds(host.functionTimeout),
    });
  });
});
