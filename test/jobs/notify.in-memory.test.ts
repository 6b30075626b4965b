import { MINUTE } from '../../lib/core/clock';
import { runNotify } from '../../lib/jobs/notify';
import { memoryTenant, type MemoryTenant } from '../support/memory-notify';

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
    expect(await statuses(t, id)).toEqual(['notified']);
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
    expect(second.emailsSent).toBe(2);
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
