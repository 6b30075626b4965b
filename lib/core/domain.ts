/**
 * The domain's nouns, shared by the sources, the store, the jobs and the mail.
 * Times are ISO-8601 UTC strings ("2026-03-02T09:14:22.123Z"); addresses are lower-cased.
 */

/** One row of Get-QuarantineMessage (one per recipient), as the snapshot stores it. */
export interface QuarantinedMessage {
  /** Lower-case GUID: the join key to audit records (first half of Identity). */
  networkMessageId: string;
  /** Lower-case GUID: the per-row id (second half of Identity). */
  rowId: string;
  /** The raw Identity as Exchange sent it ("GUID1\\GUID2"). */
  identity: string;
  receivedAt?: string;
  expiresAt?: string;
  /** Empty string when Exchange gave none (a row seen in the field: no sender, reported Outbound). */
  senderAddress: string;
  recipients: string[];
  recipientCount: number;
  subject: string;
  /** Exchange's `Type`, e.g. "TransportRule", "DataLossPrevention", "Spam", "High Confidence Phish". */
  type: string;
  /** Exchange's `QuarantineTypes` enum name when present, e.g. "HighConfPhish". */
  quarantineType?: string;
  policyType?: string;
  policyName?: string;
  /** Exchange's `Direction` ("Inbound" / "Outbound"); never trusted alone. */
  direction?: string;
  /** Upper-case as on the wire: NOTRELEASED, RELEASED, REQUESTED, … */
  releaseStatus?: string;
  /** Exchange's `Released` flag. */
  released?: boolean;
  /** Exchange's `SystemReleased` flag: Microsoft 365 released it, not an administrator. */
  systemReleased?: boolean;
  releasedBy: string[];
  releasedUsers: string[];
  releasedCount: number;
  internetMessageId?: string;
  size?: number;
  /** Names of fields cut to fit Table Storage, with their original lengths. */
  truncated?: Record<string, number>;
}

/** Where a release was learned. */
export type ReleaseSource = 'audit' | 'quarantine';

/** One released (message, recipient) pair, as an audit record or the quarantine's status reports it. */
export interface ReleaseEvent {
  /** Audit record id, or a deterministic id for a release seen in the quarantine status. */
  id: string;
  source: ReleaseSource;
  networkMessageId: string;
  /** The one recipient the message was released to (lower-case), when known. */
  releasedTo?: string;
  /** UPN of the releaser, or undefined for a system release. */
  releasedBy?: string;
  /** The raw actor as the source named it ("System release", "Admin", a UPN). */
  releasedByRaw?: string;
  /** The application the release was made through, by the name its audit record gives (lib/core/releaser.ts). */
  releasedThrough?: string;
  isSystemRelease: boolean;
  releasedAt: string;
  /**
   * The message's sender as the quarantine lists it; only a release seen in the quarantine status carries
   * it. Notify orders its snapshot lookups by it, so each sender's email is decided as soon as that
   * sender's messages are looked up; the sender told is still the one the join takes from the snapshot.
   */
  sender?: string;
}
