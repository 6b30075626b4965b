import { MINUTE, HOUR } from '../../lib/core/clock';
import type { EmailChannel } from '../../lib/mail/channel';
import { fixtureJson } from '../support/fixtures';
import { startWorld, type World } from '../support/world';

const fixture = fixtureJson('exchange/get-quarantinemessage.page.json') as {
  value: Record<string, unknown>[];
};
const rows = fixture.value;
const TRANSPORT_RULE = '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d';
const DLP = '7c1d2e3f-4a5b-4c6d-8e7f-08de0a1b4e5f';
const SPAM = 'a1b2c3d4-e5f6-4a7b-8c9d-08de0a1b6a7b';
const ODDITY = '2a008698-201e-497f-3dee-08dad2e835e2';
const SPOOFED = 'b9c8d7e6-f5a4-4b3c-9d2e-08de0a1b8c9d';
const ADMIN = 'adele.vance@contoso.com';

/** Loads the fixture's six quarantine rows into the simulator's tenant. */
function seedFixture(world: World) {
  for (const row of rows) world.simulator.scenario.addRawRow(row);
}

/** A snapshot run, then the audit latency passing, then a notify run: the unattended cycle. */
async function cycle(world: World, waitMs = 80 * MINUTE) {
  await world.app.runSnapshot();
  world.clock.advance(waitMs);
  return world.app.runNotify();
}

async function releaseRow(world: World, networkMessageId: string) {
  const row = (await world.app.releases.listForMessage(networkMessageId))[0];
  return row;
}

describe('notify, end to end through both jobs', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN an admin releases the two-recipient transport-rule message to both THEN its sender gets exactly one email naming both and the admin', async () => {
    world = await startWorld();
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: TRANSPORT_RULE, by: ADMIN });
    const summary = await cycle(world);

    const emails = world.simulator.scenario.emails();
    expect(emails).toHaveLength(1);
    const [email] = emails;
    expect(email.to.map((t) => t.address)).toEqual(['megan.bowen@contoso.com']);
    expect(email.plainText).toContain('buyer@fabrikam.example');
    expect(email.plainText).toContain('ap@fabrikam.example');
    expect(email.plainText).toContain(ADMIN);
    expect(email.plainText).toContain('Q1 price list (confidential)');
    // The snapshot saw the release first (fast path); the audit records then completed the same rows.
    expect(summary).toMatchObject({ newReleases: 0, completedReleases: 2, notified: 2, emailsSent: 1 });

    const view = await world.app.releases.listForMessage(TRANSPORT_RULE);
    expect(view.map((r) => [r.releasedTo, r.status, r.releasedBy, r.sender]).sort()).toEqual([
      ['ap@fabrikam.example', 'notified', ADMIN, 'megan.bowen@contoso.com'],
      ['buyer@fabrikam.example', 'notified', ADMIN, 'megan.bowen@contoso.com'],
    ]);
    expect(world.logger.text()).not.toContain('megan.bowen');
  });

  it('GIVEN the DLP message whose subject holds HTML WHEN released THEN the email shows it escaped', async () => {
    world = await startWorld();
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    await cycle(world);
    const [email] = world.simulator.scenario.emails();
    expect(email.html).toContain('Patient list &lt;b&gt;March&lt;/b&gt; &amp; &quot;follow-ups&quot;');
    expect(email.html).not.toContain('<b>March</b>');
  });

  it('GIVEN inbound spam, the oddity row and the spoofed internal sender are released THEN nobody is emailed and each release says why', async () => {
    world = await startWorld();
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: SPAM, by: 'system' });
    // The oddity row lists no recipients; its release record names one all the same.
    const [record] = world.simulator.scenario.release({ networkMessageId: SPOOFED, by: ADMIN });
    world.simulator.scenario.addRawAuditRecord(
      {
        ...record,
        id: 'a0a0a0a0-0000-4000-8000-0000000000dd',
        auditData: {
          ...(record.auditData as object),
          Id: 'a0a0a0a0-0000-4000-8000-0000000000dd',
          NetworkMessageId: ODDITY,
        },
      },
      world.clock.now(),
    );
    const summary = await cycle(world);

    expect(world.simulator.scenario.emails()).toHaveLength(0);
    expect(await releaseRow(world, SPAM)).toMatchObject({
      status: 'skipped',
      reason: 'sender outside the tenant',
      reasonCode: 'sender-outside',
      isSystemRelease: true,
    });
    expect(await releaseRow(world, SPOOFED)).toMatchObject({
      status: 'skipped',
      reason: 'inbound',
      reasonCode: 'inbound',
    });
    expect(await releaseRow(world, ODDITY)).toMatchObject({
      status: 'skipped',
      reason: 'no sender',
      reasonCode: 'no-sender',
    });
    expect(summary.skipped).toEqual({ 'sender-outside': 1, inbound: 1, 'no-sender': 1 });
  });

  it('GIVEN a system release of an outbound message THEN the sender is told it was released automatically, unless that is turned off', async () => {
    world = await startWorld();
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: DLP, by: 'system' });
    await cycle(world);
    const [email] = world.simulator.scenario.emails();
    expect(email.plainText).toMatch(/automatically by Microsoft 365/);
    expect(email.plainText).not.toContain('System release');
    await world.close();

    world = await startWorld({ settings: { NOTIFY_SYSTEM_RELEASES: 'false' } });
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: DLP, by: 'system' });
    await cycle(world);
    expect(world.simulator.scenario.emails()).toHaveLength(0);
    expect(await releaseRow(world, DLP)).toMatchObject({ status: 'skipped', reason: 'system release' });
  });

  it('GIVEN a message quarantined and released between two snapshots THEN its release waits pending, then is notified', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit' } });
    await world.app.runSnapshot();
    const { networkMessageId } = world.simulator.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      subject: 'Contract draft',
      type: 'TransportRule',
    });
    world.simulator.scenario.release({ networkMessageId, by: ADMIN });
    world.clock.advance(80 * MINUTE);
    const first = await world.app.runNotify();
    expect(first).toMatchObject({ newReleases: 1, pending: 1, emailsSent: 0 });
    expect(await releaseRow(world, networkMessageId)).toMatchObject({ status: 'pending' });

    await world.app.runSnapshot();
    const second = await world.app.runNotify();
    expect(second).toMatchObject({ emailsSent: 1, notified: 1 });
    expect(world.simulator.scenario.emails()).toHaveLength(1);
    // The audit record's time is exact: "at", not "no later than".
    expect(world.simulator.scenario.emails()[0].plainText).toMatch(/^Released at: /m);
  });

  it('GIVEN an audit record that becomes visible 3 hours late THEN the sender is still notified', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit' } });
    seedFixture(world);
    world.simulator.scenario.setAuditLatency(3 * HOUR);
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    await world.app.runSnapshot();
    for (let i = 0; i < 12; i++) {
      world.clock.advance(15 * MINUTE);
      await world.app.runNotify();
    }
    expect(world.simulator.scenario.emails()).toHaveLength(1);
    expect(await releaseRow(world, DLP)).toMatchObject({ status: 'notified' });
  });

  it('GIVEN a crash after the send and before it is recorded THEN the next run finds it sent and no second email goes out', async () => {
    world = await startWorld();
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    const crashing: EmailChannel = {
      name: world.app.channel.name,
      supportsStatus: world.app.channel.supportsStatus,
      status: (id) => world.app.channel.status(id),
      send: async (email, id) => {
        await world.app.channel.send(email, id);
        throw new Error('the process died here');
      },
    };
    const crashy = await world.another({ channel: crashing });
    await world.app.runSnapshot();
    world.clock.advance(80 * MINUTE);
    await expect(crashy.runNotify()).rejects.toThrow('the process died here');
    expect(world.simulator.scenario.emails()).toHaveLength(1);

    world.clock.advance(16 * MINUTE); // the crashed run's lease expires
    const next = await world.app.runNotify();
    expect(next).toMatchObject({ recovered: 1, emailsSent: 0 });
    expect(world.simulator.scenario.emails()).toHaveLength(1);
    expect(await releaseRow(world, DLP)).toMatchObject({ status: 'notified' });
  });

  it('GIVEN two notify runs at once THEN one email is sent', async () => {
    world = await startWorld();
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    await world.app.runSnapshot();
    world.clock.advance(80 * MINUTE);
    const beside = await world.another();
    const results = await Promise.all([world.app.runNotify(), beside.runNotify()]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['busy', 'completed']);
    expect(world.simulator.scenario.emails()).toHaveLength(1);
  });

  it('GIVEN ACS answers 429 THEN the rest is carried to the next run and sent then', async () => {
    world = await startWorld();
    seedFixture(world);
    world.simulator.scenario.acs.setLimits({ perMinute: 1, perHour: 100 });
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    world.simulator.scenario.release({ networkMessageId: TRANSPORT_RULE, by: ADMIN });
    const first = await cycle(world);
    expect(first).toMatchObject({ emailsSent: 1 });
    expect(first.carriedOver).toBeGreaterThan(0);
    expect(world.simulator.scenario.emails()).toHaveLength(1);

    world.clock.advance(15 * MINUTE);
    const second = await world.app.runNotify();
    expect(second).toMatchObject({ emailsSent: 1, carriedOver: 0 });
    expect(world.simulator.scenario.emails()).toHaveLength(2);
  });

  it('GIVEN an audit query slower than a run THEN it is carried to the next run, read there, and only one query is created', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit', AUDIT_QUERY_POLL_SECONDS: '60' } });
    seedFixture(world);
    world.simulator.scenario.configureAuditQueries({ notStartedMs: 5 * MINUTE, runningMs: 5 * MINUTE });
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    const first = await cycle(world);
    expect(first.audit?.state).toMatch(/created|running/);
    expect(first.emailsSent).toBe(0);

    world.clock.advance(15 * MINUTE);
    const second = await world.app.runNotify();
    expect(second.audit?.state).toBe('succeeded');
    expect(second.emailsSent).toBe(1);
    expect(world.simulator.scenario.auditQueries()).toHaveLength(1);
  });

  it('GIVEN everything already notified WHEN every job runs again THEN no new email goes out', async () => {
    world = await startWorld();
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: TRANSPORT_RULE, by: ADMIN });
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    await cycle(world);
    expect(world.simulator.scenario.emails()).toHaveLength(2);
    for (let i = 0; i < 4; i++) {
      world.clock.advance(15 * MINUTE);
      await world.app.runSnapshot();
      const again = await world.app.runNotify();
      expect(again.emailsSent).toBe(0);
    }
    expect(world.simulator.scenario.emails()).toHaveLength(2);
  });

  it('GIVEN a later record for an already-notified message THEN a follow-up names only the new recipient', async () => {
    world = await startWorld({ settings: { RELEASE_SOURCES: 'audit' } });
    seedFixture(world);
    world.simulator.scenario.release({
      networkMessageId: TRANSPORT_RULE,
      by: ADMIN,
      recipients: ['buyer@fabrikam.example'],
    });
    await cycle(world);
    world.clock.advance(HOUR);
    world.simulator.scenario.release({
      networkMessageId: TRANSPORT_RULE,
      by: ADMIN,
      recipients: ['ap@fabrikam.example'],
    });
    world.clock.advance(80 * MINUTE);
    await world.app.runNotify();

    const emails = world.simulator.scenario.emails();
    expect(emails).toHaveLength(2);
    expect(emails[1].plainText).toContain('ap@fabrikam.example');
    expect(emails[1].plainText).not.toMatch(/Released to:[^\n]*buyer@fabrikam\.example/);
  });

  it('GIVEN pilot settings THEN dry run sends nothing, redirect sends to the administrator, the allow-list skips others', async () => {
    world = await startWorld({ settings: { NOTIFY_DRY_RUN: 'true' } });
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    const dry = await cycle(world);
    expect(world.simulator.scenario.emails()).toHaveLength(0);
    expect(dry).toMatchObject({ emailsComposed: 1, emailsSent: 0 });
    expect(await releaseRow(world, DLP)).toMatchObject({ status: 'skipped', reason: 'dry run' });
    await world.close();

    world = await startWorld({
      settings: {
        NOTIFY_REDIRECT_TO: 'pilot.admin@contoso.com',
        NOTIFY_ALLOWED_SENDERS: 'alex.wilber@contoso.com',
      },
    });
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    world.simulator.scenario.release({ networkMessageId: TRANSPORT_RULE, by: ADMIN });
    await cycle(world);
    const emails = world.simulator.scenario.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0].to.map((t) => t.address)).toEqual(['pilot.admin@contoso.com']);
    expect(emails[0].subject).toContain('alex.wilber@contoso.com');
    expect(await releaseRow(world, TRANSPORT_RULE)).toMatchObject({
      status: 'skipped',
      reason: 'not in scope',
    });
  });

  it('GIVEN a release whose message never reaches the snapshot THEN it waits pending until the deadline, then is unmatched with a warning', async () => {
    world = await startWorld({ settings: { RELEASE_MATCH_DEADLINE_HOURS: '2' } });
    const [record] = world.simulator.scenario.release({
      networkMessageId: world.simulator.scenario.addMessage({
        sender: 'megan.bowen@contoso.com',
        recipients: ['buyer@fabrikam.example'],
        type: 'TransportRule',
      }).networkMessageId,
      by: ADMIN,
    });
    const id = String((record.auditData as Record<string, unknown>).NetworkMessageId);
    world.simulator.scenario.deleteMessage(id); // gone before any snapshot saw it
    world.clock.advance(80 * MINUTE);
    const first = await world.app.runNotify();
    expect(first).toMatchObject({ newReleases: 1, pending: 1 });
    world.clock.advance(2 * HOUR + MINUTE);
    const later = await world.app.runNotify();
    expect(later).toMatchObject({ unmatched: 1, pending: 0 });
    expect(await releaseRow(world, id)).toMatchObject({ status: 'unmatched' });
    expect(world.logger.text()).toContain('release unmatched after the deadline');
    expect(world.simulator.scenario.emails()).toHaveLength(0);
  });

  it('GIVEN the email service fails every send THEN it is retried on later runs up to the limit, then marked failed and visible', async () => {
    world = await startWorld({ settings: { MAX_SEND_ATTEMPTS: '3' } });
    seedFixture(world);
    world.simulator.scenario.acs.failNext(500, 10);
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    const first = await cycle(world);
    expect(first).toMatchObject({ emailsSent: 0, failed: 0, carriedOver: 1 });
    expect(await releaseRow(world, DLP)).toMatchObject({ status: 'pending', sendAttempts: 1 });
    world.clock.advance(15 * MINUTE);
    await world.app.runNotify();
    world.clock.advance(15 * MINUTE);
    await world.app.runNotify(); // the third attempt: a 500 may hide an accepted send, so it is checked first
    expect(await releaseRow(world, DLP)).toMatchObject({ status: 'pending', sendAttempts: 3 });
    world.clock.advance(15 * MINUTE);
    const fourth = await world.app.runNotify(); // ACS never got it: out of attempts, failed
    expect(fourth).toMatchObject({ failed: 1 });
    const row = await releaseRow(world, DLP);
    expect(row).toMatchObject({ status: 'failed', sendAttempts: 3 });
    expect(row.reason).toMatch(/send failed after 3 attempts/);
    world.clock.advance(15 * MINUTE);
    expect(await world.app.runNotify()).toMatchObject({ emailsSent: 0, failed: 0 });
    expect(world.simulator.scenario.emails()).toHaveLength(0);
  });

  it('GIVEN the Graph mail channel THEN the notification is sent with sendMail from the configured mailbox', async () => {
    world = await startWorld({
      settings: {
        EMAIL_CHANNEL: 'graph',
        EMAIL_SENDER_ADDRESS: 'quarantine.notices@contoso.com',
        ACS_CONNECTION_STRING: '',
      },
    });
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    const summary = await cycle(world);
    expect(summary.emailsSent).toBe(1);
    const [email] = world.simulator.scenario.emails();
    expect(email).toMatchObject({ channel: 'graph', from: 'quarantine.notices@contoso.com' });
    expect(email.to.map((t) => t.address)).toEqual(['alex.wilber@contoso.com']);
  });

  it('GIVEN RELEASES_RETENTION_DAYS has passed THEN settled releases and their notifications are purged, pending ones kept', async () => {
    world = await startWorld({
      settings: { RELEASES_RETENTION_DAYS: '7', RELEASE_MATCH_DEADLINE_HOURS: '720' },
    });
    seedFixture(world);
    world.simulator.scenario.release({ networkMessageId: DLP, by: ADMIN });
    const waiting = world.simulator.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      type: 'TransportRule',
    }).networkMessageId;
    world.simulator.scenario.release({ networkMessageId: waiting, by: ADMIN });
    world.simulator.scenario.deleteMessage(waiting); // never reaches the snapshot: stays pending
    const first = await cycle(world);
    expect(first.purged).toEqual({ releases: 0, notifications: 0 });
    expect(await releaseRow(world, DLP)).toMatchObject({ status: 'notified' });

    world.clock.advance(8 * 24 * HOUR);
    const later = await world.app.runNotify();
    expect(later.purged).toEqual({ releases: 1, notifications: 1 });
    expect(await world.app.releases.listForMessage(DLP)).toHaveLength(0);
    expect(await releaseRow(world, waiting)).toMatchObject({ status: 'pending' });

    world.clock.advance(HOUR);
    expect((await world.app.runNotify()).purged).toBeUndefined(); // once a day
  });
});
