import { ExchangeApiError, type InvokeResult } from '../../../lib/sources/exchange/admin-api';
import { MAX_LISTING_RESTARTS, newPagingStats, readWholeListing } from '../../../lib/sources/exchange/paging';
import { fetchQuarantinePages, fetchQuarantineRowByIdentity } from '../../../lib/sources/exchange/quarantine';

/**
 * An Exchange double that cuts each cmdlet page into server pages of `serverPage` rows linked by
 * nextLinks, as the real service may when it ignores (or is not sent) `Prefer: odata.maxpagesize`.
 */
function serverPagingExchange(
  total: number,
  serverPage: number,
  options: { expire?: (nextLink: string, callNo: number) => boolean; warningsOnLast?: boolean } = {},
) {
  const calls: { parameters: Record<string, unknown>; nextLink?: string }[] = [];
  return {
    calls,
    invoke: async (
      cmdlet: string,
      parameters: Record<string, unknown> = {},
      invokeOptions: { nextLink?: string } = {},
    ): Promise<InvokeResult> => {
      calls.push({ parameters, nextLink: invokeOptions.nextLink });
      if (invokeOptions.nextLink && options.expire?.(invokeOptions.nextLink, calls.length)) {
        throw new ExchangeApiError('expired', { kind: 'expired-continuation', cmdlet, status: 400 });
      }
      const size = Number(parameters.PageSize ?? 1000);
      const page = Number(parameters.Page ?? 1);
      const offset = invokeOptions.nextLink
        ? Number(new URL(invokeOptions.nextLink).searchParams.get('o'))
        : 0;
      const from = (page - 1) * size;
      const cmdletRows = Math.max(0, Math.min(size, total - from));
      const end = Math.min(cmdletRows, offset + serverPage);
      const rows = Array.from({ length: end - offset }, (_, i) => ({ Identity: `row-${from + offset + i}` }));
      const more = end < cmdletRows;
      return {
        rows,
        warnings:
          more || (options.warningsOnLast && rows.length > 0) ? ['There are more results available'] : [],
        ...(more ? { nextLink: `https://outlook.office365.com/next?p=${page}&o=${end}` } : {}),
      };
    },
  };
}

const start = new Date('2026-02-01T00:00:00Z');
const end = new Date('2026-03-02T12:00:00Z');

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

function identities(pages: { rows: unknown[] }[]): string[] {
  return pages.flatMap((p) => p.rows.map((r) => (r as { Identity: string }).Identity));
}

describe('Get-QuarantineMessage through server-driven pages', () => {
  test('GIVEN a server page of 50 under a PageSize of 1000 WHEN 2,550 rows are listed THEN every row comes exactly once and a truncated page is never the last', async () => {
    const exchange = serverPagingExchange(2550, 50);
    const stats = newPagingStats();
    const pages = await collect(fetchQuarantinePages(exchange, { start, end, stats }));
    const ids = identities(pages);
    expect(ids).toHaveLength(2550);
    expect(new Set(ids).size).toBe(2550);
    expect(pages.filter((p) => p.last)).toHaveLength(1);
    expect(pages[pages.length - 1].last).toBe(true);
    // Within each cmdlet page the nextLinks are followed with the same parameters; Page moves 1 → 3.
    expect(new Set(exchange.calls.map((c) => c.parameters.Page))).toEqual(new Set([1, 2, 3]));
    for (const call of exchange.calls.filter((c) => c.nextLink)) expect(call.parameters.PageSize).toBe(1000);
    expect(stats).toEqual({ requests: 51, continuations: 48, restarts: 0 });
  });

  test('GIVEN a short page without nextLink but with a "more results" warning THEN the next Page is asked for', async () => {
    const exchange = serverPagingExchange(30, 1000, { warningsOnLast: true });
    const pages = await collect(fetchQuarantinePages(exchange, { start, end }));
    expect(identities(pages)).toHaveLength(30);
    expect(exchange.calls.map((c) => c.parameters.Page)).toEqual([1, 2]);
    expect(pages.map((p) => p.last)).toEqual([false, true]);
  });

  test('GIVEN a continuation answers "Expired or Invalid pagination request" once THEN the listing is read again from Page 1 and completes', async () => {
    let expired = false;
    const exchange = serverPagingExchange(250, 100, {
      expire: () => (expired ? false : (expired = true)),
    });
    const stats = newPagingStats();
    const ids = identities(
      await collect(fetchQuarantinePages(exchange, { start, end, stats, pageSize: 200 })),
    );
    expect(new Set(ids).size).toBe(250);
    expect(stats.restarts).toBe(1);
    // The restart begins again at Page 1 without a nextLink.
    const restartAt = exchange.calls.findIndex((c, i) => i > 0 && !c.nextLink && c.parameters.Page === 1);
    expect(restartAt).toBeGreaterThan(0);
  });

  test('GIVEN continuations that always expire THEN the listing gives up after a bounded number of restarts, saying why', async () => {
    const exchange = serverPagingExchange(250, 100, { expire: () => true });
    await expect(collect(fetchQuarantinePages(exchange, { start, end }))).rejects.toThrow(
      /continuations kept expiring/,
    );
    expect(exchange.calls.filter((c) => !c.nextLink)).toHaveLength(MAX_LISTING_RESTARTS + 1);
  });

  test('GIVEN a service that answers the same nextLink again THEN paging stops with an error instead of looping', async () => {
    const exchange = {
      invoke: async (): Promise<InvokeResult> => ({
        rows: [{ Identity: 'x' }],
        warnings: [],
        nextLink: 'https://outlook.office365.com/next?same',
      }),
    };
    await expect(collect(fetchQuarantinePages(exchange, { start, end }))).rejects.toThrow(/already given/);
  });

  test('GIVEN PageSize outside 1..1000 THEN nothing is asked and the error says the range', async () => {
    const exchange = serverPagingExchange(10, 10);
    await expect(collect(fetchQuarantinePages(exchange, { start, end, pageSize: 1001 }))).rejects.toThrow(
      /1\.\.1000/,
    );
    expect(exchange.calls).toHaveLength(0);
  });

  test('GIVEN full pages up to Page 1000 THEN Page 1001 is never sent', async () => {
    const exchange = serverPagingExchange(2000, 1000);
    await expect(
      collect(fetchQuarantinePages(exchange, { start, end, pageSize: 1, maxPages: 5000 })),
    ).rejects.toThrow(/1000/);
    expect(Math.max(...exchange.calls.map((c) => Number(c.parameters.Page)))).toBe(1000);
  });

  test('GIVEN Get-AcceptedDomain answered in server pages with one expiry THEN every domain is read once', async () => {
    let expired = false;
    const exchange = serverPagingExchange(5, 2, { expire: () => (expired ? false : (expired = true)) });
    const stats = newPagingStats();
    const rows = await readWholeListing(exchange, 'Get-AcceptedDomain', {}, stats);
    expect(rows.map((r) => (r as { Identity: string }).Identity)).toEqual([
      'row-0',
      'row-1',
      'row-2',
      'row-3',
      'row-4',
    ]);
    expect(stats.restarts).toBe(1);
  });
});

describe('Get-QuarantineMessage -Identity', () => {
  const identity = '0d3c1e2f-1111-4222-8333-444455556666\\9a8b7c6d-1111-4222-8333-444455556666';

  test('GIVEN an empty Identity THEN nothing is sent (an empty Identity lists ALL messages)', async () => {
    const invoke = jest.fn();
    await expect(fetchQuarantineRowByIdentity({ invoke }, '  ')).rejects.toThrow(/Identity/);
    expect(invoke).not.toHaveBeenCalled();
  });

  test('GIVEN an answer listing other messages (an unknown Identity answers all) THEN only the row of that Identity is taken', async () => {
    const invoke = jest.fn(async (): Promise<InvokeResult> => ({
      rows: [{ Identity: 'other\\row' }],
      warnings: [],
      nextLink: 'x',
    }));
    expect(await fetchQuarantineRowByIdentity({ invoke }, identity)).toBeUndefined();
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(invoke).toHaveBeenCalledWith('Get-QuarantineMessage', { Identity: identity });
  });
});
