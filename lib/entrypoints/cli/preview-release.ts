import type { Application } from '../../composition';
import type { Notification, ReleasedMessageSummary } from '../../mail/compose';

/**
 * The notification one real release would produce: its rows in the releases table (a release to several
 * recipients is several rows), joined to the quarantine snapshot for the fields a pending row lacks.
 */
export async function notificationForRelease(
  app: Pick<Application, 'releases' | 'quarantine'>,
  networkMessageId: string,
): Promise<Notification | undefined> {
  const id = networkMessageId.trim().toLowerCase();
  if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
  const rows = await app.releases.listForMessage(id);
  if (rows.length === 0) return undefined;
  const snapshot = await app.quarantine.findByNetworkMessageId(id);
  const first = snapshot.find((m) => m.senderAddress) ?? snapshot[0];
  const sender = rows[0].sender ?? first?.senderAddress;
  if (!sender) return undefined;
  const person = rows.find((r) => r.releasedBy && !r.isSystemRelease);
  const message: ReleasedMessageSummary = {
    subject: rows[0].subject ?? first?.subject ?? '',
    originalRecipients: rows[0].originalRecipients ?? [...new Set(snapshot.flatMap((m) => m.recipients))],
    releasedTo: rows.map((r) => r.releasedTo).filter(Boolean),
    quarantinedAt: rows[0].receivedAt ?? first?.receivedAt,
    releasedAt: rows.map((r) => r.releasedAt).sort()[0],
    releaser: person
      ? { kind: 'person', name: person.releasedBy! }
      : rows.every((r) => r.isSystemRelease)
        ? { kind: 'system' }
        : { kind: 'administrator' },
    type: rows[0].type ?? first?.type,
    policyType: rows[0].policyType ?? first?.policyType,
    policyName: rows[0].policyName ?? first?.policyName,
  };
  return { sender: sender.toLowerCase(), messages: [message], followUp: false };
}
