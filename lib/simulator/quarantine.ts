/**
 * The tenant's quarantine as Get-QuarantineMessage shows it: one row per recipient, ~56 fields with their
 * type side-keys, in the order of a live row (fixtures/exchange/get-quarantinemessage.page.json).
 */
import { randomUUID } from 'node:crypto';
import { DAY } from '../core/clock';

export const QUARANTINE_TYPES = [
  'Spam',
  'TransportRule',
  'Bulk',
  'Phish',
  'HighConfPhish',
  'Malware',
  'SPOMalware',
  'DataLossPrevention',
  'FileTypeBlock',
  'AdminTriggered',
  'PPI',
] as const;
export type QuarantineType = (typeof QUARANTINE_TYPES)[number];

export const RELEASE_STATUSES = [
  'NotReleased',
  'Released',
  'Requested',
  'Approved',
  'Denied',
  'PreparingToRelease',
  'Error',
] as const;

/** The `Type` column shows a display name where it differs from the QuarantineTypes member. */
const TYPE_DISPLAY: Partial<Record<QuarantineType, string>> = { HighConfPhish: 'High Confidence Phish' };

const DEFAULT_POLICY: Record<QuarantineType, [policyType: string, policyName: string]> = {
  Spam: ['HostedContentFilterPolicy', 'Default'],
  TransportRule: ['ExchangeTransportRule', 'Quarantine outbound mail'],
  Bulk: ['HostedContentFilterPolicy', 'Default'],
  Phish: ['AntiPhishPolicy', 'Office365 AntiPhish Default'],
  HighConfPhish: ['HostedContentFilterPolicy', 'Default'],
  Malware: ['AntiMalwarePolicy', 'Default'],
  SPOMalware: ['SafeAttachmentPolicy', 'Built-In Protection Policy'],
  DataLossPrevention: ['DataLossPreventionRule', 'Default DLP rule'],
  FileTypeBlock: ['AntiMalwarePolicy', 'Default'],
  AdminTriggered: ['ExchangeTransportRule', 'Admin action'],
  PPI: ['HostedContentFilterPolicy', 'Default'],
};

/** Retention in days (docs/wire-contract.md): transport rule, DLP and malware 30; spam and bulk 15. */
export function retentionDays(type: QuarantineType): number {
  return type === 'Spam' || type === 'Bulk' ? 15 : 30;
}

/** Exchange's date form: 2026-07-22T08:58:01.4564204+00:00 (seven fractional digits, explicit offset). */
export function formatExchangeDate(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-07-22T08:58:01.456Z
  return `${iso.slice(0, 23)}0000+00:00`;
}

/** Parses an Exchange or ISO date; a value without a zone is UTC (the service runs in UTC). */
export function parseWireDate(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== 'string' || value.trim() === '') return NaN;
  let text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00Z';
  else if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(text)) text += 'Z';
  // JavaScript keeps milliseconds only; cut .NET's seven digits so every engine parses them.
  text = text.replace(/(\.\d{3})\d+/, '$1');
  return Date.parse(text);
}

export interface NewMessage {
  sender: string;
  recipients: string[];
  subject?: string;
  type?: QuarantineType;
  policyType?: string;
  policyName?: string;
  direction?: 'Inbound' | 'Outbound';
  receivedAt?: Date | string;
  expiresAt?: Date | string;
  networkMessageId?: string;
  size?: number;
  internetMessageId?: string;
  /** The organization (tenant id) column. */
  organization?: string;
}

export type QuarantineRow = Record<string, unknown>;

/** Builds one row per recipient (one row with no recipient when there is none). */
export function buildRows(
  message: NewMessage & { organization: string; now: number; direction: 'Inbound' | 'Outbound' },
): QuarantineRow[] {
  const type = message.type ?? 'TransportRule';
  const receivedMs = message.receivedAt !== undefined ? parseWireDate(message.receivedAt) : message.now;
  const expiresMs =
    message.expiresAt !== undefined
      ? parseWireDate(message.expiresAt)
      : receivedMs + retentionDays(type) * DAY;
  if (Number.isNaN(receivedMs)) throw new Error(`receivedAt is not a date: ${String(message.receivedAt)}`);
  if (Number.isNaN(expiresMs)) throw new Error(`expiresAt is not a date: ${String(message.expiresAt)}`);
  const networkMessageId = message.networkMessageId ?? randomUUID();
  const [defaultPolicyType, defaultPolicyName] = DEFAULT_POLICY[type];
  const messageId =
    message.internetMessageId ??
    `<${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}@SIM0PR11MB1234.namprd11.prod.outlook.com>`;
  const recipients = message.recipients.length > 0 ? message.recipients.map((r) => [r]) : [[]];
  return recipients.map((recipient) => ({
    Identity: `${networkMessageId}\\${randomUUID()}`,
    'ReceivedTime@data.type': 'System.DateTime',
    ReceivedTime: formatExchangeDate(receivedMs),
    Organization: message.organization,
    MessageId: messageId,
    SenderAddress: message.sender,
    'RecipientAddress@odata.type': '#Collection(String)',
    RecipientAddress: recipient,
    Subject: message.subject ?? '(no subject)',
    'Size@data.type': 'System.Int32',
    Size: message.size ?? 24_576,
    Type: TYPE_DISPLAY[type] ?? type,
    PolicyType: message.policyType ?? defaultPolicyType,
    PolicyName: message.policyName ?? defaultPolicyName,
    TagName: type === 'Spam' || type === 'Bulk' ? 'DefaultFullAccessPolicy' : 'AdminOnlyAccessPolicy',
    PermissionToBlockSender: false,
    PermissionToDelete: true,
    PermissionToPreview: true,
    PermissionToRelease: true,
    PermissionToRequestRelease: false,
    PermissionToViewHeader: false,
    PermissionToDownload: true,
    PermissionToAllowSender: true,
    Released: false,
    ReleaseStatus: 'NOTRELEASED',
    SystemReleased: false,
    'RecipientCount@data.type': 'System.Int32',
    RecipientCount: recipient.length,
    QuarantineTypes: type,
    'Expires@data.type': 'System.DateTime',
    Expires: formatExchangeDate(expiresMs),
    'RecipientTag@odata.type': '#Collection(String)',
    RecipientTag: [],
    'DeletedForRecipients@odata.type': '#Collection(String)',
    DeletedForRecipients: [],
    'QuarantinedUser@odata.type': '#Collection(String)',
    QuarantinedUser: [],
    'ReleasedUser@odata.type': '#Collection(String)',
    ReleasedUser: [],
    Reported: false,
    Direction: message.direction,
    CustomData: null,
    EntityType: 'Email',
    SourceId: '',
    TeamsConversationType: '',
    ApprovalUPN: '',
    ApprovalId: '',
    MoveToQuarantineAdminActionTakenBy: '',
    MoveToQuarantineApprovalId: '',
    'OverrideReasonIntValue@data.type': 'System.Int32',
    OverrideReasonIntValue: 0,
    OverrideReason: 'None',
    'ReleasedCount@data.type': 'System.Int32',
    ReleasedCount: 0,
    'ReleasedBy@odata.type': '#Collection(String)',
    ReleasedBy: [],
  }));
}

/** A row as the tenant holds it: the wire row plus what the service knows about it. */
export interface StoredRow {
  row: QuarantineRow;
  /** NaN when the row's ReceivedTime cannot be read (a malformed raw row): such a row is always listed. */
  receivedMs: number;
  /** NaN when unreadable: such a row never expires. */
  expiresMs: number;
  deleted: boolean;
  /** Insertion order, the tie-break of the newest-first sort. */
  seq: number;
}

export function networkMessageIdOf(row: QuarantineRow): string {
  return String(row.Identity ?? '').split('\\')[0];
}

export function recipientsOf(row: QuarantineRow): string[] {
  const r = row.RecipientAddress;
  if (Array.isArray(r)) return r.map(String);
  return typeof r === 'string' && r !== '' ? [r] : [];
}

export function isVisible(stored: StoredRow, now: number): boolean {
  return !stored.deleted && !(stored.expiresMs <= now);
}

/** Marks rows released for some of their recipients, as the portal's "release" does. */
export function markReleased(
  row: QuarantineRow,
  releasedTo: string[],
  releasedBy: string,
  system: boolean,
): void {
  const users = new Set((Array.isArray(row.ReleasedUser) ? row.ReleasedUser : []).map(String));
  for (const r of releasedTo) users.add(r);
  const by = (Array.isArray(row.ReleasedBy) ? row.ReleasedBy : []).map(String);
  if (!by.includes(releasedBy)) by.push(releasedBy);
  row.Released = true;
  row.ReleaseStatus = 'RELEASED';
  if (system) row.SystemReleased = true;
  row.ReleasedUser = [...users];
  row.ReleasedBy = by;
  row.ReleasedCount = Number(row.ReleasedCount ?? 0) + 1;
}
