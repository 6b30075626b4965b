import { randomUUID } from 'node:crypto';
import type { ReleaseEvent } from '../../lib/core/domain';
import { NotificationsStore, type NotificationRecord } from '../../lib/store/notifications-store';
import { ReleasesStore } from '../../lib/store/releases-store';
import type { Tables } from '../../lib/store/tables';
import { openTestTables } from '../support/snapshot-world';

const NOW = new Date('2026-03-02T12:00:00Z');

function event(releasedTo: string | undefined, networkMessageId = randomUUID()): ReleaseEvent {
  return {
    id: randomUUID(),
    source: 'audit',
    networkMessageId,
    releasedTo,
    releasedAt: '2026-03-02T11:00:00.000Z',
    releasedBy: 'adele.vance@contoso.com',
    releasedByRaw: 'adele.vance@contoso.com',
    isSystemRelease: false,
  };
}

describe('release and notification keys are hashes of outside text', () => {
  let tables: Tables;
  let releases: ReleasesStore;
  beforeAll(async () => {
    tables = await openTestTables('keys');
    releases = new ReleasesStore(tables.releases);
  });

  test('GIVEN a row written under the old encodeURIComponent key THEN it is read, completed and updated under its own key, never duplicated', async () => {
    const networkMessageId = randomUUID();
    const releasedTo = 'buyer@fabrikam.example';
    await tables.releases.createEntity({
      partitionKey: networkMessageId,
      rowKey: encodeURIComponent(releasedTo),
      networkMessageId,
      releasedTo,
      status: 'pending',
      releasedAt: '2026-03-02T10:00:00.000Z',
      isSystemRelease: false,
      sources: JSON.stringify(['quarantine']),
      auditRecordIds: JSON.stringify([]),
      firstSeenAt: '2026-03-02T10:00:00.000Z',
      updatedAt: '2026-03-02T10:00:00.000Z',
    });
    expect(await releases.record(event(releasedTo, networkMessageId), NOW)).toBe('completed');
    const row = await releases.get(networkMessageId, releasedTo);
    expect(row!.sources).toEqual(['quarantine', 'audit']);
    row!.status = 'notified';
    expect(await releases.update(row!)).toBeDefined();
    const all = await releases.listForMessage(networkMessageId);
    expect(all.map((r) => r.status)).toEqual(['notified']);
  });

  test('GIVEN a notification recorded under the old sender key THEN it is found and updated in place', async () => {
    const notifications = new NotificationsStore(tables.notifications);
    const sender = "o'brien+x@contoso.com";
    const id = randomUUID();
    await tables.notifications.createEntity({
      partitionKey: encodeURIComponent(sender),
      rowKey: id,
      sender,
      id,
      operationId: id,
      state: 'sending',
      units: JSON.stringify([]),
      deliveredTo: sender,
      channel: 'acs',
      createdAt: NOW.toISOString(),
    });
    const found = (await notifications.get(sender, id)) as NotificationRecord;
    expect(found.state).toBe('sending');
    found.state = 'complete';
    expect(await notifications.update(found)).toBe(true);
    expect((await notifications.get(sender, id))!.state).toBe('complete');
    expect(await notifications.listUnfinished()).toEqual([]);
  });
});
