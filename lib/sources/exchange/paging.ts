import type { Logger } from '../../core/log';
import { ExchangeApiError, type ExchangeAdminApi, type InvokeResult } from './admin-api';

/**
 * Reading Exchange admin API listings whole without depending on the nextLink (docs/wire-contract.md,
 * Exchange admin API: paging). The server may cut an answer below the size asked (`@odata.nextLink` and a
 * "more results" warning). Its nextLink is tried, and completes the page while it answers; its first
 * refusal (an app-only client is answered 400 "Expired or Invalid pagination request") ends its use for the
 * listing, and the cut page is asked again at the same offset with a smaller `PageSize` that divides the
 * rows already read, which later pages keep (docs/architecture.md#snapshot).
 */

/** What one listing cost and where its paging settled, for the run's summary line. */
export interface ExchangePagingStats {
  /** InvokeCommand calls, nextLinks included. */
  requests: number;
  /** Answers that came back truncated below the size asked. */
  truncations: number;
  /** nextLinks that answered. */
  linksFollowed: number;
  /** nextLinks refused: the listing went on with smaller pages instead. */
  linksRefused: number;
  /** The PageSize the listing settled on (absent for a cmdlet without one). */
  pageSize?: number;
}

export function newPagingStats(): ExchangePagingStats {
  return { requests: 0, truncations: 0, linksFollowed: 0, linksRefused: 0 };
}

/** A chain longer than this is a service that never ends it: 1000 rows per page at one row per server page. */
const MAX_CONTINUATIONS_PER_CALL = 1000;

type Invoke = Pick<ExchangeAdminApi, 'invoke'>;

/** Whether a listing's nextLinks may still be tried; shared by all of its pages. */
interface LinkUse {
  refused: boolean;
}

/** One answer, with what its nextLinks added when they could be followed. */
interface ReadAnswer {
  rows: unknown[];
  /** Still short of what was asked: the server cut it, and its nextLink was refused (or never given). */
  truncated: boolean;
}

const MORE_RESULTS = /more results/i;

/** The server cut this answer: it gave a nextLink, or warned that more results are available. */
export function isTruncated(result: InvokeResult): boolean {
  return result.nextLink !== undefined || result.warnings.some((w) => MORE_RESULTS.test(w));
}

/** A nextLink that answers with anything but rows or a failure of the service itself. */
function isRefusedLink(error: unknown): boolean {
  return (
    error instanceof ExchangeApiError &&
    (error.kind === 'expired-continuation' || error.kind === 'rejected' || error.kind === 'unexpected-answer')
  );
}

/**
 * One cmdlet call. An answer cut below `expected` rows follows its nextLink chain unless the listing's
 * links were refused before; a refusal marks them refused and returns what came so far as truncated.
 * An empty answer without a nextLink is whole, whatever its warnings say: nothing follows it.
 */
async function readAnswer(
  exchange: Invoke,
  cmdlet: string,
  parameters: Record<string, unknown>,
  expected: number,
  links: LinkUse,
  stats: ExchangePagingStats,
  logger?: Logger,
): Promise<ReadAnswer> {
  let result = await exchange.invoke(cmdlet, parameters);
  stats.requests += 1;
  const rows = [...result.rows];
  const cut = (r: InvokeResult) =>
    rows.length < expected && isTruncated(r) && (rows.length > 0 || r.nextLink !== undefined);
  if (!cut(result)) return { rows, truncated: false };
  stats.truncations += 1;
  const followed = new Set<string>();
  while (result.nextLink !== undefined && !links.refused) {
    const nextLink = result.nextLink;
    if (followed.has(nextLink)) {
      throw new Error(`${cmdlet}: Exchange answered a nextLink it had already given; paging stopped`);
    }
    if (followed.size >= MAX_CONTINUATIONS_PER_CALL) {
      throw new Error(`${cmdlet}: still continuing after ${MAX_CONTINUATIONS_PER_CALL} nextLinks; stopped`);
    }
    followed.add(nextLink);
    stats.requests += 1;
    try {
      result = await exchange.invoke(cmdlet, parameters, { nextLink });
    } catch (error) {
      if (!isRefusedLink(error)) throw error;
      links.refused = true;
      stats.linksRefused += 1;
      logger?.warn('Exchange refused a nextLink; this listing goes on with smaller pages', {
        cmdlet,
        error: (error as Error).message,
      });
      break;
    }
    stats.linksFollowed += 1;
    rows.push(...result.rows);
  }
  return { rows, truncated: cut(result) };
}

/**
 * The page size to ask next after a page of `size` came back cut at `rowsGot` rows: the largest size
 * below both that divides `offset` (the rows already read), so that Page stays a whole number and no row is
 * skipped. Undefined when there is none (the answer was cut with no rows in it).
 */
export function smallerPageSize(size: number, offset: number, rowsGot: number): number | undefined {
  for (let candidate = Math.min(size - 1, rowsGot); candidate >= 1; candidate--) {
    if (offset % candidate === 0) return candidate;
  }
  return undefined;
}

/** One whole page of a paged listing. */
export interface ListingPage {
  /** 1-based cmdlet Page, as sent. */
  page: number;
  /** The PageSize it was asked with. */
  pageSize: number;
  rows: unknown[];
  /** A whole page shorter than its PageSize: nothing follows it. */
  last: boolean;
}

/**
 * A cmdlet listing by its own Page/PageSize, one whole page at a time (at most one page in memory). A
 * page that stays truncated is asked again at the same offset with a smaller PageSize, and the listing
 * keeps that size; a truncated page that cannot be asked smaller is an error that names it.
 */
export async function* pagedListing(
  exchange: Invoke,
  cmdlet: string,
  parameters: Record<string, unknown>,
  options: { pageSize: number; maxPages: number; stats: ExchangePagingStats; logger?: Logger },
): AsyncGenerator<ListingPage, void, undefined> {
  const { stats, logger } = options;
  const links: LinkUse = { refused: false };
  let size = options.pageSize;
  let offset = 0;
  let previousFirstIdentity: unknown;
  stats.pageSize = size;
  for (;;) {
    const page = offset / size + 1;
    if (page > options.maxPages) {
      throw new Error(
        `${cmdlet} still had full pages after ${options.maxPages} pages of ${size} (the cmdlet's Page stops ` +
          `at 1000); stopped`,
      );
    }
    const answer = await readAnswer(
      exchange,
      cmdlet,
      { ...parameters, PageSize: size, Page: page },
      size,
      links,
      stats,
      logger,
    );
    if (answer.truncated) {
      const smaller = smallerPageSize(size, offset, answer.rows.length);
      if (smaller === undefined) {
        throw new Error(
          `${cmdlet} Page ${page} at PageSize ${size} came back truncated with ${answer.rows.length} rows and ` +
            `its nextLink refused; no smaller page can be asked at row ${offset}`,
        );
      }
      logger?.info('Exchange cut a page short; asking it again with a smaller PageSize', {
        cmdlet,
        page,
        pageSize: size,
        rows: answer.rows.length,
        smaller,
      });
      size = smaller;
      stats.pageSize = size;
      continue;
    }
    // A service that ignored Page would answer page 1 forever; stop instead of storing it again and again.
    const firstIdentity = identityOf(answer.rows[0]);
    if (offset > 0 && firstIdentity !== undefined && firstIdentity === previousFirstIdentity) {
      throw new Error(`${cmdlet} answered page ${page} with the rows of the page before: paging is ignored`);
    }
    previousFirstIdentity = firstIdentity;
    const last = answer.rows.length < size;
    yield { page, pageSize: size, rows: answer.rows, last };
    if (last) return;
    offset += size;
  }
}

/**
 * Every row of a cmdlet without Page/PageSize (Get-AcceptedDomain), following nextLinks while they
 * answer; rows with an Identity seen before are kept once. Such a cmdlet cannot be asked a smaller page,
 * so an answer that stays truncated is an error (its caller has another route).
 */
export async function readWholeListing(
  exchange: Invoke,
  cmdlet: string,
  parameters: Record<string, unknown>,
  stats: ExchangePagingStats = newPagingStats(),
  logger?: Logger,
): Promise<unknown[]> {
  const answer = await readAnswer(
    exchange,
    cmdlet,
    parameters,
    Number.POSITIVE_INFINITY,
    { refused: false },
    stats,
    logger,
  );
  if (answer.truncated) {
    throw new Error(
      `${cmdlet} came back truncated after ${answer.rows.length} rows and its nextLink was refused; the cmdlet ` +
        'has no PageSize to ask smaller pages with',
    );
  }
  const rows: unknown[] = [];
  const identities = new Set<string>();
  for (const row of answer.rows) {
    const identity = identityOf(row);
    if (typeof identity === 'string') {
      if (identities.has(identity)) continue;
      identities.add(identity);
    }
    rows.push(row);
  }
  return rows;
}

export function identityOf(row: unknown): unknown {
  return typeof row === 'object' && row !== null ? (row as Record<string, unknown>).Identity : undefined;
}
