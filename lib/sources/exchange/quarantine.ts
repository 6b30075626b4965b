import type { QuarantinedMessage } from '../../core/domain';
import type { Logger } from '../../core/log';
import type { ExchangeAdminApi } from './admin-api';
import {
  identityOf,
  isTruncated,
  newPagingStats,
  pagedListing,
  type ExchangePagingStats,
  type ListingPage,
} from './paging';

/**
 * Get-QuarantineMessage, paged and mapped (docs/wire-contract.md, Exchange admin API and
 * Get-QuarantineMessage).
 *
 * Paging uses the cmdlet's own Page/PageSize: there is no total count and a short, whole page is the only
 * end signal; a page the server cuts short is completed by its nextLink while that answers, else asked
 * again with a smaller PageSize (lib/sources/exchange/paging.ts). Both received dates are ALWAYS sent
 * (without them the cmdlet silently returns 16 days, not 30), and EntityType is never sent (it answers
 * 403 to Security Reader).
 */

export const QUARANTINE_PAGE_SIZE = 1000;
/** The cmdlet's documented range for Page (and PageSize): 1..1000. */
export const QUARANTINE_MAX_PAGE = 1000;
/** Exchange keeps (and answers for) at most this far back; older StartReceivedDate values are ignored. */
export const QUARANTINE_MAX_LOOKBACK_MS = 30 * 24 * 60 * 60 * 1000;

export interface QuarantinePageQuery {
  /** StartReceivedDate (inclusive). */
  start: Date;
  /** EndReceivedDate. */
  end: Date;
  /** Further cmdlet parameters, e.g. `{ ReleaseStatus: 'Released' }`. Never EntityType, dates or paging. */
  filters?: Record<string, unknown>;
  /** 1..1000 (default 1000): the first PageSize asked; a server that cuts pages shorter makes it smaller. */
  pageSize?: number;
  /** A safety stop below the cmdlet's own limit of 1000 pages. */
  maxPages?: number;
  /** Filled as the listing goes: requests, truncations, nextLinks followed and refused, the size settled on. */
  stats?: ExchangePagingStats;
}

/** One whole page of Get-QuarantineMessage (see ListingPage). */
export type QuarantinePage = ListingPage;

/** Exchange's date format, e.g. 2026-07-01T00:00:00.0000000Z (seven fractional digits, UTC). */
export function exchangeDate(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

const RESERVED = ['entitytype', 'page', 'pagesize', 'startreceiveddate', 'endreceiveddate', 'identity'];

/**
 * Yields Get-QuarantineMessage one whole page at a time: the caller stores a page before asking for the
 * next, so memory holds one page whatever the quarantine's size.
 */
export async function* fetchQuarantinePages(
  exchange: Pick<ExchangeAdminApi, 'invoke'>,
  query: QuarantinePageQuery,
  logger?: Logger,
): AsyncGenerator<QuarantinePage, void, undefined> {
  const pageSize = query.pageSize ?? QUARANTINE_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > QUARANTINE_MAX_PAGE) {
    throw new Error(`Get-QuarantineMessage PageSize must be 1..${QUARANTINE_MAX_PAGE}, not ${pageSize}`);
  }
  const maxPages = Math.min(query.maxPages ?? QUARANTINE_MAX_PAGE, QUARANTINE_MAX_PAGE);
  const filters = query.filters ?? {};
  const reserved = Object.keys(filters).find((k) => RESERVED.includes(k.toLowerCase()));
  if (reserved)
    throw new Error(`Get-QuarantineMessage filter "${reserved}" is set by the pager itself or forbidden`);
  if (!(query.start.getTime() < query.end.getTime())) {
    throw new Error(
      `Get-QuarantineMessage window is empty: ${query.start.toISOString()} .. ${query.end.toISOString()}`,
    );
  }
  const parameters = {
    ...filters,
    StartReceivedDate: exchangeDate(query.start),
    EndReceivedDate: exchangeDate(query.end),
  };
  yield* pagedListing(exchange, 'Get-QuarantineMessage', parameters, {
    pageSize,
    maxPages,
    stats: query.stats ?? newPagingStats(),
    logger,
  });
}

// --- Mapping one row ---------------------------------------------------------------------------------

/** A wire invariant a row broke: counted and logged, the row still stored. */
export interface WireWarning {
  kind: 'unknown-enum' | 'unexpected-type' | 'unparsable-date';
  field: string;
  /** The unknown enum value (never personal data), or the JavaScript type that came. */
  value: string;
}

export type MappedRow = { message: QuarantinedMessage; warnings: WireWarning[] } | { skipped: SkipReason };

export type SkipReason = 'not-an-object' | 'identity-missing' | 'identity-unparsable' | 'mapping-failed';

/** The enum values seen or documented; anything else is stored, and counted as a wire-invariant warning. */
export const KNOWN_VALUES = {
  Type: [
    'Spam',
    'TransportRule',
    'Transport Rule',
    'Bulk',
    'Phish',
    'HighConfPhish',
    'High Confidence Phish',
    'Malware',
    'SPOMalware',
    'DataLossPrevention',
    'Data Loss Prevention',
    'FileTypeBlock',
    'AdminTriggered',
    'PPI',
  ],
  QuarantineTypes: [
    'Spam',
    'TransportRule',
    'Bulk',
    'Phish',
    'HighConfPhish',
    'Malware',
    'SPOMalware',
    'DataLossPrevention',
    'FileTypeBlock',
    'AdminTriggered',
    'PPI',
  ],
  PolicyType: [
    'AntiMalwarePolicy',
    'AntiPhishPolicy',
    'DataLossPreventionRule',
    'ExchangeTransportRule',
    'HostedContentFilterPolicy',
    'SafeAttachmentPolicy',
  ],
  Direction: ['Inbound', 'Outbound'],
  ReleaseStatus: [
    'NOTRELEASED',
    'RELEASED',
    'REQUESTED',
    'APPROVED',
    'DENIED',
    'PREPARINGTORELEASE',
    'ERROR',
  ],
} as const;

const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

/** Parses `GUID1\GUID2` into lower-case GUIDs, or undefined. */
export function parseIdentity(identity: string): { networkMessageId: string; rowId: string } | undefined {
  const parts = identity.trim().split('\\');
  if (parts.length !== 2) return undefined;
  const first = GUID.exec(parts[0].trim());
  const second = GUID.exec(parts[1].trim());
  if (!first || !second) return undefined;
  return { networkMessageId: first[1].toLowerCase(), rowId: second[1].toLowerCase() };
}

/**
 * Maps one raw row to the stored shape. Tolerant: a missing or mistyped field becomes a default plus a
 * warning; only a row without a parsable Identity is skipped (it has no key to store it under).
 */
export function mapQuarantineRow(raw: unknown): MappedRow {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { skipped: 'not-an-object' };
  const row = raw as Record<string, unknown>;
  const warnings: WireWarning[] = [];
  const read = new RowReader(row, warnings);

  const identity = read.text('Identity');
  if (identity === undefined || identity.trim() === '') return { skipped: 'identity-missing' };
  const keys = parseIdentity(identity);
  if (!keys) return { skipped: 'identity-unparsable' };

  const recipients = read.list('RecipientAddress').map(lowerAddress);
  const message: QuarantinedMessage = {
    networkMessageId: keys.networkMessageId,
    rowId: keys.rowId,
    identity,
    receivedAt: read.date('ReceivedTime'),
    expiresAt: read.date('Expires'),
    senderAddress: lowerAddress(read.text('SenderAddress') ?? ''),
    recipients,
    recipientCount: read.number('RecipientCount') ?? recipients.length,
    subject: read.text('Subject') ?? '',
    type: read.enumText('Type') ?? '',
    quarantineType: read.enumText('QuarantineTypes'),
    policyType: read.enumText('PolicyType'),
    policyName: read.text('PolicyName'),
    direction: read.enumText('Direction'),
    releaseStatus: read.enumText('ReleaseStatus', (v) => v.toUpperCase()),
    released: read.boolean('Released'),
    systemReleased: read.boolean('SystemReleased'),
    releasedBy: read.list('ReleasedBy').map(lowerAddress),
    releasedUsers: read.list('ReleasedUser').map(lowerAddress),
    releasedCount: read.number('ReleasedCount') ?? 0,
    internetMessageId: read.text('MessageId'),
    size: read.number('Size'),
  };
  for (const key of Object.keys(message) as (keyof QuarantinedMessage)[]) {
    if (message[key] === undefined) delete message[key];
  }
  return { message, warnings };
}

function lowerAddress(address: string): string {
  return address.trim().toLowerCase();
}

class RowReader {
  constructor(
    private readonly row: Record<string, unknown>,
    private readonly warnings: WireWarning[],
  ) {}

  private warnType(field: string, value: unknown) {
    this.warnings.push({
      kind: 'unexpected-type',
      field,
      value: Array.isArray(value) ? 'array' : typeof value,
    });
  }

  /** A string; numbers and booleans are turned into text with a warning; null/absent is undefined. */
  text(field: string): string | undefined {
    const value = this.row[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.warnType(field, value);
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(', ');
    return undefined;
  }

  enumText(
    field: keyof typeof KNOWN_VALUES,
    normalise: (v: string) => string = (v) => v,
  ): string | undefined {
    const raw = this.text(field);
    if (raw === undefined || raw.trim() === '') return undefined;
    const value = normalise(raw.trim());
    const known = KNOWN_VALUES[field] as readonly string[];
    // QuarantineTypes may list several ("Spam, Phish"): each part must be known.
    const parts = field === 'QuarantineTypes' ? value.split(/\s*,\s*/) : [value];
    for (const part of parts) {
      if (!known.includes(part))
        this.warnings.push({ kind: 'unknown-enum', field, value: part.slice(0, 60) });
    }
    return value;
  }

  number(field: string): number | undefined {
    const value = this.row[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    this.warnType(field, value);
    if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) {
      // Hundreds of digits read as Infinity, which Table Storage cannot keep: treat it as unreadable.
      const parsed = Number(value);
      if (Number.isFinite(parsed)) return parsed;
    }
    return undefined;
  }

  boolean(field: string): boolean | undefined {
    const value = this.row[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    this.warnType(field, value);
    if (value === 'true' || value === 'True') return true;
    if (value === 'false' || value === 'False') return false;
    return undefined;
  }

  /** A list of strings; a single string becomes a one-item list (with a warning). */
  list(field: string): string[] {
    const value = this.row[field];
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) {
      const strings = value.filter((v): v is string => typeof v === 'string' && v.trim() !== '');
      if (strings.length !== value.filter((v) => v !== '').length)
        this.warnType(
          field,
          value.find((v) => typeof v !== 'string'),
        );
      return strings;
    }
    this.warnType(field, value);
    if (typeof value === 'string')
      return value.trim() === '' ? [] : value.split(/\s*[;,]\s*/).filter(Boolean);
    return [];
  }

  /** An ISO-8601 UTC string (milliseconds), from Exchange's "2026-07-22T08:58:01.4564204+00:00". */
  date(field: string): string | undefined {
    const value = this.row[field];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') {
      this.warnType(field, value);
      return undefined;
    }
    const parsed = Date.parse(value);
    if (Number.isNaN(parsed)) {
      this.warnings.push({ kind: 'unparsable-date', field, value: value.slice(0, 40) });
      return undefined;
    }
    return new Date(parsed).toISOString();
  }
}

/**
 * `Get-QuarantineMessage -Identity <Identity>`: the one row of that Identity, whose ReleasedUser and
 * ReleasedBy the paged list may leave empty (docs/wire-contract.md, Get-QuarantineMessage). An empty or
 * unknown Identity makes the cmdlet answer ALL messages, so an empty one is never sent, only the first
 * answer is read (its nextLink never: one row needs no second page), and only a row of exactly that
 * Identity is taken; undefined when there is none.
 */
export async function fetchQuarantineRowByIdentity(
  exchange: Pick<ExchangeAdminApi, 'invoke'>,
  identity: string,
  stats: ExchangePagingStats = newPagingStats(),
): Promise<unknown> {
  const wanted = identity.trim();
  if (wanted === '' || !parseIdentity(wanted)) {
    throw new Error('Get-QuarantineMessage -Identity needs a full GUID\\GUID Identity; none was sent');
  }
  const result = await exchange.invoke('Get-QuarantineMessage', { Identity: wanted });
  stats.requests += 1;
  if (isTruncated(result) && result.rows.length > 0) stats.truncations += 1;
  return result.rows.find((row) => String(identityOf(row) ?? '').toLowerCase() === wanted.toLowerCase());
}
