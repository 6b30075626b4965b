import { randomUUID } from 'node:crypto';
import type { QuarantinedMessage } from '../../../lib/core/domain';
import type { QuarantineLookup } from '../../../lib/jobs/notify/ports';

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

/** The rules every implementation of notify's snapshot lookup keeps (table-backed and in memory). */
export function quarantineContract(
  name: string,
  open: () => Promise<QuarantineLookup & { upsertMany(m: readonly QuarantinedMessage[]): Promise<unknown> }>,
): void {
  describe(`quarantine lookup contract: ${name}`, () => {
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
  });
}
