import { randomUUID } from 'node:crypto';
import type { QuarantinedMessage } from '../../../lib/core/domain';
import type { QuarantineLookup } from '../../../lib/jobs/notify/ports';
import type { QuarantineWriter } from '../../../lib/jobs/snapshot/ports';
import { MAX_STRING_CHARS, truncationMarker } from '../../../lib/store/quarantine-store';

export function quarantinedMessage(
  networkMessageId: string,
  recipient: string,
  overrides: Partial<QuarantinedMessage> = {},
): QuarantinedMessage {
  const rowId = randomUUID();
  return {
    networkMessageId,
    rowId,
    identity: `${networkMessageId}\\${rowId}`,
    receivedAt: '2026-03-02T09:00:00.000Z',
    expiresAt: '2026-04-01T09:00:00.000Z',
    senderAddress: 'sender@contoso.com',
    recipients: [recipient],
    recipientCount: 1,
    subject: 'Quarterly figures',
    type: 'TransportRule',
    direction: 'Outbound',
    releaseStatus: 'RELEASED',
    released: true,
    releasedBy: [],
    releasedUsers: [recipient],
    releasedCount: 1,
    ...overrides,
  };
}

/**
 * The rules every implementation of the snapshot table keeps (table-backed and in memory), as notify's
 * lookup reads it and the snapshot job writes and purges it.
 */
export function quarantineContract(
  name: string,
  open: () => Promise<QuarantineLookup & QuarantineWriter>,
): void {
  describe(`quarantine snapshot contract: ${name}`, () => {
    test('GIVEN a message with a row per recipient, written twice THEN the lookup finds each row once, whatever the id case or braces', async () => {
      const quarantine = await open();
      const id = randomUUID().toLowerCase();
      const rows = [
        quarantinedMessage(id, 'a@fabrikam.com'),
        quarantinedMessage(id, 'b@fabrikam.com'),
        quarantinedMessage(randomUUID(), 'c@fabrikam.com'),
      ];
      await quarantine.upsertMany(rows);
      await quarantine.upsertMany(rows);
      for (const asked of [id, `{${id.toUpperCase()}}`]) {
        const found = await quarantine.findByNetworkMessageId(asked);
        expect(found.map((m) => m.recipients[0]).sort()).toEqual(['a@fabrikam.com', 'b@fabrikam.com']);
        expect(found[0]).toMatchObject({ senderAddress: 'sender@contoso.com', subject: 'Quarterly figures' });
      }
      expect(await quarantine.findByNetworkMessageId(randomUUID())).toEqual([]);
      expect(await quarantine.findByNetworkMessageId('  ')).toEqual([]);
    });

    test('GIVEN rows written, the same row twice in one call THEN upsertMany counts each row once and refuses none', async () => {
      const quarantine = await open();
      const row = quarantinedMessage(randomUUID(), 'a@fabrikam.com');
      const result = await quarantine.upsertMany([
        row,
        row,
        quarantinedMessage(randomUUID(), 'b@fabrikam.com'),
      ]);
      expect(result).toEqual({ written: 2, truncated: 0, refused: [] });
    });

    test('GIVEN outside text past the table limits (a 40,000-character subject, 40,000 recipients) THEN the row is stored cut to fit, each cut marked and counted', async () => {
      const quarantine = await open();
      const id = randomUUID();
      const recipients = Array.from({ length: 40_000 }, (_, i) => `member${i}@fabrikam.example`);
      const result = await quarantine.upsertMany([
        quarantinedMessage(id, 'a@fabrikam.com', { subject: 'S'.repeat(40_000), recipients }),
      ]);
      expect(result).toEqual({ written: 1, truncated: 1, refused: [] });
      const [row] = await quarantine.findByNetworkMessageId(id);
      expect(row.subject).toHaveLength(MAX_STRING_CHARS);
      expect(row.subject.endsWith(truncationMarker(40_000))).toBe(true);
      expect(row.recipients.length).toBeLessThan(40_000);
      expect(row.recipients).toEqual(recipients.slice(0, row.recipients.length));
      expect(row.truncated).toEqual({ subject: 40_000, recipients: 40_000 });
    });

    test('GIVEN rows whose retention ends before and after a time THEN purgeExpired deletes only the ended ones and counts them', async () => {
      const quarantine = await open();
      const ended = randomUUID();
      const kept = randomUUID();
      await quarantine.upsertMany([
        quarantinedMessage(ended, 'a@fabrikam.com', { expiresAt: '2026-03-01T00:00:00.000Z' }),
        quarantinedMessage(ended, 'b@fabrikam.com', { expiresAt: '2026-03-01T00:00:00.000Z' }),
        quarantinedMessage(kept, 'c@fabrikam.com', { expiresAt: '2026-04-01T00:00:00.000Z' }),
      ]);
      expect(await quarantine.purgeExpired(new Date('2026-03-15T00:00:00Z'))).toBe(2);
      expect(await quarantine.findByNetworkMessageId(ended)).toEqual([]);
      expect(await quarantine.findByNetworkMessageId(kept)).toHaveLength(1);
      expect(await quarantine.purgeExpired(new Date('2026-03-15T00:00:00Z'))).toBe(0);
    });
  });
}
