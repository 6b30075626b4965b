/**
 * The languages a notification is written in: one catalogue per language (lib/mail/messages), ICU
 * MessageFormat for plurals, and `Intl` (Node's full ICU) for numbers, names and dates.
 *
 * A language without a translation for a key is a build error (each catalogue is typed against the
 * English one) and a test failure (placeholders are compared too): no language falls back to English.
 */
import { IntlMessageFormat } from 'intl-messageformat';
import ar from './messages/ar';
import de from './messages/de';
import en, { type Catalogue, type MessageKey } from './messages/en';
import es from './messages/es';
import fr from './messages/fr';
import it from './messages/it';
import ja from './messages/ja';
import ko from './messages/ko';
import nl from './messages/nl';
import pl from './messages/pl';
import ptBR from './messages/pt-BR';
import sv from './messages/sv';
import zhHans from './messages/zh-Hans';

export type { MessageKey, Catalogue };

export const CATALOGUES = {
  en,
  de,
  fr,
  es,
  it,
  'pt-BR': ptBR,
  nl,
  pl,
  sv,
  ja,
  'zh-Hans': zhHans,
  ko,
  ar,
} as const satisfies Record<string, Catalogue>;

export type Language = keyof typeof CATALOGUES;
export const LANGUAGES = Object.keys(CATALOGUES) as Language[];

/** Languages written right to left. */
const RTL: ReadonlySet<Language> = new Set<Language>(['ar']);

export function isLanguage(value: string): value is Language {
  return Object.prototype.hasOwnProperty.call(CATALOGUES, value);
}

/**
 * The catalogue for a mailbox locale (`de-AT`, `pt-PT`, `zh-CN`, `ar-SA`…), or undefined when none fits.
 * Portuguese of any region reads the Brazilian catalogue; Chinese only in its Simplified script.
 */
export function languageForLocale(locale: string | undefined | null): Language | undefined {
  if (typeof locale !== 'string' || !/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/.test(locale.trim())) {
    return undefined;
  }
  let tag: Intl.Locale;
  try {
    tag = new Intl.Locale(locale.trim().replace(/_/g, '-')).maximize();
  } catch {
    return undefined;
  }
  const base = tag.language;
  if (base === 'pt') return 'pt-BR';
  if (base === 'zh') return tag.script === 'Hans' ? 'zh-Hans' : undefined;
  return isLanguage(base) ? base : undefined;
}

export interface Translator {
  readonly language: Language;
  /** The BCP 47 tag for `Intl` formatting: the reader's own locale when it is of this language. */
  readonly locale: string;
  readonly direction: 'ltr' | 'rtl';
  /** Plain text. Values are inserted as they are: the caller cleans them. */
  text(key: MessageKey, values?: Record<string, string | number>): string;
  /**
   * HTML: the message escaped, each string value escaped and, where its direction differs from the
   * document's (a Latin address in Arabic text), isolated in a `<span dir>` so it reads in its own order.
   */
  html(key: MessageKey, values?: Record<string, string | number>): string;
}

const formats = new Map<string, IntlMessageFormat>();

function compiled(language: Language, key: MessageKey): IntlMessageFormat {
  const id = `${language}\u0000${key}`;
  let format = formats.get(id);
  if (!format) {
    format = new IntlMessageFormat(CATALOGUES[language][key], language);
    formats.set(id, format);
  }
  return format;
}

/** Direction of a text from its first strong character; undefined for text without one (digits, symbols). */
export function textDirection(text: string): 'ltr' | 'rtl' | undefined {
  const match = /[\p{L}]/u.exec(text);
  if (!match) return undefined;
  return /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u.test(
    match[0],
  )
    ? 'rtl'
    : 'ltr';
}

export function escapeHtmlText(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** A string value in HTML, isolated when its direction is not the document's. */
export function isolateHtml(text: string, direction: 'ltr' | 'rtl'): string {
  const own = textDirection(text);
  const escaped = escapeHtmlText(text);
  return own && own !== direction ? `<span dir="${own}">${escaped}</span>` : escaped;
}

export function translator(language: Language, readerLocale?: string): Translator {
  const direction = RTL.has(language) ? 'rtl' : 'ltr';
  const locale =
    readerLocale && languageForLocale(readerLocale) === language
      ? readerLocale.replace(/_/g, '-')
      : language === 'en'
        ? 'en-GB'
        : language;
  const text = (key: MessageKey, values: Record<string, string | number> = {}) =>
    String(compiled(language, key).format(values));
  return {
    language,
    locale,
    direction,
    text,
    html(key, values = {}) {
      // Each string value goes in as a marker made of characters that cleaned text never holds (controls
      // are stripped from outside text), so the message is escaped once and the values put back escaped.
      const marked: Record<string, string | number> = {};
      const strings: string[] = [];
      for (const [name, value] of Object.entries(values)) {
        if (typeof value === 'number') {
          marked[name] = value;
        } else {
          marked[name] = `\u0001${strings.length}\u0002`;
          strings.push(value);
        }
      }
      // eslint-disable-next-line no-control-regex
      return escapeHtmlText(text(key, marked)).replace(/\u0001(\d+)\u0002/g, (_, index: string) =>
        isolateHtml(strings[Number(index)], direction),
      );
    },
  };
}
