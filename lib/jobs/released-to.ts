import type { SkipReason, TenantDomains } from './outbound';

/**
 * Who a release reached, and what that means for its sender (docs/architecture.md#exactly-once): the
 * released-to address comes from the release itself (the audit record's ReleaseTo, the quarantine's
 * ReleasedUser), never from the recipient list. A release to an address that was never a recipient of the
 * message (an administrator releasing a copy to a reviewer) did not deliver the sender's mail: it is
 * recorded, not emailed, whichever source reported it first.
 */

export const RELEASED_TO_SOMEONE_ELSE: SkipReason = 'released-to-someone-else';
export const OUTSIDE_BY_GRAPH_DOMAINS: SkipReason = 'sender-outside-graph';

/**
 * True when the release named an address and the message's recipients are known and do not include it.
 * A message whose recipient list is empty (Exchange may list none) cannot be checked: it is not skipped.
 */
export function releasedToSomeoneElse(releasedTo: string, originalRecipients: readonly string[]): boolean {
  if (releasedTo === '' || originalRecipients.length === 0) return false;
  const to = releasedTo.toLowerCase();
  return !originalRecipients.some((r) => r.toLowerCase() === to);
}

/**
 * The skip reason to record: a sender outside the domains read from Graph /domains (which knows nothing of
 * MatchSubDomains) is told apart, so the report shows the releases a subdomain sender may have missed.
 */
export function skipReasonFor(
  reason: SkipReason | undefined,
  domains: TenantDomains & { source?: string },
): SkipReason | undefined {
  if (reason === 'sender-outside' && domains.source === 'graph') return OUTSIDE_BY_GRAPH_DOMAINS;
  return reason;
}

/** What a run's summary says when the domains came from Graph /domains; undefined otherwise. */
export function graphDomainsNote(domains: TenantDomains & { source?: string }): string | undefined {
  return domains.source === 'graph'
    ? 'accepted domains from Graph /domains: senders at subdomains are not recognised; set ACCEPTED_DOMAINS ' +
        'with "*." entries, or assign a role that may run Get-AcceptedDomain (Global Reader)'
    : undefined;
}
