import type { QuarantinedMessage } from '../core/domain';

/** What the outbound decision needs to know about the tenant: whether an address is one of its own. */
export interface TenantDomains {
  isAccepted(address: string): boolean;
}

export type OutboundDecision = { outbound: true } | { outbound: false; reason: SkipReason };

export type SkipReason =
  | 'no sender'
  | 'sender outside the tenant'
  | 'sender outside the tenant (domains from Graph)'
  | 'inbound'
  | 'system release'
  | 'not in scope'
  | 'dry run'
  | 'released to someone else';

/** Quarantine reasons that only ever hold mail the tenant's own users sent. */
const OUTBOUND_TYPES = new Set(['transportrule', 'datalossprevention']);
const OUTBOUND_POLICY_TYPES = new Set(['exchangetransportrule', 'datalosspreventionrule']);

function normalise(value: string | undefined): string {
  return (value ?? '').replace(/\s+/g, '').toLowerCase();
}

/**
 * Decides whether a quarantined message (all its rows, one per recipient) was outbound mail of the
 * tenant's own sender (docs/architecture.md#outbound). `Direction` alone never decides: a published
 * Get-QuarantineMessage output shows an inbound message reported Outbound, and an inbound phish can spoof
 * an internal sender.
 *
 * 1. The sender must be non-empty and belong to an accepted domain.
 * 2. The message must have been quarantined as outbound mail: by a mail flow rule or a DLP policy
 *    (which act on the tenant's own mail), or reported Outbound AND addressed to at least one recipient
 *    outside the tenant (an internal sender writing out).
 */
export function decideOutbound(
  rows: readonly QuarantinedMessage[],
  domains: TenantDomains,
): OutboundDecision {
  const sender = rows.find((r) => r.senderAddress)?.senderAddress ?? '';
  if (!sender) return { outbound: false, reason: 'no sender' };
  if (!domains.isAccepted(sender)) return { outbound: false, reason: 'sender outside the tenant' };

  const byPolicy = rows.some(
    (r) =>
      OUTBOUND_TYPES.has(normalise(r.type)) ||
      OUTBOUND_TYPES.has(normalise(r.quarantineType)) ||
      OUTBOUND_POLICY_TYPES.has(normalise(r.policyType)),
  );
  if (byPolicy) return { outbound: true };

  const reportedOutbound = rows.some((r) => normalise(r.direction) === 'outbound');
  const external = rows.some((r) => r.recipients.some((to) => !domains.isAccepted(to)));
  if (reportedOutbound && external) return { outbound: true };
  return { outbound: false, reason: 'inbound' };
}

/** A pilot's allow-list entry is an address or a domain (which also matches its subdomains). */
export function senderInScope(sender: string, allowed: readonly string[] | undefined): boolean {
  if (!allowed || allowed.length === 0) return true;
  const address = sender.toLowerCase();
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return allowed.some((entry) =>
    entry.includes('@') ? entry === address : domain === entry || domain.endsWith(`.${entry}`),
  );
}
