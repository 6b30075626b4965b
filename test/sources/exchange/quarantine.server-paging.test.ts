import { ExchangeApiError, type InvokeResult } from '../../../lib/sources/exchange/admin-api';
import { newPagingStats, readWholeListing, smallerPageSize } from '../../../lib/sources/exchange/paging';
import { fetchQuarantinePages, fetchQuarantineRowByIdentity } from '../../../lib/sources/exchange/quarantine';

/**
 * An Exchange double that cuts each answer at `cut` rows, whatever PageSize asks, with a nextLink and a
 * "more results" warning, as the real service does below its own page limit. Its nextLinks answer, or are
 * refused with 400 "Expired or Invalid pagination request" as an app-only client sees them.
 */
function cuttingExchange(
  total: number,
  cut: number,
  options: { refuseLinks?: boolean; warningOnlyCut?: boolean } = {},
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
      if (invokeOptions.nextLink && options.refuseLinks) {
        throw new ExchangeApiError('expired', { kind: 'expired-continuation', cmdlet, status: 400 });
      }
      const size = Number(parameters.PageSize ?? 1000);
      const page = Number(parameters.Page ?? 1);
      const offset = invokeOptions.nextLink
        ? Number(new URL(invokeOptions.nextLink).searchParams.get('o'))
        : 0;
      const from = (page - 1) * size;
      const cmdletRows = Math.max(0, Math.min(size, total - from));
      const end = Math.min(cmdletRows, offset + cut);
      const rows = Array.from({ length: end - offset }, (_, i) => ({ Identity: `row-${from + offset + i}` }));
      const more = end < cmdletRows;
      return {
        rows,
        warnings: more ? ['There are more results available than are currently displayed.'] : [],
        ...(more && !options.warningOnlyCut
          ? { nextLink: `https://outlook.office365.com/next?p=${page}&o=${end}` }
          : {}),
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

describe('Get-QuarantineMessage when Exchange cuts its pages', () => {
  test('GIVEN 2,000 rows cut at 250 and every nextLink refused THEN every row comes once, in pages of 250 asked by Page and PageSize', async () => {
    const exchange = cuttingExchange(2000, 250, { refuseLinks: true });
    const stats = newPagingStats();
    const pages = await collect(fetchQuarantinePages(exchange, { start, end, stats }));
    const ids = identities(pages);
    expect(ids).toHaveLength(2000);
    expect(new Set(ids).size).toBe(2000);
    expect(pages.map((p) => [p.page, p.pageSize, p.rows.length])).toEqual([
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((page) => [page, 250, 250]),
      [9, 250, 0],
    ]);
    expect(pages.map((p) => p.last)).toEqual([...Array(8).fill(false), true]);
    // The link is tried once; after its 400 the same offset is asked at the smaller size, never the link.
    expect(
      exchange.calls.map((c) => (c.nextLink ? 'link' : `${c.parameters.Page}x${c.parameters.PageSize}`)),
    ).toEqual(['1x1000', 'link', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((page) => `${page}x250`)]);
    expect(stats).toEqual({ requests: 11, truncations: 1, linksFollowed: 0, linksRefused: 1, pageSize: 250 });
  });

  test('GIVEN the same cut with nextLinks that answer THEN they complete each page and no smaller page is asked', async () => {
    const exchange = cuttingExchange(2000, 250);
    const stats = newPagingStats();
    const pages = await collect(fetchQuarantinePages(exchange, { start, end, stats }));
    expect(new Set(identities(pages)).size).toBe(2000);
    expect(pages.map((p) => p.rows.length)).toEqual([1000, 1000, 0]);
    expect(exchange.calls.every((c) => c.parameters.PageSize === 1000)).toBe(true);
    expect(stats).toEqual({ requests: 9, truncations: 2, linksFollowed: 6, linksRefused: 0, pageSize: 1000 });
  });

  test('GIVEN a cut that only a "more results" warning shows (no nextLink) THEN the page is asked again smaller', async () => {
    const exchange = cuttingExchange(700, 300, { warningOnlyCut: true });
    const stats = newPagingStats();
    const pages = await collect(fetchQuarantinePages(exchange, { start, end, stats }));
    expect(new Set(identities(pages)).size).toBe(700);
    expect(pages.map((p) => p.pageSize)).toEqual([300, 300, 300]);
    expect(stats).toMatchObject({ truncations: 1, linksRefused: 0, pageSize: 300 });
  });

  test('GIVEN whole pages of 1000 before the cut begins THEN the smaller PageSize divides the rows already read', async () => {
    let firstCall = true;
    const base = cuttingExchange(2600, 300, { refuseLinks: true });
    const exchange = {
      calls: base.calls,
      invoke: async (
        cmdlet: string,
        parameters: Record<string, unknown> = {},
        o: { nextLink?: string } = {},
      ) => {
        const result = await base.invoke(cmdlet, parameters, o);
        // The first Page comes whole (the cut starts with the second), as a server that began cutting later.
        if (firstCall) {
          firstCall = false;
          return { rows: Array.from({ length: 1000 }, (_, i) => ({ Identity: `row-${i}` })), warnings: [] };
        }
        return result;
      },
    };
    const stats = newPagingStats();
    const pages = await collect(fetchQuarantinePages(exchange, { start, end, stats }));
    expect(new Set(identities(pages)).size).toBe(2600);
    // After 1000 rows, a cut at 300 settles on 250 (300 does not divide 1000): Page 5 of 250 is row 1000.
    expect(pages.slice(0, 2).map((p) => [p.page, p.pageSize])).toEqual([
      [1, 1000],
      [5, 250],
    ]);
    expect(stats.pageSize).toBe(250);
  });

  test('GIVEN a truncated page with no rows and its nextLink refused THEN the error names the page that cannot be asked smaller', async () => {
    const exchange = {
      invoke: async (cmdlet: string, _p: Record<string, unknown> = {}, o: { nextLink?: string } = {}) => {
        if (o.nextLink)
          throw new ExchangeApiError('expired', { kind: 'expired-continuation', cmdlet, status: 400 });
        return {
          rows: [],
          warnings: ['There are more results available'],
          nextLink: 'https://outlook.office365.com/n',
        };
      },
    };
    await expect(collect(fetchQuarantinePages(exchange, { start, end }))).rejects.toThrow(
      /Get-QuarantineMessage Page 1 at PageSize 1000 came back truncated with 0 rows and its nextLink refused/,
    );
  });

  test('GIVEN an empty answer warning of more results without a nextLink THEN the listing ends with zero rows, without an error', async () => {
    const invoke = jest.fn(async (): Promise<InvokeResult> => ({
      rows: [],
      warnings: ['There are more results available'],
    }));
    const stats = newPagingStats();
    const pages = await collect(fetchQuarantinePages({ invoke }, { start, end, stats }));
    expect(pages).toEqual([{ page: 1, pageSize: 1000, rows: [], last: true }]);
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(stats.truncations).toBe(0);
  });

  test('GIVEN a nextLink failing for want of a role (403) THEN that failure is the run’s, not a smaller page', async () => {
    const exchange = {
      invoke: async (cmdlet: string, _p: Record<string, unknown> = {}, o: { nextLink?: string } = {}) => {
        if (o.nextLink)
          throw new ExchangeApiError('forbidden', { kind: 'missing-directory-role', cmdlet, status: 403 });
        return { rows: [{ Identity: 'a' }], warnings: [], nextLink: 'https://outlook.office365.com/n' };
      },
    };
    await expect(collect(fetchQuarantinePages(exchange, { start, end }))).rejects.toThrow('forbidden');
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

  test('GIVEN a full page that still carries a nextLink THEN it is whole: the link is not followed and the next Page is asked', async () => {
    const calls: Record<string, unknown>[] = [];
    const exchange = {
      invoke: async (_c: string, parameters: Record<string, unknown> = {}, o: { nextLink?: string } = {}) => {
        calls.push({ ...parameters, link: o.nextLink !== undefined });
        const page = Number(parameters.Page);
        const rows = page === 1 ? Array.from({ length: 10 }, (_, i) => ({ Identity: `r${i}` })) : [];
        return { rows, warnings: [], ...(page === 1 ? { nextLink: 'https://outlook.office365.com/n' } : {}) };
      },
    };
    const pages = await collect(fetchQuarantinePages(exchange, { start, end, pageSize: 10 }));
    expect(pages.map((p) => p.rows.length)).toEqual([10, 0]);
    expect(calls.map((c) => [c.Page, c.link])).toEqual([
      [1, false],
      [2, false],
    ]);
  });

  test('GIVEN PageSize outside 1..1000 THEN nothing is asked and the error says the range', async () => {
    const exchange = cuttingExchange(10, 10);
    await expect(collect(fetchQuarantinePages(exchange, { start, end, pageSize: 1001 }))).rejects.toThrow(
      /1\.\.1000/,
    );
    expect(exchange.calls).toHaveLength(0);
  });

  test('GIVEN full pages up to Page 1000 THEN Page 1001 is never sent', async () => {
    const exchange = cuttingExchange(2000, 1000);
    await expect(
      collect(fetchQuarantinePages(exchange, { start, end, pageSize: 1, maxPages: 5000 })),
    ).rejects.toThrow(/1000/);
    expect(Math.max(...exchange.calls.map((c) => Number(c.parameters.Page)))).toBe(1000);
  });

  test.each([
    [1000, 0, 250, 250],
    [1000, 0, 999, 999],
    [1000, 1000, 300, 250],
    [250, 750, 200, 150],
    [125, 1125, 100, 75],
    [3, 0, 2, 2],
    [2, 2, 1, 1],
    [1000, 0, 0, undefined],
  ])('a page of %i at row %i cut at %i is asked again at %p', (size, offset, got, expected) => {
    const smaller = smallerPageSize(size, offset, got);
    expect(smaller).toBe(expected);
    if (smaller !== undefined) expect(offset % smaller).toBe(0);
  });
});

describe('Get-AcceptedDomain (no PageSize) when Exchange cuts its answer', () => {
  test('GIVEN nextLinks that answer THEN every domain is read once', async () => {
    const exchange = cuttingExchange(5, 2);
    const stats = newPagingStats();
    const rows = await readWholeListing(exchange, 'Get-AcceptedDomain', {}, stats);
    expect(rows.map((r) => (r as { Identity: string }).Identity)).toEqual([
      'row-0',
      'row-1',
      'row-2',
      'row-3',
      'row-4',
    ]);
    expect(stats).toMatchObject({ truncations: 1, linksFollowed: 2, linksRefused: 0 });
  });

  test('GIVEN its nextLink refused THEN the error says the cut list cannot be asked smaller', async () => {
    const exchange = cuttingExchange(5, 2, { refuseLinks: true });
    const stats = newPagingStats();
    await expect(readWholeListing(exchange, 'Get-AcceptedDomain', {}, stats)).rejects.toThrow(
      /Get-AcceptedDomain came back truncated after 2 rows and its nextLink was refused/,
    );
    expect(stats).toMatchObject({ truncations: 1, linksRefused: 1 });
  });
});

describe('Get-QuarantineMessage -Identity', () => {
  const identity = '0d3c1e2f-1111-4222-8333-444455556666\\9a8b7c6d-1111-4222-8333-444455556666';

  test('GIVEN an empty Identity THEN nothing is sent (an empty Identity lists ALL messages)', async () => {
    const invoke = jest.fn();
    await expect(fetchQuarantineRowByIdentity({ invoke }, '  ')).rejects.toThrow(/Identity/);
    expect(invoke).not.toHaveBeenCalled();
  });

  test('GIVEN a cut answer listing other messages (an unknown Identity answers all) THEN only the row of that Identity is taken, the link never followed, the cut counted', async () => {
    const invoke = jest.fn(async (): Promise<InvokeResult> => ({
      rows: [{ Identity: 'other\\row' }],
      warnings: ['There are more results available'],
      nextLink: 'x',
    }));
    const stats = newPagingStats();
    expect(await fetchQuarantineRowByIdentity({ invoke }, identity, stats)).toBeUndefined();
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(invoke).toHaveBeenCalledWith('Get-QuarantineMessage', { Identity: identity });
    expect(stats).toMatchObject({ requests: 1, truncations: 1 });
  });
});
