import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * The one strict email address type (docs/architecture.md#outbound). Every decision about an address
 * (accepted domain, allow-list, redirect) and every send uses the canonical value this module returns,
 * so what is checked is exactly what is sent to.
 *
 * Why not an RFC 5322 parser from npm: those parsers accept exactly what must be refused here (quoted
 * local parts, comments, display names in angle brackets, folding whitespace), because a header may
 * carry them. The address kept is the plain subset every mail system agrees on: `local@domain`, the
 * local part an ASCII dot-atom (at most 64 characters), the domain IDNA-converted to ASCII by Node's own
 * `url.domainToASCII` (homographs become visible `xn--` labels), lower-cased, at most 254 characters in
 * all. Each check is one linear pass over at most 254 characters: nothing here backtracks.
 *
 * `domainToASCII` is a URL host parser: it cuts at `/ ? #`, decodes `%2e` and maps full-width letters and
 * ideographic full stops, so `ceo@contoso.com#evil.example` would come out as `contoso.com`. The domain is
 * therefore canonical by round trip: none of those characters may be in it, and the name as written must
 * be its ASCII form or that form read back as Unicode. Whatever the conversion changed is not an address.
 */
export type EmailAddress = string & { readonly __canonicalEmailAddress: true };

export type AddressRefusal =
  | 'not text'
  | 'empty'
  | 'too long'
  | 'control, space or bidi character'
  | 'quoted, commented or bracketed'
  | 'not one @'
  | 'local part'
  | 'domain';

export type ParsedAddress =
  { ok: true; address: EmailAddress; local: string; domain: string } | { ok: false; refusal: AddressRefusal };

export const MAX_ADDRESS_LENGTH = 254;
export const MAX_LOCAL_LENGTH = 64;
const MAX_DOMAIN_LENGTH = 253;

/** C0, space, DEL, C1, no-break and other spaces, bidi marks and overrides, zero-width, BOM. */
const FORBIDDEN_CHARACTER =
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  /[\u0000-\u0020\u007f-\u00a0\u00ad\u061c\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]/;
/** RFC 5322 quoting, comments, display-name and domain-literal punctuation. */
const STRUCTURE_CHARACTER = /["(),:;<>[\]\\]/;
/** RFC 5322 dot-atom of ASCII atext: no leading, trailing or doubled dot. */
const DOT_ATOM = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** What a URL host parser cuts at or decodes, and what no domain name holds. */
const NOT_IN_A_DOMAIN = /[/?#%@\\\s]/;
/** A DNS label: letters, digits and inner hyphens, 1 to 63 characters. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Outside text to a canonical address, or the reason it is refused. Never throws. */
export function parseAddress(text: unknown): ParsedAddress {
  if (typeof text !== 'string') return { ok: false, refusal: 'not text' };
  if (text === '') return { ok: false, refusal: 'empty' };
  // Bounded before anything else looks at it: a 10,000-character value costs one comparison.
  if (text.length > MAX_ADDRESS_LENGTH) return { ok: false, refusal: 'too long' };
  if (FORBIDDEN_CHARACTER.test(text)) return { ok: false, refusal: 'control, space or bidi character' };
  if (STRUCTURE_CHARACTER.test(text)) return { ok: false, refusal: 'quoted, commented or bracketed' };
  const at = text.indexOf('@');
  if (at < 0 || at !== text.lastIndexOf('@')) return { ok: false, refusal: 'not one @' };
  const local = text.slice(0, at).toLowerCase();
  if (local.length > MAX_LOCAL_LENGTH || !DOT_ATOM.test(local)) return { ok: false, refusal: 'local part' };
  const domain = canonicalDomain(text.slice(at + 1));
  if (!domain) return { ok: false, refusal: 'domain' };
  const address = `${local}@${domain}`;
  if (address.length > MAX_ADDRESS_LENGTH) return { ok: false, refusal: 'too long' };
  return { ok: true, address: address as EmailAddress, local, domain };
}

/** The canonical address, or undefined when the text is not a usable address. */
export function canonicalAddress(text: unknown): EmailAddress | undefined {
  const parsed = parseAddress(text);
  return parsed.ok ? parsed.address : undefined;
}

/**
 * A domain name in canonical form: IDNA to ASCII, lower-case, at least two labels, each a valid DNS
 * label, and the same name when read back. Undefined for anything else (a domain literal, a trailing dot,
 * a lone surrogate, an empty label, a URL's path, query, fragment or percent-escape, a mapped character).
 */
export function canonicalDomain(text: unknown): string | undefined {
  if (typeof text !== 'string' || text === '' || text.length > MAX_DOMAIN_LENGTH) return undefined;
  if (FORBIDDEN_CHARACTER.test(text) || STRUCTURE_CHARACTER.test(text) || NOT_IN_A_DOMAIN.test(text))
    return undefined;
  const ascii = domainToASCII(text).toLowerCase();
  if (ascii === '' || ascii.length > MAX_DOMAIN_LENGTH) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return undefined;
  // An all-numeric last label is an IP address, not a mail domain.
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return undefined;
  const written = text.toLowerCase().normalize('NFC');
  if (written !== ascii && domainToUnicode(ascii) !== written) return undefined;
  return ascii;
}
