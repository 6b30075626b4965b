import type { Logger } from '../../core/log';
import { ExchangeApiError, type ExchangeAdminApi, type InvokeResult } from './admin-api';

/**
 * Server-driven paging of the Exchange admin API (docs/wire-contract.md, Exchange admin API): besides a
 * cmdlet's own Page/PageSize, the server may cut an answer short and say so with `@odata.nextLink` (and
 * "more results" in `@adminapi.warnings`). Such a page is never the last: the nextLink is followed with
 * the same cmdlet and headers until the chain ends. A continuation may answer 400 "Expired or Invalid
 * pagination request": the listing is then read again from its first page (rows are idempotent by
 * Identity), a bounded number of times.
 */

/** What one listing cost, for the run's summary line. */
export interface ExchangePagingStats {
  /** InvokeCommand calls, continuations included. */
  requests: number;
  /** nextLinks followed. */
  continuations: number;
  /** Listings read again from their first page after an expired continuation. */
  restarts: number;
}

export function newPagingStats(): ExchangePagingStats {
  return { requests: 0, continuations: 0, restarts: 0 };
}

/** How often one listing is read again from its first page before the run gives up (the next run retries). */
export const MAX_LISTING_RESTARTS = 3;
/** A chain longer than this is a service that never ends it: 1000 rows per page at one row per server page. */
export const MAX_CONTINUATIONS_PER_CALL = 1000;

type Invoke = Pick<ExchangeAdminApi, 'invoke'>;

/** One cmdlet call and the server pages it continues into, in order. */
export async function* serverPages(
  exchange: Invoke,
  cmdlet: string,
  parameters: Record<string, unknown>,
  stats: ExchangePagingStats,
): AsyncGenerator<InvokeResult, void, undefined> {
  let result = await exchange.invoke(cmdlet, parameters);
  stats.requests += 1;
  yield result;
  const followed = new Set<string>();
  while (result.nextLink !== undefined) {
    const nextLink = result.nextLink;
    if (followed.has(nextLink)) {
      throw new Error(`${cmdlet}: Exchange answered a nextLink it had already given; paging stopped`);
    }
    if (followed.size >= MAX_CONTINUATIONS_PER_CALL) {
      throw new Error(`${cmdlet}: still continuing after ${MAX_CONTINUATIONS_PER_CALL} nextLinks; stopped`);
    }
    followed.add(nextLink);
    result = await exchange.invoke(cmdlet, parameters, { nextLink });
    stats.requests += 1;
    stats.continuations += 1;
    yield result;
  }
}

export function isExpiredContinuation(error: unknown): boolean {
  return error instanceof ExchangeApiError && error.kind === 'expired-continuation';
}

/**
 * Runs `listing` and, when a continuation expires, runs it again from the start (at most
 * MAX_LISTING_RESTARTS times). What the first attempts yielded stays yielded: consumers store by Identity.
 */
export async function* restartingOnExpiry<T>(
  name: string,
  listing: () => AsyncGenerator<T, void, undefined>,
  stats: ExchangePagingStats,
  logger?: Logger,
): AsyncGenerator<T, void, undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      yield* listing();
      return;
    } catch (error) {
      if (!isExpiredContinuation(error)) throw error;
      if (attempt >= MAX_LISTING_RESTARTS) {
        throw new Error(
          `${name}: Exchange's continuations kept expiring; read from the first page ${attempt + 1} times ` +
            `(the next run tries again): ${(error as Error).message}`,
          { cause: error },
        );
      }
      stats.restarts += 1;
      logger?.warn('Exchange continuation expired; reading the listing again from its first page', {
        cmdlet: name,
        restart: attempt + 1,
      });
    }
  }
}

/**
 * Every row of a cmdlet without Page/PageSize (e.g. Get-AcceptedDomain, or -Identity), following
 * nextLinks; rows with an Identity seen before (a restarted listing) are kept once.
 */
export async function readWholeListing(
  exchange: Invoke,
  cmdlet: string,
  parameters: Record<string, unknown>,
  stats: ExchangePagingStats = newPagingStats(),
  logger?: Logger,
): Promise<unknown[]> {
  const rows: unknown[] = [];
  const identities = new Set<string>();
  const listing = async function* () {
    rows.length = 0;
    identities.clear();
    yield* serverPages(exchange, cmdlet, parameters, stats);
  };
  for await (const page of restartingOnExpiry(cmdlet, listing, stats, logger)) {
    for (const row of page.rows) {
      const identity = identityOf(row);
      if (typeof identity === 'string') {
        if (identities.has(identity)) continue;
        identities.add(identity);
      }
      rows.push(row);
    }
  }
  return rows;
}

export function identityOf(row: unknown): unknown {
  return typeof row === 'object' && row !== null ? (row as Record<string, unknown>).Identity : undefined;
}
