import { randomUUID } from 'node:crypto';
import type { NotificationsPort } from '../../../lib/jobs/notify/ports';
import type { NotificationRecord } from '../../../lib/store/notifications-store';

function record(overrides: Partial<NotificationRecord> = {}): NotificationRecord {
  const id = randomUUID();
  return {
    sender: `${randomUUID()}@contoso.com`,
    id,
    operationId: id,
    state: 'sending',
    units: [{ networkMessageId: randomUUID(), releasedTo: 'megan@contoso.com' }],
    deliveredTo: 'sender@contoso.com',
    channel: 'acs',
    createdAt: '2026-03-02T12:00:00.000Z',
    ...overrides,
  };
}

/** The rules every implementation of notify's notifications port keeps (table-backed and in memory). */
export function notificationsContract(name: string, open: () => Promise<NotificationsPort>): void {
  describe(`notifications port contract: ${name}`, () => {
    let notifications: NotificationsPort;
    beforeEach(async () => {
      notifications = await open();
    });

    test('GIVEN a notification WHEN it is created twice THEN the second create is refused and the first kept', async () => {
      const r = record();
      expect(await notifications.create(r)).toBe(true);
      expect(await notifications.create({ ...r, deliveredTo: 'other@contoso.com' })).toBe(false);
      expect(await notifications.get(r.sender, r.id)).toMatchObject({
        deliveredTo: 'sender@contoso.com',
        units: r.units,
        state: 'sending',
      });
    });

    test('GIVEN a notification read twice WHEN both copies are written THEN the second write loses', async () => {
      const r = record();
      await notifications.create(r);
      const a = (await notifications.get(r.sender, r.id))!;
      const b = (await notifications.get(r.sender, r.id))!;
      expect(a.etag).toEqual(expect.any(String));
      expect(await notifications.update({ ...a, state: 'sent' })).toBe(true);
      expect(await notifications.update({ ...b, state: 'abandoned' })).toBe(false);
      expect((await notifications.get(r.sender, r.id))?.state).toBe('sent');
    });

    test('GIVEN a created notification WHEN updated with the ETag create gave it THEN no read is needed; an update with that ETag again loses', async () => {
      const r = record();
      expect(await notifications.create(r)).toBe(true);
      const created = r.etag;
      expect(created).toEqual(expect.any(String));
      expect(await notifications.update(Object.assign(r, { state: 'sent' }))).toBe(true);
      expect(r.etag).toEqual(expect.any(String));
      expect(r.etag).not.toBe(created);
      expect(await notifications.update({ ...r, etag: created, state: 'abandoned' })).toBe(false);
      expect((await notifications.get(r.sender, r.id))?.state).toBe('sent');
    });

    test('GIVEN a notification without an ETag WHEN updated THEN it is replaced unconditionally', async () => {
      const r = record({ attempts: ['x'] });
      await notifications.create(r);
      expect(
        await notifications.update({ ...r, etag: undefined, state: 'complete', attempts: ['x', 'y'] }),
      ).toBe(true);
      expect(await notifications.get(r.sender.toUpperCase(), r.id)).toMatchObject({
        state: 'complete',
        attempts: ['x', 'y'],
      });
    });

    test('GIVEN notifications in every state THEN listUnfinished yields the sending and sent ones, listAwaitingDelivery those awaiting, at most the limit', async () => {
      const sending = record();
      const sent = record({ state: 'sent', delivery: 'awaiting' });
      const complete = record({ state: 'complete', delivery: 'awaiting' });
      const abandoned = record({ state: 'abandoned' });
      for (const r of [sending, sent, complete, abandoned]) await notifications.create(r);
      const mine = new Set([sending.id, sent.id, complete.id, abandoned.id]);
      const unfinished = (await notifications.listUnfinished()).filter((r) => mine.has(r.id));
      expect(unfinished.map((r) => r.id).sort()).toEqual([sending.id, sent.id].sort());
      const awaiting = (await notifications.listAwaitingDelivery(100)).filter((r) => mine.has(r.id));
      expect(awaiting.map((r) => r.id).sort()).toEqual([sent.id, complete.id].sort());
      expect(await notifications.listAwaitingDelivery(1)).toHaveLength(1);
      expect(await notifications.listAwaitingDelivery(0)).toEqual([]);
    });

    test('GIVEN old finished and old sending notifications WHEN purged THEN the sending one stays', async () => {
      const old = record({ state: 'complete', createdAt: '2020-01-01T00:00:00.000Z' });
      const oldSending = record({ createdAt: '2020-01-01T00:00:00.000Z' });
      for (const r of [old, oldSending]) await notifications.create(r);
      expect(
        await notifications.purgeFinishedBefore(new Date('2021-01-01T00:00:00Z')),
      ).toBeGreaterThanOrEqual(1);
      expect(await notifications.get(old.sender, old.id)).toBeUndefined();
      expect(await notifications.get(oldSending.sender, oldSending.id)).toBeDefined();
    });
  });
}
