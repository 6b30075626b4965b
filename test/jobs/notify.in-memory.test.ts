import { HOUR, MINUTE } from '../../lib/core/clock';
import { runNotify } from '../../lib/jobs/notify';
import { quarantineFixtureRows } from '../support/fixtures';
import { memoryTenant, memoryWorld, type MemoryTenant, type MemoryWorld } from '../support/memory-notify';

/**
 * Notify's crash, retry and ordering rules on the in-memory ports (lib/store/memory/): the same job code,
 * no table service and no simulator. What only a real table or the wire can show (keys, batches, formats)
 * stays in test/scenarios/.
 */

/** An outage (not poison): the step stops and nothing is marked done that was not. */
const outage = () => Object.assign(new Error('the table service is unavailable'), { statusCode: 503 });

/** Makes `method` of `target` throw an outage on its n-th call from now (1 = the next one), once. */
function crashOn<T extends object>(target: T, method: keyof T & string, n = 1): void {
  const original = (target[method] as (...args: unknown[]) => unknown).bind(target);
  let calls = 0;
  (target as Record<string, unknown>)[method] = (...args: unknown[]) => {
    calls += 1;
    if (calls === n) throw outage();
    return original(...args);
  };
}

async function statuses(t: MemoryTenant, networkMessageId: string) {
  return (await t.releases.listForMessage(networkMessageId)).map((r) => r.status);
}

describe('notify on the in-memory ports', () => {
  test('GIVEN two releases of one message WHEN notify runs twice THEN the sender gets one email, once', async () => {
    const t = memoryTenant();
    const id = await t.release('alex@contoso.com', ['a@fabrikam.com', 'b@fabrikam.com']);
    const first = await runNotify(t.deps);
    expect(first).toMatchObject({ emailsSent: 1, notified: 2 });
    const second = await runNotify(t.deps);
    expect(second).toMatchObject({ emailsSent: 0, notified: 0 });
    expect([...t.channel.delivered()]).toEqual([['alex@contoso.com', 1]]);
    expect(await statuses(t, id)).toEqual(['notified', 'notified']);
  });

  test('GIVEN a crash after the channel took the email, before it was recorded sent WHEN the next run comes THEN it asks the channel and marks the units notified, without sending again', async () => {
    const t = memoryTenant();
    const id = await t.release('alex@contoso.com', ['a@fabrikam.com']);
    // The first notification update after the send records it 'sent': the crash comes there.
    crashOn(t.notifications, 'update');
    await expect(runNotify(t.deps)).rejects.toThrow('unavailable');
    expect(t.channel.sends).toHaveLength(1);
    const next = await runNotify(t.deps);
    expect(next).toMatchObject({ recovered: 1, emailsSent: 0 });
    expect(t.channel.sends).toHaveLength(1);
    expect(await statuses(t, id)).toEqual(['notified']);
  });

  test('GIVEN a crash after the email was recorded, before it reached the channel WHEN the next run comes THEN the channel says unknown and the email goes once', async () => {
    const t = memoryTenant();
    const id = await t.release('alex@contoso.com', ['a@fabrikam.com']);
    const send = t.channel.send.bind(t.channel);
    let crashes = 1;
    t.channel.send = async (email, op) => {
      if (crashes-- > 0) throw outage();
      return send(email, op);
    };
    await expect(runNotify(t.deps)).rejects.toThrow('unavailable');
    expect(t.channel.sends).toHaveLength(0);
    const next = await runNotify(t.deps);
    expect(next.emailsSent).toBe(1);
    expect([...t.channel.delivered()]).toEqual([['alex@contoso.com', 1]]);
    expect(await statuses(t, id)).toEqual(['notified']);
  });

  test('GIVEN a send the service took but whose answer was lost WHEN the next run comes THEN it asks the channel first and never sends it again', async () => {
    const t = memoryTenant();
    const id = await t.release('alex@contoso.com', ['a@fabrikam.com']);
    t.channel.script.push('taken, answer lost');
    const first = await runNotify(t.deps);
    expect(first).toMatchObject({ emailsSent: 0, carriedOver: 1 });
    const held = (await t.releases.listForMessage(id))[0];
    expect(held).toMatchObject({ status: 'pending', sendAttempts: 1 });
    expect(held.notificationId).toBeDefined();
    const second = await runNotify(t.deps);
    expect(second).toMatchObject({ recovered: 1, emailsSent: 0 });
    expect(t.channel.sends).toHaveLength(1);
    expect(await statuses(t, id)).toEqual(['notified']);
  });

  test('GIVEN a transient failure the service never saw WHEN the next run comes THEN the units go back to the queue and are sent once', async () => {
    const t = memoryTenant();
    const id = await t.release('alex@contoso.com', ['a@fabrikam.com']);
    t.channel.script.push({ kind: 'failed', permanent: false, reason: 'HTTP 503' });
    await runNotify(t.deps);
    const second = await runNotify(t.deps);
    // The second run frees the held units (the channel never took them); the third sends them.
    const third = await runNotify(t.deps);
    expect(second.emailsSent + third.emailsSent).toBe(1);
    expect([...t.channel.delivered()]).toEqual([['alex@contoso.com', 1]]);
    expect((await t.releases.listForMessage(id))[0]).toMatchObject({ status: 'notified', sendAttempts: 1 });
  });

  test('GIVEN a permanent failure THEN the units fail at once and are never sent again', async () => {
    const t = memoryTenant();
    const id = await t.release('alex@contoso.com', ['a@fabrikam.com']);
    t.channel.script.push({ kind: 'failed', permanent: true, reason: 'recipient address not usable' });
    expect(await runNotify(t.deps)).toMatchObject({ failed: 1, emailsSent: 0 });
    await runNotify(t.deps);
    expect(t.channel.sends).toHaveLength(1);
    expect(await statuses(t, id)).toEqual(['failed']);
  });

  test('GIVEN throttling on the second email WHEN notify runs THEN the rest waits for the next run, which sends it, oldest release first', async () => {
    const t = memoryTenant();
    await t.release('late@contoso.com', ['a@fabrikam.com'], '2026-03-02T11:30:00.000Z');
    await t.release('early@contoso.com', ['b@fabrikam.com'], '2026-03-02T10:00:00.000Z');
    await t.release('middle@contoso.com', ['c@fabrikam.com'], '2026-03-02T11:00:00.000Z');
    t.channel.script.push({ kind: 'accepted' }, { kind: 'throttled', retryAfterSeconds: 60 });
    const first = await runNotify(t.deps);
    expect(first).toMatchObject({ emailsSent: 1, carriedOver: 2 });
    const second = await runNotify(t.deps);
    expect(second).toMatchObject({ emailsSent: 2, carriedOver: 0 });
    expect(t.channel.sends.map((s) => s.email.to)).toEqual([
      'early@contoso.com',
      'middle@contoso.com',
      'middle@contoso.com',
      'late@contoso.com',
    ]);
    expect([...t.channel.delivered().values()]).toEqual([1, 1, 1]);
  });

  test('GIVEN a cap of one email per run THEN each run sends the oldest waiting release, until all are told', async () => {
    const t = memoryTenant({ MAX_EMAILS_PER_RUN: '1' });
    await t.release('second@contoso.com', ['a@fabrikam.com'], '2026-03-02T11:00:00.000Z');
    await t.release('first@contoso.com', ['b@fabrikam.com'], '2026-03-02T10:00:00.000Z');
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 1, carriedOver: 1 });
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 1, carriedOver: 0 });
    expect(t.channel.sends.map((s) => s.email.to)).toEqual(['first@contoso.com', 'second@contoso.com']);
  });

  test('GIVEN another run holding the lease THEN a run does nothing; once the lease expires the next run sends', async () => {
    const t = memoryTenant();
    await t.release('alex@contoso.com', ['a@fabrikam.com']);
    const held = await t.state.acquireLease('notify', 'other run', 15 * MINUTE);
    expect(held).toBeDefined();
    expect((await runNotify(t.deps)).outcome).toBe('busy');
    expect(t.channel.sends).toHaveLength(0);
    t.clock.advance(16 * MINUTE);
    expect(await runNotify(t.deps)).toMatchObject({ outcome: 'completed', emailsSent: 1 });
  });

  test('GIVEN a message whose snapshot lookup fails on its own THEN it is set aside and the other senders are still told', async () => {
    const t = memoryTenant();
    const bad = await t.release('bad@contoso.com', ['a@fabrikam.com']);
    await t.release('good@contoso.com', ['b@fabrikam.com']);
    const find = t.quarantine.findByNetworkMessageId.bind(t.quarantine);
    t.quarantine.findByNetworkMessageId = async (id) => {
      if (id === bad) throw new RangeError('a row the snapshot cannot read');
      return find(id);
    };
    const summary = await runNotify(t.deps);
    expect(summary).toMatchObject({ emailsSent: 1, setAside: 1 });
    expect([...t.channel.delivered()]).toEqual([['good@contoso.com', 1]]);
    expect(await statuses(t, bad)).toEqual(['pending']);
  });

  test('GIVEN a crash while marking units notified WHEN runs go on THEN every unit ends notified with exactly one email', async () => {
    const t = memoryTenant();
    const id = await t.release('alex@contoso.com', ['a@fabrikam.com', 'b@fabrikam.com', 'c@fabrikam.com']);
    // The units are held (first batch write), the send is recorded sent, then marking them fails.
    crashOn(t.releases, 'writeMany', 2);
    await expect(runNotify(t.deps)).rejects.toThrow('unavailable');
    await runNotify(t.deps);
    await runNotify(t.deps);
    expect([...t.channel.delivered()]).toEqual([['alex@contoso.com', 1]]);
    expect(await statuses(t, id)).toEqual(['notified', 'notified', 'notified']);
  });
});

describe('notify asks for its lease at most every few minutes', () => {
  test('GIVEN a short run to three senders THEN the lease is not renewed once; GIVEN a run outliving its lease and another run taking it THEN the rest waits', async () => {
    const t = memoryTenant();
    for (const s of ['a', 'b', 'c']) await t.release(`${s}@contoso.com`, ['x@fabrikam.com']);
    let renewals = 0;
    const acquire = t.state.acquireLease.bind(t.state);
    t.state.acquireLease = async (...args) => {
      const lease = await acquire(...args);
      if (!lease) return lease;
      const renew = lease.renew.bind(lease);
      return { ...lease, release: () => lease.release(), renew: () => ((renewals += 1), renew()) };
    };
    expect(await runNotify(t.deps)).toMatchObject({ emailsSent: 3 });
    expect(renewals).toBe(0);

    for (const s of ['d', 'e', 'f']) await t.release(`${s}@contoso.com`, ['x@fabrikam.com']);
    const send = t.channel.send.bind(t.channel);
    t.channel.send = async (email, op) => {
      // The first send hangs past the lease; meanwhile another run takes the expired lease.
      if (t.channel.sends.length === 3) {
        t.clock.advance(16 * MINUTE);
        await t.state.acquireLease('notify', 'another run', 15 * MINUTE);
      }
      return send(email, op);
    };
    const late = await runNotify(t.deps);
    expect(late).toMatchObject({ emailsSent: 1, carriedOver: 2 });
    expect(renewals).toBe(1);
  });
});

/**
 * Both jobs end to end on the in-memory stores, reading Microsoft 365 in process (the simulator's tenant
 * model, the fixture's recorded rows): the rules of test/scenarios/notify.test.ts that need neither the
 * table service nor the wire.
 */
describe('notify, end to end through both jobs, in memory', () => {
  const TRANSPORT_RULE = '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d';
  const DLP = '7c1d2e3f-4a5b-4c6d-8e7f-08de0a1b4e5f';
  const SPAM = 'a1b2c3d4-e5f6-4a7b-8c9d-08de0a1b6a7b';
  const ODDITY = '2a008698-201e-497f-3dee-08dad2e835e2';
  const SPOOFED = 'b9c8d7e6-f5a4-4b3c-9d2e-08de0a1b8c9d';
  const ADMIN = 'adele.vance@contoso.com';

  /** A world whose quarantine holds the fixture's six recorded rows. */
  function seeded(settings: Record<string, string> = {}): MemoryWorld {
    const w = memoryWorld(settings);
    for (const row of quarantineFixtureRows()) w.m365.addRawRow(row);
    return w;
  }

  /** A snapshot run, then the audit latency passing, then a notify run: the unattended cycle. */
  async function cycle(w: MemoryWorld, waitMs = 80 * MINUTE) {
    await w.runSnapshot();
    w.clock.advance(waitMs);
    return w.runNotify();
  }

  async function releaseRow(w: MemoryWorld, networkMessageId: string) {
    return (await w.releases.listForMessage(networkMessageId))[0];
  }

  test('GIVEN the DLP message whose subject holds HTML WHEN released THEN the email shows it escaped', async () => {
    const w = seeded();
    w.m365.release({ networkMessageId: DLP, by: ADMIN });
    await cycle(w);
    const [email] = w.channel.emails();
    expect(email.html).toContain('Patient list &lt;b&gt;March&lt;/b&gt; &amp; &quot;follow-ups&quot;');
    expect(email.html).not.toContain('<b>March</b>');
  });

  test('GIVEN inbound spam, the oddity row and the spoofed internal sender are released THEN nobody is emailed and each release says why', async () => {
    const w = seeded();
    w.m365.release({ networkMessageId: SPAM, by: 'system' });
    // The oddity row lists no recipients; its release record names one all the same.
    const [record] = w.m365.release({ networkMessageId: SPOOFED, by: ADMIN });
    w.m365.addRawAuditRecord(
      {
        ...record,
        id: 'a0a0a0a0-0000-4000-8000-0000000000dd',
        auditData: {
          ...(record.auditData as object),
          Id: 'a0a0a0a0-0000-4000-8000-0000000000dd',
          NetworkMessageId: ODDITY,
        },
      },
      w.clock.now(),
    );
    const summary = await cycle(w);

    expect(w.channel.emails()).toHaveLength(0);
    expect(await releaseRow(w, SPAM)).toMatchObject({
      status: 'skipped',
      reason: 'sender outside the tenant',
      reasonCode: 'sender-outside',
      isSystemRelease: true,
    });
    expect(await releaseRow(w, SPOOFED)).toMatchObject({
      status: 'skipped',
      reason: 'inbound',
      reasonCode: 'inbound',
    });
    expect(await releaseRow(w, ODDITY)).toMatchObject({
      status: 'skipped',
      reason: 'no sender',
      reasonCode: 'no-sender',
    });
    expect(summary.skipped).toEqual({ 'sender-outside': 1, inbound: 1, 'no-sender': 1 });
  });

  test('GIVEN a system release of an outbound message THEN the sender is told it was released automatically, unless that is turned off', async () => {
    const w = seeded();
    w.m365.release({ networkMessageId: DLP, by: 'system' });
    await cycle(w);
    const [email] = w.channel.emails();
    expect(email.plainText).toMatch(/automatically by Microsoft 365/);
    expect(email.plainText).not.toContain('System release');

    const off = seeded({ NOTIFY_SYSTEM_RELEASES: 'false' });
    off.m365.release({ networkMessageId: DLP, by: 'system' });
    await cycle(off);
    expect(off.channel.emails()).toHaveLength(0);
    expect(await releaseRow(off, DLP)).toMatchObject({ status: 'skipped', reason: 'system release' });
  });

  test('GIVEN an app releasing an outbound message through the admin API (SystemMailbox releaser, SystemReleased false) THEN the sender is told, before any audit record, that an administrator released it, whatever NOTIFY_SYSTEM_RELEASES says', async () => {
    const w = seeded({ NOTIFY_SYSTEM_RELEASES: 'false' });
    w.m365.release({ networkMessageId: DLP, by: 'admin-api' });
    await w.runSnapshot(); // the quarantine's status shows it at once; its audit record is still an hour away
    const summary = await w.runNotify();
    expect(summary).toMatchObject({ notified: 1, emailsSent: 1 });
    const [email] = w.channel.emails();
    expect(email.plainText).toMatch(/Released by: an administrator/);
    expect(email.plainText).not.toMatch(/automatically|SystemMailbox/i);
    expect(await releaseRow(w, DLP)).toMatchObject({
      status: 'notified',
      isSystemRelease: false,
      sources: ['quarantine'],
      releasedByRaw: expect.stringMatching(/^SystemMailbox\{[0-9a-f-]+\}@contoso\.com$/i),
    });
    expect((await releaseRow(w, DLP)).releasedBy).toBeUndefined();
  });

  test.each([
    [
      'a readable name',
      { id: '0c7a2f4e-51b3-4d8e-9f60-2a1b3c4d5e6f', name: 'Contoso Release Desk' },
      'Released by: an administrator, through Contoso Release Desk',
    ],
    ['an app id only', { id: '0c7a2f4e-51b3-4d8e-9f60-2a1b3c4d5e6f' }, /Released by: an administrator\n/],
    [
      'an address for a name',
      { id: '0c7a2f4e-51b3-4d8e-9f60-2a1b3c4d5e6f', name: 'svc-release@contoso.com' },
      /Released by: an administrator\n/,
    ],
  ])(
    'GIVEN an app releasing through the admin API whose audit record gives %s THEN the email names the tool only where a person can read its name',
    async (_name, app, expected) => {
      const w = seeded({ RELEASE_SOURCES: 'audit' });
      w.m365.release({ networkMessageId: DLP, by: 'admin-api', app });
      await cycle(w);
      const [email] = w.channel.emails();
      expect(email.plainText).toMatch(expected);
      expect(email.plainText).not.toMatch(/SystemMailbox|0c7a2f4e|svc-release/i);
      // The report still shows what the record said.
      expect(await releaseRow(w, DLP)).toMatchObject({
        status: 'notified',
        releasedByRaw: expect.stringMatching(/^SystemMailbox\{[0-9a-f-]+\}@contoso\.com$/i),
      });
    },
  );

  test('GIVEN a hostile tool name in the audit record THEN the email shows it escaped and cut to length, and EMAIL_HIDE_RELEASER hides it', async () => {
    const hostile = `<img src=x onerror=alert(1)> Release "Bot" & Co ${'x'.repeat(400)}`;
    const w = seeded({ RELEASE_SOURCES: 'audit' });
    w.m365.release({ networkMessageId: DLP, by: 'admin-api', app: { id: 'app', name: hostile } });
    await cycle(w);
    const [email] = w.channel.emails();
    expect(email.html).toContain(
      'through &lt;img src=x onerror=alert(1)&gt; Release &quot;Bot&quot; &amp; Co x',
    );
    expect(email.html).not.toContain('<img src=x');
    const line = email.plainText.split('\n').find((l) => l.startsWith('Released by:'))!;
    expect(line.length).toBeLessThan(260);
    expect(line).toMatch(/x…$/);

    const hidden = seeded({ RELEASE_SOURCES: 'audit', EMAIL_HIDE_RELEASER: 'true' });
    hidden.m365.release({
      networkMessageId: DLP,
      by: 'admin-api',
      app: { id: 'app', name: 'Contoso Release Desk' },
    });
    await cycle(hidden);
    expect(hidden.channel.emails()[0].plainText).toMatch(/Released by: an administrator\n/);
  });

  test('GIVEN a message quarantined and released between two snapshots THEN its release waits pending, then is notified', async () => {
    const w = memoryWorld({ RELEASE_SOURCES: 'audit' });
    await w.runSnapshot();
    const { networkMessageId } = w.m365.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      subject: 'Contract draft',
      type: 'TransportRule',
    });
    w.m365.release({ networkMessageId, by: ADMIN });
    w.clock.advance(80 * MINUTE);
    const first = await w.runNotify();
    expect(first).toMatchObject({ newReleases: 1, pending: 1, emailsSent: 0 });
    expect(await releaseRow(w, networkMessageId)).toMatchObject({ status: 'pending' });

    await w.runSnapshot();
    const second = await w.runNotify();
    expect(second).toMatchObject({ emailsSent: 1, notified: 1 });
    expect(w.channel.emails()).toHaveLength(1);
    // The audit record's time is exact: "at", not "no later than".
    expect(w.channel.emails()[0].plainText).toMatch(/^Released at: /m);
  });

  test('GIVEN a later record for an already-notified message THEN a follow-up names only the new recipient', async () => {
    const w = seeded({ RELEASE_SOURCES: 'audit' });
    w.m365.release({ networkMessageId: TRANSPORT_RULE, by: ADMIN, recipients: ['buyer@fabrikam.example'] });
    await cycle(w);
    w.clock.advance(HOUR);
    w.m365.release({ networkMessageId: TRANSPORT_RULE, by: ADMIN, recipients: ['ap@fabrikam.example'] });
    w.clock.advance(80 * MINUTE);
    await w.runNotify();

    const emails = w.channel.emails();
    expect(emails).toHaveLength(2);
    expect(emails[1].plainText).toContain('ap@fabrikam.example');
    expect(emails[1].plainText).not.toMatch(/Released to:[^\n]*buyer@fabrikam\.example/);
  });

  test('GIVEN pilot settings THEN dry run sends nothing, redirect sends to the administrator, the allow-list skips others', async () => {
    const dry = seeded({ NOTIFY_DRY_RUN: 'true' });
    dry.m365.release({ networkMessageId: DLP, by: ADMIN });
    const summary = await cycle(dry);
    expect(dry.channel.sends).toHaveLength(0);
    expect(summary).toMatchObject({ emailsComposed: 1, emailsSent: 0 });
    expect(await releaseRow(dry, DLP)).toMatchObject({ status: 'skipped', reason: 'dry run' });

    const w = seeded({
      NOTIFY_REDIRECT_TO: 'pilot.admin@contoso.com',
      NOTIFY_ALLOWED_SENDERS: 'alex.wilber@contoso.com',
    });
    w.m365.release({ networkMessageId: DLP, by: ADMIN });
    w.m365.release({ networkMessageId: TRANSPORT_RULE, by: ADMIN });
    await cycle(w);
    const emails = w.channel.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0].to).toBe('pilot.admin@contoso.com');
    expect(emails[0].subject).toContain('alex.wilber@contoso.com');
    expect(await releaseRow(w, TRANSPORT_RULE)).toMatchObject({ status: 'skipped', reason: 'not in scope' });
  });

  test('GIVEN a release whose message never reaches the snapshot THEN it waits pending until the deadline, then is unmatched with a warning', async () => {
    const w = memoryWorld({ RELEASE_MATCH_DEADLINE_HOURS: '2' });
    const [record] = w.m365.release({
      networkMessageId: w.m365.addMessage({
        sender: 'megan.bowen@contoso.com',
        recipients: ['buyer@fabrikam.example'],
        type: 'TransportRule',
      }).networkMessageId,
      by: ADMIN,
    });
    const id = String((record.auditData as Record<string, unknown>).NetworkMessageId);
    w.m365.deleteMessage(id); // gone before any snapshot saw it
    w.clock.advance(80 * MINUTE);
    const first = await w.runNotify();
    expect(first).toMatchObject({ newReleases: 1, pending: 1 });
    w.clock.advance(2 * HOUR + MINUTE);
    const later = await w.runNotify();
    expect(later).toMatchObject({ unmatched: 1, pending: 0 });
    expect(await releaseRow(w, id)).toMatchObject({ status: 'unmatched' });
    expect(w.logger.text()).toContain('release unmatched after the deadline');
    expect(w.channel.sends).toHaveLength(0);
  });

  test('GIVEN the email service fails every send THEN it is retried on later runs up to the limit, then marked failed and visible', async () => {
    const w = seeded({ MAX_SEND_ATTEMPTS: '3' });
    for (let i = 0; i < 10; i++)
      w.channel.script.push({ kind: 'failed', permanent: false, reason: 'HTTP 500' });
    w.m365.release({ networkMessageId: DLP, by: ADMIN });
    const first = await cycle(w);
    expect(first).toMatchObject({ emailsSent: 0, failed: 0, carriedOver: 1 });
    expect(await releaseRow(w, DLP)).toMatchObject({ status: 'pending', sendAttempts: 1 });
    w.clock.advance(15 * MINUTE);
    await w.runNotify();
    w.clock.advance(15 * MINUTE);
    await w.runNotify(); // the third attempt: a 500 may hide an accepted send, so it is checked first
    expect(await releaseRow(w, DLP)).toMatchObject({ status: 'pending', sendAttempts: 3 });
    w.clock.advance(15 * MINUTE);
    const fourth = await w.runNotify(); // the service never got it: out of attempts, failed
    expect(fourth).toMatchObject({ failed: 1 });
    const row = await releaseRow(w, DLP);
    expect(row).toMatchObject({ status: 'failed', sendAttempts: 3 });
    expect(row.reason).toMatch(/send failed after 3 attempts/);
    w.clock.advance(15 * MINUTE);
    expect(await w.runNotify()).toMatchObject({ emailsSent: 0, failed: 0 });
    expect(w.channel.emails()).toHaveLength(0);
  });

  test('GIVEN RELEASES_RETENTION_DAYS has passed THEN settled releases and their notifications are purged, pending ones kept', async () => {
    const w = seeded({ RELEASES_RETENTION_DAYS: '7', RELEASE_MATCH_DEADLINE_HOURS: '720' });
    w.m365.release({ networkMessageId: DLP, by: ADMIN });
    const waiting = w.m365.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      type: 'TransportRule',
    }).networkMessageId;
    w.m365.release({ networkMessageId: waiting, by: ADMIN });
    w.m365.deleteMessage(waiting); // never reaches the snapshot: stays pending
    const first = await cycle(w);
    expect(first.purged).toEqual({ releases: 0, notifications: 0 });
    expect(await releaseRow(w, DLP)).toMatchObject({ status: 'notified' });

    w.clock.advance(8 * 24 * HOUR);
    const later = await w.runNotify();
    expect(later.purged).toEqual({ releases: 1, notifications: 1 });
    expect(await w.releases.listForMessage(DLP)).toHaveLength(0);
    expect(await releaseRow(w, waiting)).toMatchObject({ status: 'pending' });

    w.clock.advance(HOUR);
    expect((await w.runNotify()).purged).toBeUndefined(); // once a day
  });

  test('GIVEN pending releases still held by an abandoned notification (a run killed between abandoning it and freeing them) THEN the next run frees them and tells the sender once', async () => {
    const w = memoryWorld();
    const id = w.m365.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example', 'ap@fabrikam.example'],
      subject: 'Board pack (draft)',
      type: 'TransportRule',
    }).networkMessageId;
    await w.runSnapshot();
    w.m365.release({ networkMessageId: id, by: ADMIN });
    w.clock.advance(15 * MINUTE);
    await w.runSnapshot();
    w.channel.script.push({ kind: 'throttled', retryAfterSeconds: 60 });
    const throttled = await w.runNotify();
    expect(throttled.emailsSent).toBe(0);

    // What the killed run left: the notification abandoned, its releases still naming it.
    const rows = await w.releases.listForMessage(id);
    const sender = rows[0].sender!;
    const notificationId = w.channel.sends[0].operationId; // a notification's first operation id is its id
    for (const row of rows) await w.releases.update({ ...row, notificationId, etag: undefined });
    expect(await w.notifications.get(sender, notificationId)).toMatchObject({ state: 'abandoned' });

    w.clock.advance(15 * MINUTE);
    const next = await w.runNotify();
    expect(next.emailsSent).toBe(1);
    w.clock.advance(15 * MINUTE);
    await w.runNotify();
    expect(w.channel.emails()).toHaveLength(1);
    expect(await statuses(w, id)).toEqual(['notified', 'notified']);
  });
});
