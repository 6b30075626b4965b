import { MINUTE } from '../../lib/core/clock';
import { checkHealth } from '../../lib/health/health';
import { observeJob } from '../../lib/ops/observe-run';
import type { RunEvent } from '../../lib/ops/run-event';
import { qrn } from '../support/cli';
import { startWorld, type World } from '../support/world';

/**
 * A tenant whose unified audit logging is turned off answers every audit query creation with
 * AuditingDisabledTenant. The app says so as a failure of its own kind, backs off instead of asking every
 * run, and keeps telling senders about the releases the quarantine's own status shows.
 */
describe('auditing turned off in the tenant', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN AuditingDisabledTenant THEN each run says it once as its own failure class, one creation is tried per hour, the fast path still tells the sender, and the health strip and the doctor show the fix', async () => {
    world = await startWorld();
    world.simulator.scenario.configureAuditQueries({ auditingDisabled: true });
    const { networkMessageId } = world.simulator.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      subject: 'Quote for the new fleet',
      type: 'TransportRule',
      policyType: 'ExchangeTransportRule',
      policyName: 'Quarantine outbound confidential',
    });
    await world.app.runSnapshot();
    world.simulator.scenario.release({ networkMessageId, by: 'adele.vance@contoso.com' });

    const events: RunEvent[] = [];
    for (let i = 0; i < 4; i++) {
      world.clock.advance(15 * MINUTE);
      await observeJob(world.app, 'snapshot', world.logger, () => undefined);
      await observeJob(world.app, 'notify', world.logger, (_line, event) => events.push(event));
    }

    // The fast path told the sender within the first period.
    const emails = world.simulator.scenario.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0].to[0].address).toBe('megan.bowen@contoso.com');

    // One failure of its own class per run, naming the fix; one creation tried in the hour, not four.
    expect(events.map((e) => [e.outcome, e.failureClass])).toEqual(
      Array.from({ length: 4 }, () => ['partial', 'auditing-off']),
    );
    expect(events[0].failure).toMatch(/AuditingDisabledTenant.*turn on unified audit log ingestion/);
    const creations = world.simulator.scenario
      .requests('graph')
      .filter((r) => r.method === 'POST' && r.path.endsWith('/security/auditLog/queries'));
    expect(creations).toHaveLength(1);
    const said = world.logger.lines.filter(
      (l) => l.level === 'error' && l.message.includes('AuditingDisabledTenant'),
    );
    expect(said).toHaveLength(4);

    const health = await checkHealth({
      settings: () => world.settings,
      application: async () => world.app,
      clock: world.clock,
    });
    expect(health.auditQuery).toMatchObject({
      used: true,
      auditingOff: { since: '2026-03-02T16:15:00.000Z', nextAttemptAt: '2026-03-02T17:15:00.000Z' },
    });
    expect(health.problems).toContainEqual(
      expect.stringMatching(/AuditingDisabledTenant.*turn on unified audit log ingestion/),
    );

    const doctor = await qrn(world, ['doctor']);
    const notifyLine = doctor.stdout.split('\n').findIndex((l) => l.includes('last run: notify'));
    expect(doctor.stdout.split('\n')[notifyLine]).toMatch(/^\[FAIL\] .*AuditingDisabledTenant/);
    expect(doctor.stdout.split('\n')[notifyLine + 1]).toMatch(
      /fix: Turn on unified audit log ingestion .*UnifiedAuditLogIngestionEnabled/,
    );
  });
});
