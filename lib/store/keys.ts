import { createHash } from 'node:crypto';

/**
 * Table keys never carry raw outside text (docs/architecture.md#set-aside): a lone surrogate made
 * `encodeURIComponent` throw, and a long value passed the 1 KiB key limit, so one hostile address stopped
 * every later write. A key is a hash of the text; the text itself is kept as an ordinary property, made
 * well-formed and bounded by `boundedText`.
 */

/** Longest outside text kept in a property that a key is derived from (an address is at most 254). */
export const MAX_KEYED_TEXT = 512;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text made storable: lone surrogates become U+FFFD, then cut to `max` code units (never mid-pair). */
export function boundedText(text: string, max = MAX_KEYED_TEXT): string {
  let out = text.length > max + 1 ? text.slice(0, max + 1) : text;
  out = out.replace(LONE_SURROGATE, '\uFFFD');
  if (out.length > max) {
    out = out.slice(0, max);
    if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  }
  return out;
}

/** A key for outside text: 'h' and 40 hex digits of SHA-256 over its UTF-16 code units. */
export function hashedKey(text: string): string {
  return `h${createHash('sha256').update(Buffer.from(text, 'utf16le')).digest('hex').slice(0, 40)}`;
}

/** The key rows written before hashing used, or undefined when that scheme could not make one. */
export function legacyEncodedKey(text: string): string | undefined {
  try {
    const key = encodeURIComponent(text);
    return key.length <= 1024 ? key : undefined;
  } catch {
    return undefined; // a lone surrogate: no row was ever written under it
  }
}
