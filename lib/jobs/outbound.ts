import { canonicalAddress, canonicalDomain, type EmailAddress } from '../core/address';
import type { QuarantinedMessage } from '../core/domain';
import type { ReleaseReason } from '../core/outcomes';

/** What the outbound decision needs to know about the tenant: whether an address is one of its own. */
export interface TenantDomains {
  isAccepted(address: string): boolean;
}

export type OutboundDecision = { outbound: true } | { outbound: false; reason: SkipReason };

/** Why a release is not told: a code (lib/core/outcomes.ts gives its sentence). */
export type SkipReason = Extract<
  ReleaseReason,
  | 'no-sender'
  | 'sender-unusable'
  | 'sender-outside'
  | 'sender-outside-graph'
  | 'inbound'
  | 'direction-unknown'
  | 'system-release'
  | 'not-in-scope'
  | 'dry-run'
  | 'released-to-someone-else'
>;

/** Quarantine reasons that only ever hold mail the tenant's own users sent. */
const OUTBOUND_TYPES = new Set(['transportrule', 'datalossprevention']);
const OUTBOUND_POLICY_TYPES = new Set(['exchangetransportrule', 'datalosspreventionrule']);

function normalise(value: string | undefined): string {
  return (value ?? '').replace(/\s+/g, '').toLowerCase();
}

/**
 * `Direction` as Exchange writes it, exactly: anything else (missing, `"Inbound\u200b"`, another case) is
 * unknown, and an unknown direction never counts as outbound, whatever held the message.
 */
const DIRECTIONS = new Set(['Inbound', 'Outbound']);

/**
 * The message's sender as the one canonical address (lib/core/address.ts), or why there is none. The
 * outbound decision checks this value and the notify job sends to this value: never the raw text.
 */
export function senderOf(
  rows: readonly QuarantinedMessage[],
): { sender: EmailAddress } | { sender?: undefined; reason: 'no-sender' | 'sender-unusable' } {
  const raw = rows.find((r) => r.senderAddress)?.senderAddress ?? '';
  if (!raw) return { reason: 'no-sender' };
  const sender = canonicalAddress(raw);
  return sender ? { sender } : { reason: 'sender-unusable' };
}

/**
 * Decides whether a quarantined message (all its rows, one per recipient) was outbound mail of the
 * tenant's own sender (docs/architecture.md#outbound). `Direction` alone never decides: a published
 * Get-QuarantineMessage output shows an inbound message reported Outbound, and an inbound phish can spoof
 * an internal sender.
 *
 * 1. The sender must be non-empty, a usable address (lib/core/address.ts: no quoted local part hiding
 *    another domain) and belong to an accepted domain.
 * 2. Every row's `Direction` must be exactly `Inbound` or `Outbound` (else `direction-unknown`). A
 *    message the quarantine reports Inbound is never outbound, whatever held it: mail flow rules hold
 *    inbound mail too, and inbound mail can spoof an internal sender.
 * 3. The message must have been quarantined as outbound mail: by a mail flow rule or a DLP policy
 *    (which act on the tenant's own mail), or reported Outbound AND addressed to at least one recipient
 *    outside the tenant (an internal sender writing out).
 */
export function decideOutbound(
  rows: readonly QuarantinedMessage[],
  domains: TenantDomains,
): OutboundDecision {
  const { sender, reason } = senderOf(rows) as { sender?: EmailAddress; reason?: SkipReason };
  if (!sender) return { outbound: false, reason: reason! };
  if (!domains.isAccepted(sender)) return { outbound: false, reason: 'sender-outside' };
  if (rows.some((r) => !DIRECTIONS.has(r.direction ?? '')))
    return { outbound: false, reason: 'direction-unknown' };
  if (rows.some((r) => r.direction === 'Inbound')) return { outbound: false, reason: 'inbound' };

  const byPolicy = rows.some(
    (r) =>
      OUTBOUND_TYPES.has(normalise(r.type)) ||
      OUTBOUND_TYPES.has(normalise(r.quarantineType)) ||
      OUTBOUND_POLICY_TYPES.has(normalise(r.policyType)),
  );
  if (byPolicy) return { outbound: true };

  const reportedOutbound = rows.some((r) => r.direction === 'Outbound');
  const external = rows.some((r) => r.recipients.some((to) => !domains.isAccepted(to)));
  if (reportedOutbound && external) return { outbound: true };
  return { outbound: false, reason: 'inbound' };
}

/**
 * A pilot's allow-list entry is an address or a domain (which also matches its subdomains). Both the
 * sender and each entry are compared in canonical form; a sender that does not parse is never in scope.
 */
export function senderInScope(sender: string, allowed: readonly string[] | undefined): boolean {
  if (!allowed || allowed.length === 0) return true;
  const address = canonicalAddress(sender);
  if (!address) return false;
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return allowed.some((entry) => {
    if (entry.includes('@')) return canonicalAddress(entry) === address;
    const allowedDomain = canonicalDomain(entry);
    return allowedDomain !== undefined && (domain === allowedDomain || domain.endsWith(`.${allowedDomain}`));
  });
}
