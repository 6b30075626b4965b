/**
 * Time zone names as Microsoft 365 gives them: mailbox settings carry Windows names ("W. Europe Standard
 * Time"), sometimes IANA names ("Europe/Berlin"). Both become the IANA name `Intl` knows; anything else
 * is undefined, and the caller uses the tenant's default.
 */
import { findIana } from 'windows-iana';
import { isKnownTimeZone } from './reader-time';

export function ianaTimeZone(name: string | undefined | null): string | undefined {
  if (typeof name !== 'string') return undefined;
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 100) return undefined;
  // The first IANA name windows-iana lists is the zone's main city (CLDR's "001" territory).
  const mapped = findIana(trimmed)[0];
  if (mapped && isKnownTimeZone(mapped)) return mapped;
  if (/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(trimmed) && isKnownTimeZone(trimmed)) {
    return new Intl.DateTimeFormat('en', { timeZone: trimmed }).resolvedOptions().timeZone;
  }
  return undefined;
}
