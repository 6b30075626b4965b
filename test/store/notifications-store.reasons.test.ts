import { randomUUID } from 'node:crypto';
import { NotificationsStore, senderPartitionKey } from '../../lib/store/notifications-store';
import type { Tables } from '../../lib/store/tables';
import { openTestTables } from '../support/snapshot-world';

describe("a notification's last error carries its code beside the sentence", () => {
  let tables: Tables;
  let notifications: NotificationsStore;
  const sender = 'megan.bowen@contoso.com';
  beforeAll(async () => {
    tables = await openTestTables('notificationreasons');
    notifications = new NotificationsStore(tables.notifications);
  });

  /** A record as a version before codes wrote it: the sentence only. */
  async function oldRecord(lastError: string) {
    const id = randomUUID();
    await tables.notifications.createEntity({
      partitionKey: senderPartitionKey(sender),
      rowKey: id,
      sender,
      id,
      operationId: id,
      state: 'abandoned',
      units: JSON.stringify([]),
      deliveredTo: sender,
      channel: 'acs',
      createdAt: '2026-03-02T12:00:00.000Z',
      lastError,
    });
    return (await notifications.get(sender, id))!;
  }

  test.each([
    ['throttled', 'throttled'],
    ['ACS accepted the email, then reported it Failed: mailbox full', 'delivery-failed'],
    ['ACS accepted the email but never reported its delivery (still running)', 'delivery-unconfirmed'],
    ['the email channel reported the send failed', 'send-failed'],
    ['550 5.1.1 recipient rejected', 'send-refused'],
  ])(
    'GIVEN an old record whose last error is "%s" THEN it reads with the code %s',
    async (lastError, code) => {
      expect(await oldRecord(lastError)).toMatchObject({ lastError, lastErrorCode: code });
    },
  );

  test('GIVEN a record updated with a new last error THEN the stored code follows the sentence', async () => {
    const record = await oldRecord('throttled');
    record.lastError = 'ACS accepted the email, then reported it Failed: suppressed';
    expect(await notifications.update(record)).toBe(true);
    const entity = await tables.notifications.getEntity<Record<string, unknown>>(
      senderPartitionKey(sender),
      record.id,
    );
    expect(entity).toMatchObject({ lastErrorCode: 'delivery-failed' });
  });
});
