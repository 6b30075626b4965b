/**
 * How a composed notification leaves the app: one small interface, two adapters (ACS Email, Graph
 * sendMail). The notify job records the operation id before `send` and, after a crash, asks `status`
 * before sending again (docs/architecture.md#exactly-once).
 */
import { canonicalAddress } from '../core/address';
import type { InlineAttachment } from './brand';
import { cleanLine } from './compose';

export interface OutgoingEmail {
  to: string;
  toDisplayName?: string;
  subject: string;
  plainText: string;
  html: string;
  /** Images the HTML shows by `cid:` (the tenant's logo). */
  inlineAttachments?: InlineAttachment[];
}

/**
 * - accepted: the service took the email (ACS: 202); delivery continues on its side.
 * - throttled: stop sending for this run; the rest waits for the next one.
 * - failed: `permanent` when sending the same email again cannot help (bad request, missing permission);
 *   otherwise transient (5xx, network, timeout), and the service MAY have accepted it: check `status`
 *   (where supported) before sending again.
 */
export type SendOutcome =
  | { kind: 'accepted' }
  | { kind: 'throttled'; retryAfterSeconds?: number }
  | { kind: 'failed'; permanent: boolean; reason: string };

/** unknown = the service has no record of the operation id (it never reached the service), or cannot say. */
export type OperationState = 'accepted' | 'succeeded' | 'failed' | 'unknown';

/**
 * The final fate of an accepted operation (ACS: GET /emails/operations/{id}):
 * - in-progress: NotStarted or Running; ask again later.
 * - succeeded / failed: final; a failure carries the service's error.
 * - unknown: 404, or a status the service never documented; never a reason to send again by itself.
 */
export interface DeliveryReport {
  state: 'in-progress' | 'succeeded' | 'failed' | 'unknown';
  error?: { code?: string; message?: string };
  /** What the service answered, for the log when the state is unknown. */
  raw?: string;
}

export interface EmailChannel {
  readonly name: 'acs' | 'graph';
  /** True when `status` can tell whether an operation id reached the service. */
  readonly supportsStatus: boolean;
  /** Sends once, without retrying: retries belong to the notify job, which checks `status` first. */
  send(email: OutgoingEmail, operationId: string): Promise<SendOutcome>;
  /**
   * What the service knows of `operationId`. Throws when it cannot find out right now (network error,
   * 5xx, throttled): the caller must then decide nothing and ask again later, never resend.
   */
  status(operationId: string): Promise<OperationState>;
  /**
   * Where the channel can tell (ACS), whether an accepted operation was delivered. Throws when it cannot
   * find out right now. Absent for Graph sendMail, which has no operation to ask about.
   */
  deliveryStatus?(operationId: string): Promise<DeliveryReport>;
}

/**
 * The last gate before a send: only a canonical address (lib/core/address.ts) is ever emailed. Anything
 * else is refused permanently here, whatever code path produced it.
 */
export function refuseUnusableRecipient(email: OutgoingEmail): SendOutcome | undefined {
  if (canonicalAddress(email.to) === email.to) return undefined;
  return { kind: 'failed', permanent: true, reason: 'recipient address not usable' };
}

/**
 * Every notification says it was sent by a machine: `Auto-Submitted` (RFC 3834) stops standards-minded
 * auto-responders, `X-Auto-Response-Suppress` stops Exchange's and Outlook's out-of-office and receipts.
 * Without them each sender's away reply goes back to a no-reply address and bounces.
 */
export const AUTOMATED_MESSAGE_HEADERS: Readonly<Record<string, string>> = {
  'Auto-Submitted': 'auto-generated',
  'X-Auto-Response-Suppress': 'All',
};

/** How long one send or status request may take before it counts as a transient failure. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), if it holds one. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: Date = new Date(),
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text));
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

/** A service's error text, made one short printable line, for logs and the composite view. */
export function shortReason(text: string, max = 300): string {
  return cleanLine(text, max);
}
