/**
 * A quoted subject is text, never a link (docs/architecture.md#outside-text). Mail clients turn anything
 * that looks like a URL, a domain or an address into a link, in HTML and in plain text alike, and a
 * subject an attacker wrote ("Reset your password at evil.example/login") would then be a clickable link
 * inside a notice the tenant sends. So the quoted subject is "defanged" the way security notices write
 * indicators: every dot between two letters or digits becomes "[.]" and a scheme "http" becomes "hxxp".
 * No client links "evil[.]example" or "hxxps://…", and the sender still recognises the subject.
 *
 * One linear pass per pattern (single-character look-arounds, no nested quantifiers).
 */
const DOT_BETWEEN = /(?<=[\p{L}\p{M}\p{N}])[.\u3002\uff0e\uff61](?=[\p{L}\p{M}\p{N}])/gu;
const SCHEME = /\b(h)(tt)(ps?)(?=:)/gi;

export function unlinkable(text: string): string {
  return text
    .replace(SCHEME, (_m, h: string, tt: string, rest: string) => `${h}${tt === 'TT' ? 'XX' : 'xx'}${rest}`)
    .replace(DOT_BETWEEN, '[.]');
}
