import { IntlMessageFormat } from 'intl-messageformat';
import { CATALOGUES, languageForLocale, LANGUAGES, translator, type Language } from '../../lib/mail/i18n';
import en from '../../lib/mail/messages/en';

/** Argument names of an ICU message (plural branches included); `#` is not an argument. */
function argumentsOf(message: string): string[] {
  const names = new Set<string>();
  const walk = (elements: unknown[]) => {
    for (const element of elements as {
      type: number;
      value?: string;
      options?: Record<string, { value: unknown[] }>;
    }[]) {
      if (element.type >= 1 && element.type <= 6 && typeof element.value === 'string')
        names.add(element.value);
      for (const option of Object.values(element.options ?? {})) walk(option.value);
    }
  };
  walk(new IntlMessageFormat(message, 'en').getAst());
  return [...names].sort();
}

describe('the message catalogues', () => {
  it('GIVEN the languages THEN English and twelve more are offered, Arabic among them', () => {
    expect(LANGUAGES).toEqual([
      'en',
      'de',
      'fr',
      'es',
      'it',
      'pt-BR',
      'nl',
      'pl',
      'sv',
      'ja',
      'zh-Hans',
      'ko',
      'ar',
    ]);
    expect(translator('ar').direction).toBe('rtl');
    expect(LANGUAGES.filter((l) => translator(l).direction === 'rtl')).toEqual(['ar']);
  });

  it.each(LANGUAGES.filter((l) => l !== 'en'))(
    'GIVEN the %s catalogue THEN it has every key of English, no other, and every placeholder of each message',
    (language) => {
      const catalogue = CATALOGUES[language as Language] as Record<string, string>;
      expect(Object.keys(catalogue).sort()).toEqual(Object.keys(en).sort());
      for (const [key, message] of Object.entries(en)) {
        expect({ key, args: argumentsOf(catalogue[key]) }).toEqual({ key, args: argumentsOf(message) });
      }
    },
  );

  it.each(LANGUAGES.filter((l) => l !== 'en'))(
    'GIVEN the %s catalogue THEN its sentences are its own: none is the English text',
    (language) => {
      const catalogue = CATALOGUES[language as Language] as Record<string, string>;
      // Only pure formatting may equal English (a placeholder pair, a name in quotes).
      const same = Object.keys(en).filter(
        (key) =>
          catalogue[key] === (en as Record<string, string>)[key] &&
          /[a-z]{3}/i.test(catalogue[key].replace(/\{[^}]*\}/g, '')),
      );
      expect(same).toEqual([]);
    },
  );

  it.each(LANGUAGES)(
    'GIVEN %s THEN every count from 0 to 120 formats without error in every plural message',
    (language) => {
      const t = translator(language);
      for (const key of Object.keys(en) as (keyof typeof en)[]) {
        for (let count = 0; count <= 120; count++) {
          const text = t.text(key, {
            count,
            subject: 'S',
            sender: 'a@b.example',
            contact: 'c',
            organisation: 'O',
            index: 1,
            total: count,
            listed: count,
            list: 'x',
            name: 'n',
            kind: 'k',
            tool: 't',
          });
          expect(text).not.toMatch(/[{}]/);
        }
      }
    },
  );

  it('GIVEN Polish and Arabic THEN the plural forms follow their grammar ("1 recipient" / "3 recipients")', () => {
    const pl = translator('pl');
    expect(pl.text('subject.many', { count: 3 })).toBe('Zwolniono 3 Twoje zatrzymane wiadomości');
    expect(pl.text('subject.many', { count: 5 })).toBe('Zwolniono 5 Twoich zatrzymanych wiadomości');
    expect(pl.text('subject.many', { count: 22 })).toBe('Zwolniono 22 Twoje zatrzymane wiadomości');
    const ar = translator('ar');
    expect(ar.text('subject.many', { count: 2 })).toBe('تم الإفراج عن رسالتين من رسائلك المحتجزة');
    expect(ar.text('subject.many', { count: 3 })).toContain('رسائل');
    expect(ar.text('subject.many', { count: 11 })).toContain('رسالة');
    expect(translator('en').text('value.listMore', { list: 'a@x', count: 1 })).toBe('a@x and 1 more');
  });

  it('GIVEN mailbox locales THEN each maps to its catalogue, and one without a catalogue to none', () => {
    expect(languageForLocale('de-AT')).toBe('de');
    expect(languageForLocale('fr-CA')).toBe('fr');
    expect(languageForLocale('pt-PT')).toBe('pt-BR');
    expect(languageForLocale('zh-CN')).toBe('zh-Hans');
    expect(languageForLocale('zh-TW')).toBeUndefined(); // Traditional script: no catalogue
    expect(languageForLocale('ar-SA')).toBe('ar');
    expect(languageForLocale('en_US')).toBe('en');
    expect(languageForLocale('fi-FI')).toBeUndefined();
    expect(languageForLocale('<script>')).toBeUndefined();
    expect(languageForLocale('')).toBeUndefined();
  });
});
