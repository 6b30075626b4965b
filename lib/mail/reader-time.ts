/**
 * Times as the reader reads them: in their own time zone, with the zone named ("22:22 CET"), in their
 * mailbox's date and time format where it has one (Windows patterns such as "dd.MM.yyyy" and "h:mm tt").
 */

/** What the composer needs to know about the reader (see lib/sources/mailbox-settings.ts). */
export interface ReaderPreferences {
  /** An IANA time zone (validated by the caller). */
  timeZone: string;
  /** A Windows short date pattern, e.g. "dd.MM.yyyy"; unknown tokens make it ignored. */
  dateFormat?: string;
  /** A Windows short time pattern, e.g. "HH:mm" or "h:mm tt". */
  timeFormat?: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A wire time as a Date; a time without a zone is UTC (the classic audit records write it so). */
export function parseWireTime(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const match = ISO.exec(trimmed);
  if (!match) return undefined;
  const withZone = match[1] || trimmed.length === 10 ? trimmed : `${trimmed}Z`;
  const date = new Date(withZone.replace(' ', 'T'));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** True when `Intl` knows the zone (Node 20 has full ICU). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Formatters by locale and options, built once: building an `Intl.DateTimeFormat` costs far more than
 * using it, and each one holds ICU memory outside the JavaScript heap until a collection frees it, so a run
 * composing a thousand emails built tens of thousands and grew its process by well over 100 MB. Readers'
 * locales and zones are few; past the bound the cache starts again.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATTERS = 1_000;

function dateTimeFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}\u0000${JSON.stringify(options)}`;
  let format = formatters.get(key);
  if (!format) {
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    format = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, format);
  }
  return format;
}

const DATE_TOKEN = /dddd|ddd|dd|d|MMMM|MMM|MM|M|yyyy|yy|'[^']*'|[^dMy']+/g;
const TIME_TOKEN = /HH|H|hh|h|mm|m|ss|s|tt|t|'[^']*'|[^HhmstT']+/g;

const DATE_FIELDS = new Set(['d', 'dd', 'ddd', 'dddd', 'M', 'MM', 'MMM', 'MMMM', 'yy', 'yyyy']);
const TIME_FIELDS = new Set(['H', 'HH', 'h', 'hh', 'm', 'mm', 's', 'ss', 't', 'tt']);

/**
 * The tokens of a pattern when every letter in it is a field we render (or quoted); undefined otherwise,
 * and the caller then uses the locale's own format.
 */
function tokens(pattern: string | undefined, grammar: RegExp, fields: Set<string>): string[] | undefined {
  if (!pattern || pattern.length > 40) return undefined;
  const found = pattern.match(grammar) ?? [];
  if (found.join('') !== pattern) return undefined;
  const understood = found.every((t) => fields.has(t) || t.startsWith("'") || !/[A-Za-z]/.test(t));
  return understood && found.some((t) => fields.has(t)) ? found : undefined;
}

function part(parts: Intl.DateTimeFormatPart[], type: Intl.DateTimeFormatPartTypes): string {
  return parts.find((p) => p.type === type)?.value ?? '';
}

/**
 * "Tuesday, 1 December 2026, 22:22 CET" in the reader's locale and zone, or in their own patterns
 * ("01.12.2026 22:22 MEZ"). The zone's short name comes from `Intl` in the reader's locale.
 */
export function formatForReader(date: Date, locale: string, reader: ReaderPreferences): string {
  const timeZone = reader.timeZone;
  const timeTokens = tokens(reader.timeFormat, TIME_TOKEN, TIME_FIELDS);
  const hour12 = timeTokens ? timeTokens.some((t) => t === 'h' || t === 'hh') : undefined;
  const zoneName = part(
    dateTimeFormat(locale, { timeZone, timeZoneName: 'short' }).formatToParts(date),
    'timeZoneName',
  );
  const dateTokens = tokens(reader.dateFormat, DATE_TOKEN, DATE_FIELDS);
  if (!dateTokens && !timeTokens) {
    return dateTimeFormat(locale, {
      timeZone,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    }).format(date);
  }
  const dateText = dateTokens
    ? renderDate(date, locale, timeZone, dateTokens)
    : dateTimeFormat(locale, { timeZone, dateStyle: 'full' }).format(date);
  const timeText = timeTokens
    ? renderTime(date, locale, timeZone, timeTokens)
    : dateTimeFormat(locale, { timeZone, timeStyle: 'short', hour12 }).format(date);
  return `${dateText} ${timeText} ${zoneName}`;
}

function renderDate(date: Date, locale: string, timeZone: string, list: string[]): string {
  const numeric = dateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(date);
  const year = part(numeric, 'year');
  const month = part(numeric, 'month');
  const day = part(numeric, 'day');
  const name = (options: Intl.DateTimeFormatOptions) =>
    dateTimeFormat(locale, { timeZone, ...options }).format(date);
  return list
    .map((t) => {
      switch (t) {
        case 'd':
          return day;
        case 'dd':
          return day.padStart(2, '0');
        case 'ddd':
          return name({ weekday: 'short' });
        case 'dddd':
          return name({ weekday: 'long' });
        case 'M':
          return month;
        case 'MM':
          return month.padStart(2, '0');
        case 'MMM':
          return name({ month: 'short' });
        case 'MMMM':
          return name({ month: 'long' });
        case 'yy':
          return year.slice(-2);
        case 'yyyy':
          return year;
        default:
          return t.startsWith("'") ? t.slice(1, -1) : t;
      }
    })
    .join('');
}

function renderTime(date: Date, locale: string, timeZone: string, list: string[]): string {
  const parts = dateTimeFormat('en-US', {
    timeZone,
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(date);
  const hour24 = Number(part(parts, 'hour')) % 24;
  const hour12 = hour24 % 12 === 0 ? 12 : hour24 % 12;
  const minute = part(parts, 'minute').padStart(2, '0');
  const second = part(parts, 'second').padStart(2, '0');
  const dayPeriod = part(
    dateTimeFormat(locale, { timeZone, hour: 'numeric', hour12: true }).formatToParts(date),
    'dayPeriod',
  );
  return list
    .map((t) => {
      switch (t) {
        case 'H':
          return String(hour24);
        case 'HH':
          return String(hour24).padStart(2, '0');
        case 'h':
          return String(hour12);
        case 'hh':
          return String(hour12).padStart(2, '0');
        case 'm':
          return String(Number(minute));
        case 'mm':
          return minute;
        case 's':
          return String(Number(second));
        case 'ss':
          return second;
        case 'tt':
          return dayPeriod;
        case 't':
          return dayPeriod.slice(0, 1);
        default:
          return t.startsWith("'") ? t.slice(1, -1) : t;
      }
    })
    .join('');
}

/** "2026-12-01 21:22 UTC": for the help desk, in the plain-text part beside the reader's time. */
export function formatUtcShort(date: Date): string {
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 16)} UTC`;
}
