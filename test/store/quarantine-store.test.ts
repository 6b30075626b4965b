import { randomUUID } from 'node:crypto';
import type { QuarantinedMessage } from '../../lib/core/domain';
import { mapQuarantineRow } from '../../lib/sources/exchange/quarantine';
import { QuarantineStore, MAX_STRING_CHARS } from '../../lib/store/quarantine-store';
import type { Tables } from '../../lib/store/tables';
import { quarantineFixtureRows } from '../support/fixtures';
import { openTestTables, storedRows } from '../support/snapshot-world';

function fixtureMessages(): QuarantinedMessage[] {
  return quarantineFixtureRows().map((row) => {
    const mapped = mapQuarantineRow(row);
    if ('skipped' in mapped) throw new Error(mapped.skipped);
    return mapped.message;
  });
}

function message(overrides: Partial<QuarantinedMessage> = {}): QuarantinedMessage {
  const networkMessageId = overrides.networkMessageId ?? randomUUID();
  const rowId = overrides.rowId ?? randomUUID();
  return {
    networkMessageId,
    rowId,
    identity: `${networkMessageId}\\${rowId}`,
    receivedAt: '2026-03-01T10:00:00.000Z',
    expiresAt: '2026-03-31T10:00:00.000Z',
    senderAddress: 'megan.bowen@contoso.com',
    recipients: ['buyer@fabrikam.example'],
    recipientCount: 1,
    subject: 'Q1 price list',
    type: 'TransportRule',
    releasedBy: [],
    releasedUsers: [],
    releasedCount: 0,
    ...overrides,
  };
}

function withoutSystemFields(rows: Record<string, unknown>[]) {
  return rows
    .map(({ etag: _e, timestamp: _t, ...rest }) => rest)
    .sort((a, b) => `${a.partitionKey}${a.rowKey}`.localeCompare(`${b.partitionKey}${b.rowKey}`));
}

describe('The quarantined-messages table', () => {
  let tables: Tables;
  let store: QuarantineStore;

  beforeEach(async () => {
    tables = await openTestTables('store');
    store = new QuarantineStore(tables.quarantine);
  });

  test('GIVEN a batch in which the table refuses one entity (400) THEN the others of its transaction are still written and the refused one is returned to be set aside', async () => {
    const poison = message({ networkMessageId: '0badc0de-0000-4000-8000-000000000001' });
    const sibling = message({ networkMessageId: poison.networkMessageId });
    const other = message();
    const refusing = new Proxy(tables.quarantine, {
      get(target, name, receiver) {
        const refuse = (entity: { rowKey?: string }) => {
          if (entity.rowKey === poison.rowId.toLowerCase())
            throw Object.assign(new Error('The property value exceeds the maximum allowed size'), {
              statusCode: 400,
            });
        };
        if (name === 'upsertEntity')
          return async (entity: { rowKey?: string }, mode: 'Replace') => {
            refuse(entity);
            return target.upsertEntity(entity as never, mode);
          };
        if (name === 'submitTransaction')
          return async (actions: [string, { rowKey?: string }][]) => {
            for (const [, entity] of actions) refuse(entity);
            return target.submitTransaction(actions as never);
          };
        return Reflect.get(target, name, receiver);
      },
    });
    const result = await new QuarantineStore(refusing).upsertMany([poison, sibling, other]);
    expect(result.written).toBe(2);
    expect(result.refused.map((r) => r.networkMessageId)).toEqual([poison.networkMessageId]);
    expect((await store.findByNetworkMessageId(poison.networkMessageId)).map((m) => m.rowId)).toEqual([
      sibling.rowId,
    ]);
    expect(await store.findByNetworkMessageId(other.networkMessageId)).toHaveLength(1);
  });

  test('every fixture row is stored, and one message’s rows come back with one lookup', async () => {
    const messages = fixtureMessages();
    const result = await store.upsertMany(messages);
    expect(result).toEqual({ written: 6, truncated: 0, refused: [] });

    const rows = await store.findByNetworkMessageId('3F2A9C1E-7B4D-4E8A-1C2D-08DE0A1B2C3D');
    expect(rows.map((r) => r.recipients[0]).sort()).toEqual([
      'ap@fabrikam.example',
      'buyer@fabrikam.example',
    ]);
    for (const original of messages) {
      const [back] = (await store.findByNetworkMessageId(original.networkMessageId)).filter(
        (r) => r.rowId === original.rowId,
      );
      expect(back).toEqual(original);
    }
  });

  test('keys are the lower-case NetworkMessageId and the second GUID; the raw Identity is a property', async () => {
    await store.upsertMany(fixtureMessages().slice(0, 1));
    const [entity] = await storedRows(tables);
    expect(entity.partitionKey).toBe('3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d');
    expect(entity.rowKey).toBe('9b8c7d6e-5f4a-3b2c-1d0e-f9e8d7c6b5a4');
    expect(entity.identity).toBe(
      '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d\\9b8c7d6e-5f4a-3b2c-1d0e-f9e8d7c6b5a4',
    );
    expect(entity.recipients).toBe('["buyer@fabrikam.example"]');
  });

  test('an unknown message finds nothing', async () => {
    expect(await store.findByNetworkMessageId(randomUUID())).toEqual([]);
    expect(await store.findByNetworkMessageId('')).toEqual([]);
  });

  test('storing the same rows twice leaves the same table', async () => {
    const messages = fixtureMessages();
    await store.upsertMany(messages);
    const first = withoutSystemFields(await storedRows(tables));
    await store.upsertMany(messages);
    expect(withoutSystemFields(await storedRows(tables))).toEqual(first);
  });

  test('a newer state of a row replaces the older one (a release seen later)', async () => {
    const original = message();
    await store.upsertMany([original]);
    await store.upsertMany([
      { ...original, releaseStatus: 'RELEASED', releasedCount: 1, releasedBy: ['admin@contoso.com'] },
    ]);
    const [back] = await store.findByNetworkMessageId(original.networkMessageId);
    expect(back.releaseStatus).toBe('RELEASED');
    expect(back.releasedBy).toEqual(['admin@contoso.com']);
  });

  test('a message with 250 recipients is written in transactions of at most 100 and read back whole', async () => {
    const networkMessageId = randomUUID();
    const messages = Array.from({ length: 250 }, (_, i) =>
      message({ networkMessageId, recipients: [`r${i}@fabrikam.example`] }),
    );
    const result = await store.upsertMany(messages);
    expect(result.written).toBe(250);
    expect(await store.findByNetworkMessageId(networkMessageId)).toHaveLength(250);
  });

  test('a 40,000-character subject is cut with a visible marker, and the write succeeds', async () => {
    const long = message({ subject: 'x'.repeat(40_000) });
    expect(await store.upsertMany([long])).toEqual({ written: 1, truncated: 1, refused: [] });
    const [back] = await store.findByNetworkMessageId(long.networkMessageId);
    expect(back.subject.length).toBe(MAX_STRING_CHARS);
    expect(back.subject).toMatch(/… \[cut by the snapshot: 40000 characters\]$/);
    expect(back.truncated).toEqual({ subject: 40_000 });
  });

  test('a cut never splits an emoji in two', async () => {
    const long = message({ subject: '😀'.repeat(20_000) });
    await store.upsertMany([long]);
    const [back] = await store.findByNetworkMessageId(long.networkMessageId);
    const kept = back.subject.replace(/… \[cut by the snapshot: \d+ characters\]$/, '');
    expect(kept.length % 2).toBe(0);
    expect(kept).toBe('😀'.repeat(kept.length / 2));
  });

  test('a 3,000-recipient message keeps every recipient', async () => {
    const recipients = Array.from({ length: 3000 }, (_, i) => `recipient.number.${i}@fabrikam.example`);
    const big = message({ recipients, recipientCount: 3000 });
    expect(JSON.stringify(recipients).length).toBeGreaterThan(MAX_STRING_CHARS);
    expect(await store.upsertMany([big])).toEqual({ written: 1, truncated: 0, refused: [] });
    const [back] = await store.findByNetworkMessageId(big.networkMessageId);
    expect(back.recipients).toEqual(recipients);
    expect(back.recipientCount).toBe(3000);
    expect(back.truncated).toBeUndefined();
  });

  test('a recipient list past the 1 MiB entity limit is shortened, its count kept, and the write succeeds', async () => {
    const recipients = Array.from({ length: 40_000 }, (_, i) => `recipient.number.${i}@fabrikam.example`);
    const huge = message({ recipients, recipientCount: 40_000 });
    expect(await store.upsertMany([huge])).toEqual({ written: 1, truncated: 1, refused: [] });
    const [back] = await store.findByNetworkMessageId(huge.networkMessageId);
    expect(back.recipients.length).toBeGreaterThan(10_000);
    expect(back.recipients.length).toBeLessThan(40_000);
    expect(back.recipients).toEqual(recipients.slice(0, back.recipients.length));
    expect(back.recipientCount).toBe(40_000);
    expect(back.truncated).toEqual({ recipients: 40_000 });
  });

  test('rows past their retention are purged in batches, the others kept', async () => {
    const bigMessage = randomUUID();
    const expired = [
      ...Array.from({ length: 150 }, () =>
        message({ networkMessageId: bigMessage, expiresAt: '2026-01-01T00:00:00.000Z' }),
      ),
      ...Array.from({ length: 30 }, () => message({ expiresAt: '2026-01-15T00:00:00.000Z' })),
    ];
    const kept = Array.from({ length: 20 }, () => message({ expiresAt: '2026-03-01T00:00:00.000Z' }));
    const noExpiry = message({ expiresAt: undefined, receivedAt: '2025-11-01T00:00:00.000Z' });
    await store.upsertMany([...expired, ...kept, noExpiry]);

    const purged = await store.purgeExpired(new Date('2026-02-01T00:00:00Z'));
    expect(purged).toBe(181);
    const left = await storedRows(tables);
    expect(left).toHaveLength(20);
    expect(await store.purgeExpired(new Date('2026-02-01T00:00:00Z'))).toBe(0);
  });
});
