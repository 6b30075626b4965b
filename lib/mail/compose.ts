/**
 * The notification email a sender receives when their held (quarantined) messages are released.
 *
 * docs/architecture.md#outside-text: every subject, address and policy name here comes from quarantined mail,
 * which an attacker may have written. Each such string is made single-line and printable (control, bidi and
 * zero-width characters removed), bounded in length without splitting a character, and escaped in HTML.
 * Values only ever appear as element text, never in attributes or links. The message body is never included:
 * the composer does not even receive it.
 */
import { domainToASCII } from 'node:url';
import type { EmailSettings } from '../config/settings';
import { brandHeaderHtml, brandOf, type InlineAttachment } from './brand';
import { isolateHtml, translator, type Language, type MessageKey, type Translator } from './i18n';
import { formatForReader, formatUtcShort, parseWireTime, type ReaderPreferences } from './reader-time';

const ENGLISH = translator('en');
import { unlinkable } from './outside-text';

export interface ReleasedMessageSummary {
  subject: string;
  originalRecipients: string[];
  releasedTo: string[];
  /** ISO 8601; a time without a zone is read as UTC. */
  quarantinedAt?: string;
  releasedAt?: string;
  /**
   * False when the release time is only when a snapshot first saw the message released (the quarantine's
   * status): the email then says released no later than that time (docs/architecture.md#release-sources).
   */
  releasedAtExact?: boolean;
  releaser:
    | { kind: 'person'; name: string }
    /** `tool`: the application the administrator released it through, where its audit record names it. */
    | { kind: 'administrator'; tool?: string }
    | { kind: 'system' };
  /** The quarantine type, e.g. TransportRule, DataLossPrevention, "High Confidence Phish". */
  type?: string;
  /** e.g. ExchangeTransportRule, DataLossPreventionRule. */
  policyType?: string;
  policyName?: string;
}

export interface Notification {
  sender: string;
  messages: ReleasedMessageSummary[];
  /** A later record for an already-notified message: the email names only the new recipients. */
  followUp: boolean;
}

export interface ComposedEmail {
  subject: string;
  plainText: string;
  html: string;
  /** The language it is written in. */
  language: Language;
  /** Images the HTML shows by `cid:` (the tenant's logo, when it is a file). */
  inlineAttachments?: InlineAttachment[];
}

/** Bounds, in UTF-16 code units. Exported so tests and callers can reason about the worst case. */
export const LIMITS = {
  /** A quarantined subject in the body. */
  subject: 300,
  /** A quarantined subject quoted in our own subject line. */
  subjectInSubjectLine: 80,
  /** Our whole subject line. */
  subjectLine: 160,
  /** One address (RFC 5321 allows 254). */
  address: 254,
  /** Addresses listed per field before "and N more". */
  recipientsShown: 10,
  /** A releaser's name, a policy name, a type. */
  name: 200,
  /** Messages listed in one email before "and N more". */
  messagesShown: 50,
  /** The HTML body stops listing messages once it passes this size; ACS accepts 10 MB per email. */
  htmlBudget: 1_000_000,
} as const;

// ---------------------------------------------------------------------------------------------------
// Making untrusted text safe

/**
 * Characters removed from every untrusted string: C0 and C1 controls and DEL (NUL, CR, LF, ESC…), bidi
 * embeddings, overrides and isolates (U+202A-E, U+2066-9), directional marks (U+200E/F, U+061C),
 * zero-width spaces, word joiners and the BOM, line and paragraph separators, and the interlinear
 * annotation marks. They break the email's structure or make text display as something it is not.
 * The joiners U+200C/D stay: emoji sequences and several scripts need them.
 */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;
/** Lone surrogates are not text: they become U+FFFD so the output is well-formed UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Input beyond this many code units is never looked at (a 100 KB subject costs nothing). */
const PRE_CUT_FACTOR = 4;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Cuts `text` to at most `max` code units at a grapheme boundary (an emoji or an accented letter is
 * never split), ending with "…" when anything was cut. A single grapheme longer than the budget (a
 * "Zalgo" pile of combining marks) is cut between code points, never inside a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const budget = max - 1; // room for the ellipsis
  let out = '';
  // Boundaries up to the budget depend only on the text before them and one character after.
  for (const { segment } of graphemes.segment(text.slice(0, budget + 2))) {
    if (out.length + segment.length > budget) {
      if (out === '') {
        for (const codePoint of segment) {
          if (out.length + codePoint.length > budget) break;
          out += codePoint;
        }
      }
      break;
    }
    out += segment;
  }
  return out + '…';
}

/** One line of printable text: invisible characters removed, whitespace runs collapsed, bounded. */
export function cleanLine(value: unknown, max: number): string {
  const raw = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  const cut = raw.length > max * PRE_CUT_FACTOR;
  let text = (cut ? raw.slice(0, max * PRE_CUT_FACTOR) : raw)
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(/[\t\n\v\f\r\u0085\u2028\u2029]+/g, ' ')
    .replace(INVISIBLE, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (cut && text.length < max) {
    // Mostly invisible characters were cut away: still say the text goes on.
    text = text.replace(/\ufffd$/, '');
    return text.length < max ? text + '…' : truncate(text, max);
  }
  return truncate(text, max);
}

/** Text from the settings that may span lines (the disclaimer): each line cleaned, blank runs kept short. */
function cleanParagraphs(value: string | undefined, max: number): string[] {
  if (!value) return [];
  return truncate(value.replace(LONE_SURROGATE, '\ufffd'), max)
    .split(/\r\n|[\n\r\u2028\u2029]/)
    .map((line) => cleanLine(line, max))
    .filter((line) => line !== '');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/**
 * An address as a reader should see it. A domain with non-ASCII letters (a homoglyph such as a
 * Cyrillic "а" in "аpple.com") is followed by its ASCII (punycode) form, which cannot pass for another.
 */
export function displayAddress(address: string): string {
  const clean = cleanLine(address, LIMITS.address);
  const at = clean.lastIndexOf('@');
  if (at < 0) return clean;
  const domain = clean.slice(at + 1);
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(domain)) return clean;
  const ascii = domainToASCII(domain.toLowerCase());
  return ascii ? `${clean} [${ascii}]` : `${clean} [not a valid domain]`;
}

function addressList(addresses: readonly string[]): { shown: string[]; more: number } {
  const list = Array.isArray(addresses) ? addresses : [];
  const seen = new Set<string>();
  const shown: string[] = [];
  let more = 0;
  for (const address of list) {
    if (shown.length < LIMITS.recipientsShown) {
      const text = displayAddress(address);
      if (text === '' || seen.has(text.toLowerCase())) continue;
      seen.add(text.toLowerCase());
      shown.push(text);
    } else {
      // Beyond the shown ones only the count matters: no need to clean each.
      const key = typeof address === 'string' ? address.trim().toLowerCase() : '';
      if (key === '' || seen.has(key)) continue;
      seen.add(key);
      more += 1;
    }
  }
  return { shown, more };
}

// ---------------------------------------------------------------------------------------------------
// Wording

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** "Monday 2 March 2026, 09:14 UTC"; unknown or unreadable times say so rather than echo the input. */
export function formatUtc(value: string | undefined): string {
  if (!value) return 'not known';
  const trimmed = value.trim();
  const match = ISO.exec(trimmed);
  if (!match) return 'not known';
  // A time without a zone is UTC (the classic audit records write it so); JavaScript would read it as local.
  const withZone = match[1] || trimmed.length === 10 ? trimmed : `${trimmed}Z`;
  const date = new Date(withZone.replace(' ', 'T'));
  if (Number.isNaN(date.getTime())) return 'not known';
  const hh = String(date.getUTCHours()).padStart(2, '0');
  const mm = String(date.getUTCMinutes()).padStart(2, '0');
  return `${WEEKDAYS[date.getUTCDay()]} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${hh}:${mm} UTC`;
}

export function releasedByText(
  releaser: ReleasedMessageSummary['releaser'],
  hideReleaser: boolean,
  t: Translator = ENGLISH,
): string {
  switch (releaser?.kind) {
    case 'person': {
      const name = cleanLine(releaser.name, LIMITS.name);
      return hideReleaser || name === '' ? t.text('value.administrator') : name;
    }
    case 'system':
      return t.text('value.system'); // labelled "Released", not "Released by"
    case 'administrator': {
      const tool = cleanLine(releaser.tool, LIMITS.name);
      return hideReleaser || tool === ''
        ? t.text('value.administrator')
        : t.text('value.administratorThrough', { tool });
    }
    default:
      return t.text('value.administrator');
  }
}

/** Quarantine types with a wording of their own (the rest are shown as the quarantine names them). */
const TYPE_KEYS: Record<string, MessageKey> = {
  transportrule: 'type.transportrule',
  datalossprevention: 'type.datalossprevention',
  spam: 'type.spam',
  bulk: 'type.bulk',
  phish: 'type.phish',
  highconfphish: 'type.highconfphish',
  highconfidencephish: 'type.highconfphish',
  malware: 'type.malware',
  spomalware: 'type.spomalware',
  filetypeblock: 'type.filetypeblock',
  admintriggered: 'type.admintriggered',
  ppi: 'type.ppi',
};

const POLICY_TYPE_KEYS: Record<string, MessageKey> = {
  exchangetransportrule: 'policyType.exchangetransportrule',
  datalosspreventionrule: 'policyType.datalosspreventionrule',
  hostedcontentfilterpolicy: 'policyType.hostedcontentfilterpolicy',
  antiphishpolicy: 'policyType.antiphishpolicy',
  antimalwarepolicy: 'policyType.antimalwarepolicy',
  safeattachmentpolicy: 'policyType.safeattachmentpolicy',
};

const labelKey = (value: string | undefined) => (value ?? '').toLowerCase().replace(/[^a-z]/g, '');

/** Policy types that only repeat what the quarantine type already says. */
const SAME_AS_TYPE: Record<string, string> = {
  transportrule: 'exchangetransportrule',
  datalossprevention: 'datalosspreventionrule',
};

/** 'a mail flow rule "Quarantine outbound confidential"', 'spam filtering (anti-spam policy "Default")'. */
export function reasonText(
  message: Pick<ReleasedMessageSummary, 'type' | 'policyType' | 'policyName'>,
  t: Translator = ENGLISH,
): string {
  const typeKey = labelKey(message.type);
  const type = TYPE_KEYS[typeKey] ? t.text(TYPE_KEYS[typeKey]) : cleanLine(message.type, LIMITS.name);
  const policyName = cleanLine(message.policyName, LIMITS.name);
  const quotedName = policyName ? t.text('value.quoted', { name: policyName }) : '';
  const samePolicyKind = SAME_AS_TYPE[typeKey];
  if (samePolicyKind && (!message.policyType || labelKey(message.policyType) === samePolicyKind)) {
    return quotedName ? `${type} ${quotedName}` : type;
  }
  const policyTypeKey = POLICY_TYPE_KEYS[labelKey(message.policyType)];
  const policyKind = policyTypeKey ? t.text(policyTypeKey) : cleanLine(message.policyType, LIMITS.name);
  const kind = policyKind || (quotedName ? t.text('value.policy') : '');
  const policy =
    kind && quotedName ? t.text('value.policyNamed', { kind, name: quotedName }) : kind || quotedName;
  if (type && policy) return `${type} (${policy})`;
  return type || policy || t.text('value.notKnown');
}

function subjectOf(message: ReleasedMessageSummary, max: number, t: Translator = ENGLISH): string {
  return cleanLine(message.subject, max) || t.text('value.noSubject');
}

/**
 * The quarantined subject as it is quoted in our own subject line: cleaned and short. The one place the
 * subject line takes outside text.
 */
function quotedSubjectForSubjectLine(message: ReleasedMessageSummary, t: Translator): string {
  return subjectOf(message, LIMITS.subjectInSubjectLine, t);
}

/** Our subject line: fixed wording, plus the quarantined subject (cleaned, short) when there is one message. */
export function subjectLine(n: Notification, t: Translator = ENGLISH): string {
  const count = n.messages.length;
  let line: string;
  if (count === 0) {
    line = t.text('subject.none');
  } else if (count === 1) {
    const subject = quotedSubjectForSubjectLine(n.messages[0], t);
    line = t.text(n.followUp ? 'subject.oneFollowUp' : 'subject.one', { subject });
  } else {
    line = t.text(n.followUp ? 'subject.manyFollowUp' : 'subject.many', { count });
  }
  // The settings' and our own words are clean already; this guards the whole line once more.
  return cleanLine(line, LIMITS.subjectLine);
}

// ---------------------------------------------------------------------------------------------------
// Composition

/** Who reads the email: their language and, when known, their time zone and formats. */
export interface Reader extends Partial<ReaderPreferences> {
  language: Language;
  /** The mailbox's own locale (e.g. en-US, de-AT), for `Intl`; must be of `language`. */
  locale?: string;
}

/** A time as the reader sees it; in the plain text the UTC time follows for the help desk. */
interface TimeView {
  local: string;
  utc?: string;
}

function timeOf(value: string | undefined, t: Translator, reader: Reader | undefined): TimeView {
  const date = parseWireTime(value);
  if (!date) return { local: t.text('value.notKnown') };
  if (!reader?.timeZone) {
    return {
      local: t.language === 'en' ? formatUtc(value) : formatForReader(date, t.locale, { timeZone: 'UTC' }),
    };
  }
  const local = formatForReader(date, t.locale, reader as ReaderPreferences);
  return UTC_ZONES.has(reader.timeZone) ? { local } : { local, utc: formatUtcShort(date) };
}

const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Etc/Zulu']);

interface MessageView {
  subject: string;
  originalRecipients: { shown: string[]; more: number };
  releasedTo: { shown: string[]; more: number };
  quarantinedAt: TimeView;
  releasedAt: TimeView;
  releasedAtExact: boolean;
  releasedBy: string;
  /** A system release reads "Released: automatically by Microsoft 365". */
  releasedByLabel: MessageKey;
  reason: string;
}

function viewOf(
  message: ReleasedMessageSummary,
  hideReleaser: boolean,
  t: Translator,
  reader?: Reader,
): MessageView {
  return {
    subject: unlinkable(subjectOf(message, LIMITS.subject, t)), // quoted in the body: never a link
    originalRecipients: addressList(message.originalRecipients),
    releasedTo: addressList(message.releasedTo),
    quarantinedAt: timeOf(message.quarantinedAt, t, reader),
    releasedAt: timeOf(message.releasedAt, t, reader),
    releasedAtExact: message.releasedAtExact !== false,
    releasedBy: releasedByText(message.releaser, hideReleaser, t),
    releasedByLabel: message.releaser?.kind === 'system' ? 'label.released' : 'label.releasedBy',
    reason: reasonText(message, t),
  };
}

/** One labelled field of a message: its plain text and its HTML. */
interface Cell {
  label: string;
  text: string;
  html: string;
}

/**
 * The quarantined subject in the body, as plain text and as HTML (escaped, and isolated when its
 * direction differs from the email's). The one place the body takes the quarantined subject.
 */
function subjectCellText(subject: string): string {
  return subject;
}
function subjectCellHtml(subject: string, t: Translator): string {
  return isolateHtml(subject, t.direction);
}

function addressCell(list: { shown: string[]; more: number }, t: Translator): { text: string; html: string } {
  if (list.shown.length === 0)
    return { text: t.text('value.notKnown'), html: escapeHtml(t.text('value.notKnown')) };
  const joined = list.shown.join(', ');
  if (list.more === 0) return { text: joined, html: isolateHtml(joined, t.direction) };
  return {
    text: t.text('value.listMore', { list: joined, count: list.more }),
    html: t.html('value.listMore', { list: joined, count: list.more }),
  };
}

function timeCell(time: TimeView): { text: string; html: string } {
  return { text: time.utc ? `${time.local} (${time.utc})` : time.local, html: escapeHtml(time.local) };
}

function cellsOf(view: MessageView, followUp: boolean, t: Translator): Cell[] {
  const plain = (text: string) => ({ text, html: isolateHtml(text, t.direction) });
  const cells: [MessageKey, { text: string; html: string }][] = [
    ['label.subject', { text: subjectCellText(view.subject), html: subjectCellHtml(view.subject, t) }],
    ['label.originalRecipients', addressCell(view.originalRecipients, t)],
    [followUp ? 'label.releasedToFollowUp' : 'label.releasedTo', addressCell(view.releasedTo, t)],
    ['label.quarantinedAt', timeCell(view.quarantinedAt)],
    [view.releasedAtExact ? 'label.releasedAt' : 'label.releasedNoLaterThan', timeCell(view.releasedAt)],
    [view.releasedByLabel, plain(view.releasedBy)],
    ['label.reason', plain(view.reason)],
  ];
  return cells.map(([key, value]) => ({ label: t.text(key), ...value }));
}

function intro(n: Notification, listed: number, t: Translator): string {
  const count = n.messages.length;
  if (n.followUp) return t.text('intro.followUp', { count });
  const held = t.text('intro.held', { count });
  return listed < count ? `${held} ${t.text('intro.firstListed', { listed })}` : held;
}

function closing(n: Notification, settings: EmailSettings, t: Translator) {
  const sender = displayAddress(n.sender) || t.text('value.yourAddress');
  const organisation = cleanLine(settings.brand?.organisationName, 100);
  const signature =
    settings.senderDisplayName !== undefined
      ? cleanLine(settings.senderDisplayName, 100)
      : organisation
        ? cleanLine(t.text('signature', { organisation }), 100)
        : t.text('signature.noOrganisation');
  const support = settings.supportContact ? cleanLine(settings.supportContact, 200) : undefined;
  return {
    why: {
      text: t.text('why', { count: n.messages.length, sender }),
      html: t.html('why', { count: n.messages.length, sender }),
    },
    support: support
      ? { text: t.text('support', { contact: support }), html: t.html('support', { contact: support }) }
      : undefined,
    disclaimer: cleanParagraphs(settings.disclaimer, 1000),
    signature,
  };
}

const STYLE = {
  body: 'font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45;color:#1f1f1f;background-color:#ffffff;margin:0;padding:0;',
  outer: 'border-collapse:collapse;width:100%;',
  inner: 'border-collapse:collapse;table-layout:fixed;width:100%;max-width:680px;',
  content: 'padding:16px;word-break:break-word;overflow-wrap:anywhere;',
  table: 'border-collapse:collapse;table-layout:fixed;margin:0 0 20px 0;width:100%;',
  th: 'vertical-align:top;padding:4px 12px 4px 0;color:#555555;font-weight:normal;width:34%;',
  td: 'vertical-align:top;padding:4px 0;word-break:break-word;overflow-wrap:anywhere;',
  heading: 'font-size:15px;margin:20px 0 6px 0;',
  small: 'color:#555555;font-size:12px;',
};

/**
 * Dark mode: clients that honour prefers-color-scheme (Apple Mail, Outlook on the web and mobile) get
 * light text on a dark background; the inline light colours stay for clients that ignore it (Outlook
 * desktop inverts them itself).
 */
const DARK_MODE_CSS =
  ':root{color-scheme:light dark;supported-color-schemes:light dark;}' +
  '@media (prefers-color-scheme: dark){' +
  '.qrn-body,.qrn-page{background-color:#1b1b1b !important;color:#e6e6e6 !important;}' +
  '.qrn-muted{color:#b3b3b3 !important;}' +
  '}';

/**
 * Composes the email that tells `n.sender` about their released messages, in the reader's language and
 * time zone (English and UTC when no reader is given). Pure: the same input gives the same output. The
 * body lists at most LIMITS.messagesShown messages (and stops early when the HTML passes
 * LIMITS.htmlBudget), then says how many more were released.
 */
export function composeNotification(
  n: Notification,
  settings: EmailSettings,
  reader?: Reader,
): ComposedEmail {
  const t = reader ? translator(reader.language, reader.locale) : ENGLISH;
  const messages = Array.isArray(n.messages) ? n.messages : [];
  const safe: Notification = { ...n, messages };
  const subject = subjectLine(safe, t);
  const brand = brandOf(settings.brand);
  const headingStyle = brand.accent ? `${STYLE.heading}color:${brand.accent};` : STYLE.heading;

  const htmlBlocks: string[] = [];
  const textBlocks: string[] = [];
  let htmlSize = 0;
  for (const [index, message] of messages.slice(0, LIMITS.messagesShown).entries()) {
    if (htmlSize > LIMITS.htmlBudget) break;
    const cells = cellsOf(viewOf(message, settings.hideReleaser, t, reader), safe.followUp, t);
    const heading =
      messages.length > 1
        ? t.text('heading.many', { index: index + 1, total: messages.length })
        : t.text('heading.one');
    const html =
      `<h2 style="${headingStyle}">${escapeHtml(heading)}</h2>\n<table role="presentation" width="100%" style="${STYLE.table}">\n` +
      cells
        .map(
          (cell) =>
            `<tr><th class="qrn-muted" align="${t.direction === 'rtl' ? 'right' : 'left'}" style="${STYLE.th}text-align:${t.direction === 'rtl' ? 'right' : 'left'};">${escapeHtml(cell.label)}</th><td style="${STYLE.td}">${cell.html}</td></tr>`,
        )
        .join('\n') +
      '\n</table>';
    htmlSize += html.length;
    htmlBlocks.push(html);
    textBlocks.push(
      `${heading}\n${'-'.repeat(heading.length)}\n` +
        cells.map((cell) => `${cell.label}: ${cell.text}`).join('\n'),
    );
  }
  const unlisted = messages.length - htmlBlocks.length;
  const moreText = unlisted > 0 ? t.text('more.notListed', { count: unlisted }) : undefined;
  const end = closing(safe, settings, t);
  const lead = intro(safe, htmlBlocks.length, t);
  const greeting = t.text('greeting');

  const paragraph = (text: string, style = '', className = '') =>
    `<p${className ? ` class="${className}"` : ''}${style ? ` style="${style}"` : ''}>${escapeHtml(text)}</p>`;
  const paragraphHtml = (html: string) => `<p>${html}</p>`;
  const html = [
    '<!DOCTYPE html>',
    `<html lang="${t.locale}" dir="${t.direction}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark">',
    `<style>${DARK_MODE_CSS}</style>`,
    `<title>${escapeHtml(subject)}</title></head>`,
    `<body class="qrn-body" style="${STYLE.body}">`,
    `<table role="presentation" width="100%" class="qrn-page" style="${STYLE.outer}"><tr><td align="center">`,
    `<table role="presentation" width="100%" style="${STYLE.inner}"><tr><td dir="${t.direction}" style="${STYLE.content}text-align:${t.direction === 'rtl' ? 'right' : 'left'};">`,
    ...brandHeaderHtml(brand),
    paragraph(greeting),
    paragraph(lead),
    ...htmlBlocks,
    ...(moreText ? [paragraph(moreText)] : []),
    paragraphHtml(end.why.html),
    ...(end.support ? [paragraphHtml(end.support.html)] : []),
    ...(end.signature ? [paragraph(end.signature)] : []),
    ...end.disclaimer.map((line) => paragraph(line, STYLE.small, 'qrn-muted')),
    '</td></tr></table>',
    '</td></tr></table>',
    '</body>',
    '</html>',
    '',
  ].join('\n');

  const plainText = [
    greeting,
    lead,
    ...textBlocks,
    ...(moreText ? [moreText] : []),
    end.why.text,
    ...(end.support ? [end.support.text] : []),
    ...(end.signature ? [end.signature] : []),
    ...(end.disclaimer.length > 0 ? [end.disclaimer.join('\n')] : []),
    '',
  ].join('\n\n');

  return {
    subject,
    plainText,
    html,
    language: t.language,
    ...(brand.inlineLogo ? { inlineAttachments: [brand.inlineLogo] } : {}),
  };
}
