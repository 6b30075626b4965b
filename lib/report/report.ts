import { stringify } from 'csv-stringify/sync';
import type { ReleaseRow, ReleasesStore, ReleaseStatus } from '../store/releases-store';
import { parseReportFilters, ReportUsageError, whenOf, type ReportField, type ReportFormat } from './filters';

/**
 * The report "who released what, for whom": the releases table (the composite view) as a table for a
 * terminal, CSV for Excel, or JSON. Shared by `qrn report` and `GET /api/releases`.
 *
 * Streaming: rows are read page by page from the table and written as they come; nothing holds the whole
 * table. The price is the order: rows come in the table's key order (by message), not by release time;
 * sort in Excel or with jq.
 */

export { RELEASE_STATUSES, REPORT_FORMATS, ReportUsageError } from './filters';
export type { ReportFormat } from './filters';

export interface ReportQuery {
  /** Releases at or after this time. */
  since?: Date;
  /** Releases before this time. */
  until?: Date;
  status?: ReleaseStatus;
  /** An address (exact), or a domain ("contoso.com" or "@contoso.com": that domain and its subdomains). */
  sender?: string;
}

/** One line of the report: the columns an administrator asked for, in their order. */
export interface ReportLine {
  releasedAt: string;
  releasedBy: string;
  sender: string;
  originalRecipients: string[];
  releasedTo: string;
  subject: string;
  type: string;
  policy: string;
  status: ReleaseStatus;
  /** The sentence, as the table shows it. */
  reason: string;
  /** The reason's code (lib/core/outcomes.ts), for a filter in Excel or jq; '' when there is no reason. */
  reasonCode: string;
  notifiedAt: string;
  networkMessageId: string;
}

/** A point in time as an administrator types it (lib/report/filters.ts reads it); `option` names it. */
export function parseWhen(text: string, now: Date, option: string): Date {
  const field = option.replace(/^-+/, '') as ReportField;
  const at = whenOf(text, now);
  if (at instanceof Date) return at;
  throw new ReportUsageError(`{${field}} ${at.problem}`, field);
}

/** The filters of the report, read by the one schema the CLI and the API share. */
export function parseReportQuery(
  input: { since?: string; until?: string; status?: string; sender?: string },
  now: Date,
): ReportQuery {
  const { since, until, status, sender } = parseReportFilters(
    { since: input.since, until: input.until, status: input.status, sender: input.sender },
    now,
  );
  return { since, until, status, sender };
}

export function parseFormat(text: string | undefined, fallback: ReportFormat): ReportFormat {
  // The format's check does not depend on the time.
  return parseReportFilters({ format: text }, new Date(0)).format ?? fallback;
}

export function senderMatches(sender: string | undefined, wanted: string): boolean {
  const address = (sender ?? '').toLowerCase();
  if (wanted.includes('@') && !wanted.startsWith('@')) return address === wanted;
  const domain = wanted.replace(/^@/, '');
  const own = address.slice(address.lastIndexOf('@') + 1);
  return address.includes('@') && (own === domain || own.endsWith(`.${domain}`));
}

export function toReportLine(row: ReleaseRow): ReportLine {
  const policy = [row.policyName, row.policyType ? `(${row.policyType})` : undefined]
    .filter(Boolean)
    .join(' ');
  return {
    releasedAt: row.releasedAt,
    releasedBy: row.releasedBy ?? row.releasedByRaw ?? (row.isSystemRelease ? 'System release' : ''),
    sender: row.sender ?? '',
    originalRecipients: row.originalRecipients ?? [],
    releasedTo: row.releasedTo,
    subject: row.subject ?? '',
    type: row.type ?? '',
    policy,
    status: row.status,
    reason: row.reason ?? '',
    reasonCode: row.reasonCode ?? '',
    notifiedAt: row.notifiedAt ?? '',
    networkMessageId: row.networkMessageId,
  };
}

/** The report's lines, read from the table as they come (status and time filtered by the table itself). */
export async function* reportLines(
  releases: Pick<ReleasesStore, 'list'>,
  query: ReportQuery,
): AsyncIterable<ReportLine> {
  for await (const row of releases.list({ status: query.status, since: query.since, until: query.until })) {
    if (query.sender && !senderMatches(row.sender, query.sender)) continue;
    yield toReportLine(row);
  }
}

// ---------------------------------------------------------------- formats

/** CSV and JSON carry every column; status and reason are separate so Excel can filter on the status. */
const COLUMNS: { key: keyof ReportLine; title: string }[] = [
  { key: 'releasedAt', title: 'Released at (UTC)' },
  { key: 'releasedBy', title: 'Released by' },
  { key: 'sender', title: 'Sender' },
  { key: 'originalRecipients', title: 'Original recipients' },
  { key: 'releasedTo', title: 'Released to' },
  { key: 'subject', title: 'Subject' },
  { key: 'type', title: 'Type' },
  { key: 'policy', title: 'Policy' },
  { key: 'status', title: 'Status' },
  { key: 'reason', title: 'Reason' },
  { key: 'reasonCode', title: 'Reason code' },
  { key: 'notifiedAt', title: 'Notified at (UTC)' },
];

/** The terminal table: fixed widths (streaming cannot measure the rows first), long cells cut with "…". */
const TABLE_COLUMNS: { title: string; width: number; text: (line: ReportLine) => string }[] = [
  { title: 'Released at (UTC)', width: 17, text: (l) => plainTime(l.releasedAt).slice(0, 16) },
  { title: 'Released by', width: 24, text: (l) => l.releasedBy },
  { title: 'Sender', width: 24, text: (l) => l.sender },
  { title: 'Original recipients', width: 24, text: (l) => l.originalRecipients.join(', ') },
  { title: 'Released to', width: 24, text: (l) => l.releasedTo },
  { title: 'Subject', width: 28, text: (l) => l.subject },
  { title: 'Type', width: 14, text: (l) => l.type },
  { title: 'Policy', width: 24, text: (l) => l.policy },
  { title: 'Status and reason', width: 34, text: (l) => (l.reason ? `${l.status}: ${l.reason}` : l.status) },
  { title: 'Notified at (UTC)', width: 17, text: (l) => plainTime(l.notifiedAt).slice(0, 16) },
];

/** "2026-03-02 13:40:05": a UTC time Excel reads as a date and a person reads at a glance. */
function plainTime(iso: string): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function cellText(line: ReportLine, key: keyof ReportLine): string {
  const value = line[key];
  if (key === 'releasedAt' || key === 'notifiedAt') return plainTime(value as string);
  return Array.isArray(value) ? value.join('; ') : String(value);
}

/**
 * CSV cells: subjects and addresses come from outside (docs/security.md, CSV formula injection). Excel runs a
 * cell that starts with `= + - @` (or their full-width forms) as a formula, and a double-clicked CSV is split
 * on the machine's list separator: `,` in English, `;` in German, French or Dutch, a tab when pasted. So a
 * formula character is defused wherever a cell of ANY of those splits could start: at the start of the text,
 * and after each `,` `;` tab or line break, past any spaces, no-break spaces or quotes. It gets a leading
 * apostrophe, which Excel shows as text. Control characters other than tab and line breaks are dropped.
 */
export function csvCell(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
  return clean.replace(FORMULA_AFTER_SPLIT, "$1'$2");
}

/** Where a cell could start in some locale's split (`^` or a separator), what Excel skips, a formula sign. */
const FORMULA_AFTER_SPLIT = /((?:^|[,;\t\r\n])[\s\u00a0"]*)([=+\-@\uff1d\uff0b\uff0d\uff20])/g;

/** One line for a terminal: no control characters (escape sequences in a subject must not reach it). */
function terminalCell(text: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  const chars = [...clean];
  const cut = chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : clean;
  return cut + ' '.repeat(Math.max(0, width - [...cut].length));
}

/** Every field quoted, so no reader splits one on a separator inside it; CRLF as Excel writes. */
const CSV_OPTIONS = { record_delimiter: 'windows', quoted: true, quoted_empty: true } as const;

/** One CSV record of defused cells. Shared by every CSV the app writes. */
export function csvRecord(cells: readonly string[]): string {
  return stringify([cells.map(csvCell)], CSV_OPTIONS);
}

/** The report as text chunks, one per line (plus a header and a footer). */
export async function* formatReport(
  lines: AsyncIterable<ReportLine>,
  format: ReportFormat,
): AsyncIterable<string> {
  let count = 0;
  if (format === 'csv') {
    // UTF-8 byte order mark: without it Excel reads the file as the machine's ANSI code page.
    yield '\ufeff' + csvRecord(COLUMNS.map((c) => c.title));
    for await (const line of lines) {
      yield csvRecord(COLUMNS.map((c) => cellText(line, c.key)));
    }
    return;
  }
  if (format === 'json') {
    yield '[';
    for await (const line of lines) {
      yield `${count++ === 0 ? '\n' : ',\n'}  ${JSON.stringify(line)}`;
    }
    yield count === 0 ? ']\n' : '\n]\n';
    return;
  }
  const row = (cells: string[]) => cells.join('  ').trimEnd() + '\n';
  yield row(TABLE_COLUMNS.map((c) => terminalCell(c.title, c.width)));
  yield row(TABLE_COLUMNS.map((c) => '-'.repeat(c.width)));
  for await (const line of lines) {
    count++;
    yield row(TABLE_COLUMNS.map((c) => terminalCell(c.text(line), c.width)));
  }
  yield `${count} release${count === 1 ? '' : 's'}\n`;
}
