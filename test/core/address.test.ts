import { domainToUnicode } from 'node:url';
import fc from 'fast-check';
import { canonicalAddress, canonicalDomain, parseAddress } from '../../lib/core/address';

describe('the one strict address type', () => {
  test.each([
    ['megan.bowen@contoso.com', 'megan.bowen@contoso.com'],
    ['Megan.Bowen@CONTOSO.COM', 'megan.bowen@contoso.com'],
    ["o'brien+tag@contoso.com", "o'brien+tag@contoso.com"],
    ['ceo@\u0430pple.com', 'ceo@xn--pple-43d.com'], // a Cyrillic homograph becomes visible ASCII
    ['info@bücher.example', 'info@xn--bcher-kva.example'],
  ])('GIVEN %s THEN the canonical address is %s', (text, expected) => {
    expect(canonicalAddress(text)).toBe(expected);
  });

  test.each([
    ['"<ceo@contoso.com>"@evil.example', 'quoted, commented or bracketed'],
    ['"quoted.name"@contoso.com', 'quoted, commented or bracketed'],
    ['buyer(comment)@contoso.com', 'quoted, commented or bracketed'],
    ['Megan <megan@contoso.com>', 'control, space or bidi character'],
    ['<megan@contoso.com>', 'quoted, commented or bracketed'],
    ['megan@[10.0.0.1]', 'quoted, commented or bracketed'],
    [' megan@contoso.com', 'control, space or bidi character'],
    ['megan@contoso.com\r\nBcc: x@evil.example', 'control, space or bidi character'],
    ['megan\u202E@contoso.com', 'control, space or bidi character'],
    ['megan\u200B@contoso.com', 'control, space or bidi character'],
    ['megan\u0085@contoso.com', 'control, space or bidi character'],
    ['a@b@contoso.com', 'not one @'],
    ['no-at-sign', 'not one @'],
    ['.megan@contoso.com', 'local part'],
    ['me..gan@contoso.com', 'local part'],
    ['m\u00e9gan@contoso.com', 'local part'],
    [`${'a'.repeat(65)}@contoso.com`, 'local part'],
    ['megan@contoso', 'domain'],
    ['megan@contoso.com.', 'domain'],
    ['megan@-contoso.com', 'domain'],
    ['megan@10.0.0.1', 'domain'],
    ['megan@\uD800.com', 'domain'],
    // What a URL host parser would cut or decode into contoso.com is not an address.
    ['payroll@contoso.com#evil.example', 'domain'],
    ['ceo@contoso.com/evil.example', 'domain'],
    ['ceo@contoso.com?evil.example', 'domain'],
    ['pat@contoso%2ecom', 'domain'],
    ['ceo@contoso.com\\evil.example', 'quoted, commented or bracketed'],
    ['ceo@\uff43\uff4f\uff4e\uff54\uff4f\uff53\uff4f.com', 'domain'],
    ['ceo@contoso\u3002com', 'domain'],
    ['ceo@xn--zz.com', 'domain'],
    ['', 'empty'],
    [`${'a'.repeat(60)}@${'b'.repeat(200)}.com`, 'too long'],
  ])('GIVEN %j THEN it is refused (%s)', (text, refusal) => {
    expect(parseAddress(text)).toEqual({ ok: false, refusal });
  });

  test('GIVEN values that are not text THEN they are refused, never thrown on', () => {
    for (const value of [undefined, null, 42, {}, ['a@contoso.com']]) {
      expect(parseAddress(value)).toEqual({ ok: false, refusal: 'not text' });
    }
  });

  test('GIVEN any text THEN parsing never throws, and a canonical address parses to itself', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.emailAddress()), (text) => {
        const first = canonicalAddress(text);
        if (first !== undefined) {
          expect(canonicalAddress(first)).toBe(first);
          expect(first.length).toBeLessThanOrEqual(254);
          expect(first).toMatch(/^[\x21-\x7e]+$/);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('GIVEN hostile input of a million characters THEN it is refused for its length before any pattern looks at it', () => {
    const hostile = ['<'.repeat(1_000_000), `${'a'.repeat(1_000_000)}@contoso.com`, '"'.repeat(1_000_000)];
    for (const text of hostile) expect(parseAddress(text)).toEqual({ ok: false, refusal: 'too long' });
    // And the longest accepted input is still linear: 254 characters of the worst shape.
    expect(canonicalAddress(`${'a.'.repeat(31)}a@${'b'.repeat(60)}.${'c'.repeat(60)}.com`)).toBeDefined();
  });

  test('GIVEN any text THEN an accepted domain is made of DNS labels and is the same name read back (round trip)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.domain(),
          fc.string({ unit: 'grapheme', maxLength: 20 }),
          fc
            .tuple(
              fc.domain(),
              fc.constantFrom('/', '?', '#', '%', '%2e', '\\', ' ', '\u3002', '\uff0e'),
              fc.domain(),
            )
            .map(([a, b, c]) => `${a}${b}${c}`),
        ),
        (text) => {
          const domain = canonicalDomain(text);
          if (domain === undefined) return;
          expect(domain).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
          expect([domain, domainToUnicode(domain)]).toContain(text.toLowerCase().normalize('NFC'));
          expect(canonicalDomain(domainToUnicode(domain))).toBe(domain);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('domains: IDNA to ASCII, lower-case, at least two DNS labels', () => {
    expect(canonicalDomain('CONTOSO.com')).toBe('contoso.com');
    expect(canonicalDomain('bücher.example')).toBe('xn--bcher-kva.example');
    expect(canonicalDomain('localhost')).toBeUndefined();
    expect(canonicalDomain('contoso..com')).toBeUndefined();
    expect(canonicalDomain('a_b.com')).toBeUndefined();
    expect(canonicalDomain('xn--bcher-kva.example')).toBe('xn--bcher-kva.example');
    expect(canonicalDomain('contoso.com/evil.example')).toBeUndefined();
  });
});
