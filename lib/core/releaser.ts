import { canonicalAddress } from './address';

/**
 * Who released a message, as the sources name it (docs/architecture.md#release-sources). Only the
 * quarantine's `SystemReleased: true` or the audit record's "System release" actor is Microsoft 365
 * releasing on its own. A `SystemMailbox{…}@domain` releaser is an app or script that called
 * Release-QuarantineMessage through the admin API (an automation tool, not Microsoft): it names no person,
 * so the sender is told an administrator released the message, and the report shows the value as it came.
 * Where the audit record names the application a person can read (its ClientAppName), the sender is told
 * the administrator released it through that tool.
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

/** The longest tool name kept; the email cuts it again to its own limit. */
const TOOL_NAME_MAX = 120;
const GUID_ANYWHERE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/** A run of hex or digits long enough to be an id, not a word. */
const ID_LIKE = /^[0-9a-f{}\-\s]{16,}$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

/**
 * The name an application gives itself in an audit record, when a person can read it as one: never an
 * address, a GUID or another id, and at most TOOL_NAME_MAX characters. Else undefined, and the release is
 * told as an administrator's.
 */
export function toolName(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const name = raw.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  if (name === '' || name.includes('@') || GUID_ANYWHERE.test(name) || ID_LIKE.test(name)) return undefined;
  if (!/\p{L}/u.test(name)) return undefined;
  return name.length > TOOL_NAME_MAX ? `${name.slice(0, TOOL_NAME_MAX - 1)}…` : name;
}
