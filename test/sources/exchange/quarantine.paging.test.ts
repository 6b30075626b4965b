import type { InvokeResult } from '../../../lib/sources/exchange/admin-api';
import { exchangeDate, fetchQuarantinePages } from '../../../lib/sources/exchange/quarantine';

/** An Exchange double serving `total` rows in pages, recording every call. */
function fakeExchange(total: number, options: { ignorePage?: boolean } = {}) {
  const calls: { cmdlet: string; parameters: Record<string, unknown> }[] = [];
  return {
    calls,
    invoke: async (cmdlet: string, parameters: Record<string, unknown> = {}): Promise<InvokeResult> => {
      calls.push({ cmdlet, parameters });
      const size = Number(parameters.PageSize);
      const page = options.ignorePage ? 1 : Number(parameters.Page);
      const from = (page - 1) * size;
      const rows = Array.from({ length: Math.max(0, Math.min(size, total - from)) }, (_, i) => ({
        Identity: `row-${from + i}`,
      }));
      return { rows, warnings: [] };
    },
  };
}

const start = new Date('2026-02-01T00:00:00Z');
const end = new Date('2026-03-02T12:00:00.123Z');

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('Paging Get-QuarantineMessage', () => {
  test('2,500 rows come in three pages of at most 1000, ending on the short page', async () => {
    const exchange = fakeExchange(2500);
    const pages = await collect(fetchQuarantinePages(exchange, { start, end }));
    expect(pages.map((p) => p.rows.length)).toEqual([1000, 1000, 500]);
    expect(pages.map((p) => p.last)).toEqual([false, false, true]);
    expect(exchange.calls.map((c) => c.parameters)).toEqual(
      [1, 2, 3].map((Page) => ({
        StartReceivedDate: '2026-02-01T00:00:00.0000000Z',
        EndReceivedDate: '2026-03-02T12:00:00.1230000Z',
        PageSize: 1000,
        Page,
      })),
    );
    expect(exchange.calls.every((c) => c.cmdlet === 'Get-QuarantineMessage')).toBe(true);
  });

  test('exactly 2,000 rows need a third, empty page to know the end', async () => {
    const exchange = fakeExchange(2000);
    const pages = await collect(fetchQuarantinePages(exchange, { start, end }));
    expect(pages.map((p) => p.rows.length)).toEqual([1000, 1000, 0]);
  });

  test('an empty quarantine is one call', async () => {
    const exchange = fakeExchange(0);
    await collect(fetchQuarantinePages(exchange, { start, end }));
    expect(exchange.calls).toHaveLength(1);
  });

  test('extra filters are sent beside the dates and paging (e.g. released rows only)', async () => {
    const exchange = fakeExchange(3);
    await collect(fetchQuarantinePages(exchange, { start, end, filters: { ReleaseStatus: 'Released' } }));
    expect(exchange.calls[0].parameters).toMatchObject({
      ReleaseStatus: 'Released',
      PageSize: 1000,
      Page: 1,
    });
    expect(exchange.calls[0].parameters).toHaveProperty('StartReceivedDate');
    expect(exchange.calls[0].parameters).toHaveProperty('EndReceivedDate');
  });

  test.each(['EntityType', 'entitytype', 'Page', 'StartReceivedDate'])(
    'a %s filter is refused before any call',
    async (name) => {
      const exchange = fakeExchange(3);
      await expect(
        collect(fetchQuarantinePages(exchange, { start, end, filters: { [name]: 'x' } })),
      ).rejects.toThrow(name);
      expect(exchange.calls).toHaveLength(0);
    },
  );

  test('a service that ignores Page is stopped instead of looping forever', async () => {
    const exchange = fakeExchange(5000, { ignorePage: true });
    await expect(collect(fetchQuarantinePages(exchange, { start, end }))).rejects.toThrow(
      /paging is ignored/,
    );
    expect(exchange.calls).toHaveLength(2);
  });

  test('pages are fetched one at a time, as the caller asks for them', async () => {
    const exchange = fakeExchange(2500);
    const iterator = fetchQuarantinePages(exchange, { start, end });
    await iterator.next();
    expect(exchange.calls).toHaveLength(1);
    await iterator.next();
    expect(exchange.calls).toHaveLength(2);
  });

  test('dates are written the way Exchange writes them', () => {
    expect(exchangeDate(new Date('2026-07-01T00:00:00Z'))).toBe('2026-07-01T00:00:00.0000000Z');
  });
});
