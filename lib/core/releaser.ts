import { canonicalAddress } from './address';

/**
 * Who released a message, as the sources name it (docs/architecture.md#release-sources). Only the
 * quarantine's `SystemReleased: true` or the audit record's "System release" actor is Microsoft 365
 * releasing on its own. A `SystemMailbox{…}@domain` releaser is an app or script that called
 * Release-QuarantineMessage through the admin API (an automation tool, not Microsoft): it names no person,
 * so the sender is told an administrator released the message, and the report shows the value as it came.
 */

/** The label a system release carries; never an address, never looked up or emailed. */
export const SYSTEM_RELEASE = 'System release';

/** Exchange's words for "nobody in particular": not a person to name in an email. */
const NOT_A_PERSON = /^(system\s*release[sd]?|admin|administrator)$/i;
/** The arbitration mailbox the admin API runs cmdlets as (docs/wire-contract.md, Get-QuarantineMessage). */
const ADMIN_API_MAILBOX = /^systemmailbox\{[^}]*\}@/i;

/** True for a releaser the admin API acted as: an app or script, never Microsoft's own release. */
export function isAdminApiReleaser(raw: string | undefined): boolean {
  return raw !== undefined && ADMIN_API_MAILBOX.test(raw.trim());
}

/** The releaser's address when it names a person (an administrator's UPN), else undefined. */
export function personReleaser(raw: string | undefined): string | undefined {
  if (raw === undefined || NOT_A_PERSON.test(raw.trim()) || isAdminApiReleaser(raw)) return undefined;
  return canonicalAddress(raw.trim());
}
