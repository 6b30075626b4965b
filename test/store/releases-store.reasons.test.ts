import { releaseReason } from '../../lib/core/outcomes';
import { randomUUID } from 'node:crypto';
import { releaseRowKey, ReleasesStore } from '../../lib/store/releases-store';
import type { Tables } from '../../lib/store/tables';
import { openTestTables } from '../support/snapshot-world';

describe('a release row carries its reason code beside the sentence', () => {
  let tables: Tables;
  let releases: ReleasesStore;
  beforeAll(async () => {
    tables = await openTestTables('reasons');
    releases = new ReleasesStore(tables.releases);
  });

  /** A row as a version before reason codes wrote it: the sentence only. */
  async function oldRow(reason: string) {
    const networkMessageId = randomUUID();
    const releasedTo = 'buyer@fabrikam.example';
    await tables.releases.createEntity({
      partitionKey: networkMessageId,
      rowKey: releaseRowKey(releasedTo),
      networkMessageId,
      releasedTo,
      status: 'skipped',
      reason,
      releasedAt: '2026-03-02T10:00:00.000Z',
      isSystemRelease: false,
      sources: JSON.stringify(['audit']),
      auditRecordIds: JSON.stringify([]),
      firstSeenAt: '2026-03-02T10:00:00.000Z',
      updatedAt: '2026-03-02T10:00:00.000Z',
    });
    return (await releases.get(networkMessageId, releasedTo))!;
  }

  test.each([
    ['sender outside the tenant (domains from Graph)', 'sender-outside-graph'],
    ['dry run', 'dry-run'],
    ['send failed after 3 attempts: mailbox full', 'send-failed'],
    ['redirected to a@b.example; delivered (ACS confirmed it by 2026-03-02T11:00:00.000Z)', 'redirected'],
  ])('GIVEN an old row with the sentence "%s" only THEN it reads with the code %s', async (reason, code) => {
    const row = await oldRow(reason);
    expect(row).toMatchObject({ reason, reasonCode: code });
  });

  test('GIVEN an old row whose sentence no code knows THEN its code is other and its sentence is kept', async () => {
    expect(await oldRow('held by a rule that is gone')).toMatchObject({
      reason: 'held by a rule that is gone',
      reasonCode: 'other',
    });
  });

  test('GIVEN a row updated with a new sentence and its code dropped THEN the stored code follows the sentence, never the old code; GIVEN one with its code THEN that code is stored', async () => {
    const row = await oldRow('dry run');
    expect(row.reasonCode).toBe('dry-run');
    row.status = 'failed';
    row.reason = 'send failed after 1 attempt: rejected';
    delete row.reasonCode; // what every writer does when it changes a sentence without giving its code
    row.etag = (await releases.update(row))!;
    const entity = await tables.releases.getEntity<Record<string, unknown>>(
      row.networkMessageId,
      releaseRowKey(row.releasedTo),
    );
    expect(entity).toMatchObject({
      reason: 'send failed after 1 attempt: rejected',
      reasonCode: 'send-failed',
    });
    Object.assign(row, releaseReason('redirected', 'redirected to pilot@contoso.com'), {
      status: 'notified',
    });
    row.etag = (await releases.update(row))!;
    expect((await releases.get(row.networkMessageId, row.releasedTo))?.reasonCode).toBe('redirected');
    row.reason = undefined;
    row.status = 'notified';
    expect(await releases.update(row)).toBeDefined();
    const cleared = await releases.get(row.networkMessageId, row.releasedTo);
    expect(cleared!.reason).toBeUndefined();
    expect(cleared!.reasonCode).toBeUndefined();
  });
});
