/**
 * The notification email a sender receives when their held (quarantined) messages are released.
 *
 * Design decision 5: every subject, address and policy name here comes from quarantined mail, which an
 * attacker may have written. Each such string is made single-line and printable (control, bidi and
 * zero-width characters removed), bounded in length without splitting a character, and escaped in HTML.
 * Values only ever appear as element text, never in attributes or links. The message body is never
 * included: the composer does not even receive it.
 */
import { domainToASCII } from 'node:url';
import type { EmailSettings } from '../config/settings';
import { unlinkable } from './outside-text';

export interface ReleasedMessageSummary {
  subject: string;
  originalRecipients: string[];
  releasedTo: string[];
  /** ISO 8601; a time without a zone is read as UTC. */
  quarantinedAt?: string;
  releasedAt?: string;
  releaser: { kind: 'person'; name: string } | { kind: 'administrator' } | { kind: 'system' };
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

function listText(list: { shown: string[]; more: number }): string {
  if (list.shown.length === 0) return 'not known';
  return list.shown.join(', ') + (list.more > 0 ? ` and ${list.more} more` : '');
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

export function releasedByText(releaser: ReleasedMessageSummary['releaser'], hideReleaser: boolean): string {
  switch (releaser?.kind) {
    case 'person': {
      const name = cleanLine(releaser.name, LIMITS.name);
      return hideReleaser || name === '' ? 'an administrator' : name;
    }
    case 'system':
      return 'automatically by Microsoft 365'; // labelled "Released", not "Released by"
    default:
      return 'an administrator';
  }
}

const TYPE_LABELS: Record<string, string> = {
  transportrule: 'a mail flow rule',
  datalossprevention: 'a data loss prevention (DLP) policy',
  spam: 'spam filtering',
  bulk: 'bulk mail filtering',
  phish: 'phishing protection',
  highconfphish: 'high-confidence phishing protection',
  highconfidencephish: 'high-confidence phishing protection',
  malware: 'malware protection',
  spomalware: 'malware protection (SharePoint, OneDrive or Teams)',
  filetypeblock: 'a blocked file type',
  admintriggered: 'an administrator',
  ppi: 'a priority account protection policy',
};

const POLICY_TYPE_LABELS: Record<string, string> = {
  exchangetransportrule: 'mail flow rule',
  datalosspreventionrule: 'DLP rule',
  hostedcontentfilterpolicy: 'anti-spam policy',
  antiphishpolicy: 'anti-phishing policy',
  antimalwarepolicy: 'anti-malware policy',
  safeattachmentpolicy: 'Safe Attachments policy',
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
): string {
  const typeKey = labelKey(message.type);
  const type = TYPE_LABELS[typeKey] ?? cleanLine(message.type, LIMITS.name);
  const policyName = cleanLine(message.policyName, LIMITS.name);
  const quotedName = policyName ? `"${policyName}"` : '';
  const samePolicyKind = SAME_AS_TYPE[typeKey];
  if (samePolicyKind && (!message.policyType || labelKey(message.policyType) === samePolicyKind)) {
    return quotedName ? `${type} ${quotedName}` : type;
  }
  const policyKind =
    POLICY_TYPE_LABELS[labelKey(message.policyType)] ?? cleanLine(message.policyType, LIMITS.name);
  const policy = [policyKind || (quotedName ? 'policy' : ''), quotedName].filter(Boolean).join(' ');
  if (type && policy) return `${type} (${policy})`;
  return type || policy || 'not known';
}

function subjectOf(message: ReleasedMessageSummary, max: number): string {
  return cleanLine(message.subject, max) || '(no subject)';
}

/** Our subject line: fixed wording, plus the quarantined subject (cleaned, short) when there is one message. */
export function subjectLine(n: Notification): string {
  const count = n.messages.length;
  let line: string;
  if (count === 0) {
    line = 'Your held messages were released';
  } else if (count === 1) {
    const quoted = `"${subjectOf(n.messages[0], LIMITS.subjectInSubjectLine)}"`;
    line = n.followUp
      ? `Your held message ${quoted} was released to more recipients`
      : `Your held message ${quoted} was released`;
  } else if (n.followUp) {
    line = `${count} of your held messages were released to more recipients`;
  } else {
    line = `${count} of your held messages were released`;
  }
  // The settings' and our own words are clean already; this guards the whole line once more.
  return cleanLine(line, LIMITS.subjectLine);
}

// ---------------------------------------------------------------------------------------------------
// Composition

interface MessageView {
  subject: string;
  originalRecipients: string;
  releasedTo: string;
  quarantinedAt: string;
  releasedAt: string;
  releasedBy: string;
  /** A system release reads "Released: automatically by Microsoft 365". */
  releasedByLabel: string;
  reason: string;
}

function viewOf(message: ReleasedMessageSummary, hideReleaser: boolean): MessageView {
  return {
    subject: unlinkable(subjectOf(message, LIMITS.subject)), // quoted in the body: never a link
    originalRecipients: listText(addressList(message.originalRecipients)),
    releasedTo: listText(addressList(message.releasedTo)),
    quarantinedAt: formatUtc(message.quarantinedAt),
    releasedAt: formatUtc(message.releasedAt),
    releasedBy: releasedByText(message.releaser, hideReleaser),
    releasedByLabel: message.releaser?.kind === 'system' ? 'Released' : 'Released by',
    reason: reasonText(message),
  };
}

function rows(view: MessageView, followUp: boolean): [string, string][] {
  return [
    ['Subject', view.subject],
    ['Originally sent to', view.originalRecipients],
    [followUp ? 'Now also released to' : 'Released to', view.releasedTo],
    ['Held (quarantined) at', view.quarantinedAt],
    ['Released at', view.releasedAt],
    [view.releasedByLabel, view.releasedBy],
    ['Held because of', view.reason],
  ];
}

function intro(n: Notification, listed: number): string {
  const count = n.messages.length;
  if (n.followUp) {
    return count === 1
      ? 'A message you sent, which we told you about earlier, has now also been released to more recipients. This email names only the recipients it was released to since then.'
      : `${count} messages you sent, which we told you about earlier, have now also been released to more recipients. This email names only the recipients they were released to since then.`;
  }
  const held =
    count === 1
      ? 'A message you sent was held in quarantine and has now been released: it went on to the recipients it was released to, listed below.'
      : `${count} messages you sent were held in quarantine and have now been released: they went on to the recipients they were released to, listed below.`;
  return listed < count ? `${held} The first ${listed} are listed here.` : held;
}

function closing(n: Notification, settings: EmailSettings) {
  const sender = displayAddress(n.sender) || 'your address';
  return {
    why: `You receive this email because the message${n.messages.length === 1 ? ' was' : 's were'} sent from ${sender}. Nothing needs to be done.`,
    support: settings.supportContact
      ? `Questions? Contact ${cleanLine(settings.supportContact, 200)}.`
      : undefined,
    disclaimer: cleanParagraphs(settings.disclaimer, 1000),
    signature: cleanLine(settings.senderDisplayName, 100),
  };
}

const STYLE = {
  body: 'font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45;color:#1f1f1f;margin:0;padding:16px;',
  table: 'border-collapse:collapse;margin:0 0 20px 0;width:100%;max-width:720px;',
  th: 'text-align:left;vertical-align:top;padding:4px 12px 4px 0;color:#555;font-weight:normal;white-space:nowrap;',
  td: 'vertical-align:top;padding:4px 0;word-break:break-word;',
  heading: 'font-size:15px;margin:20px 0 6px 0;',
  small: 'color:#555;font-size:12px;',
};

/**
 * Composes the email that tells `n.sender` about their released messages. Pure: the same input gives
 * the same output. The body lists at most LIMITS.messagesShown messages (and stops early when the HTML
 * passes LIMITS.htmlBudget), then says how many more were released.
 */
export function composeNotification(n: Notification, settings: EmailSettings): ComposedEmail {
  const messages = Array.isArray(n.messages) ? n.messages : [];
  const safe: Notification = { ...n, messages };
  const subject = subjectLine(safe);

  const htmlBlocks: string[] = [];
  const textBlocks: string[] = [];
  let htmlSize = 0;
  for (const [index, message] of messages.slice(0, LIMITS.messagesShown).entries()) {
    if (htmlSize > LIMITS.htmlBudget) break;
    const cells = rows(viewOf(message, settings.hideReleaser), safe.followUp);
    const heading = messages.length > 1 ? `Message ${index + 1} of ${messages.length}` : 'The message';
    const html =
      `<h2 style="${STYLE.heading}">${escapeHtml(heading)}</h2>\n<table role="presentation" style="${STYLE.table}">\n` +
      cells
        .map(
          ([label, value]) =>
            `<tr><th style="${STYLE.th}">${escapeHtml(label)}</th><td style="${STYLE.td}">${escapeHtml(value)}</td></tr>`,
        )
        .join('\n') +
      '\n</table>';
    htmlSize += html.length;
    htmlBlocks.push(html);
    textBlocks.push(
      `${heading}\n${'-'.repeat(heading.length)}\n` +
        cells.map(([label, value]) => `${label}: ${value}`).join('\n'),
    );
  }
  const unlisted = messages.length - htmlBlocks.length;
  const moreText =
    unlisted > 0
      ? `${unlisted} more released message${unlisted === 1 ? ' is' : 's are'} not listed in this email.`
      : undefined;
  const end = closing(safe, settings);
  const lead = intro(safe, htmlBlocks.length);

  const paragraph = (text: string, style = '') =>
    `<p${style ? ` style="${style}"` : ''}>${escapeHtml(text)}</p>`;
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(subject)}</title></head>`,
    `<body style="${STYLE.body}">`,
    paragraph('Hello,'),
    paragraph(lead),
    ...htmlBlocks,
    ...(moreText ? [paragraph(moreText)] : []),
    paragraph(end.why),
    ...(end.support ? [paragraph(end.support)] : []),
    ...(end.signature ? [paragraph(end.signature)] : []),
    ...end.disclaimer.map((line) => paragraph(line, STYLE.small)),
    '</body>',
    '</html>',
    '',
  ].join('\n');

  const plainText = [
    'Hello,',
    lead,
    ...textBlocks,
    ...(moreText ? [moreText] : []),
    end.why,
    ...(end.support ? [end.support] : []),
    ...(end.signature ? [end.signature] : []),
    ...(end.disclaimer.length > 0 ? [end.disclaimer.join('\n')] : []),
    '',
  ].join('\n\n');

  return { subject, plainText, html };
}
