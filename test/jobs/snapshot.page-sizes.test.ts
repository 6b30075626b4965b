import { HOUR, MINUTE } from '../../lib/core/clock';
import { SNAPSHOT_JOB } from '../../lib/jobs/snapshot';
import { PAGE_SIZES_KEY } from '../../lib/jobs/snapshot/page-sizes';
import { ExchangeApiError, type InvokeResult } from '../../lib/sources/exchange/admin-api';
import { InProcessExchange } from '../support/memory-m365';
import { memoryWorld, type MemoryWorld } from '../support/memory-notify';

/**
 * The PageSize each snapshot listing settled on is remembered in the state table: the next run starts from
 * it instead of finding it again through a cut answer and a refused nextLink, and the asked size is tried
 * again once a day.
 */

/** Exchange cutting every answer at `cutAt` rows whatever PageSize asks, and refusing every nextLink. */
class CuttingExchange extends InProcessExchange {
  cutAt: number | undefined = 250;

  override async invoke(
    cmdlet: string,
    parameters: Record<string, unknown> = {},
    options: { nextLink?: string } = {},
  ): Promise<InvokeResult> {
    if (options.nextLink !== undefined) {
      this.calls.push({ cmdlet, parameters: { ...parameters, nextLink: options.nextLink } });
      throw new ExchangeApiError('the nextLink expired or is invalid', {
        kind: 'expired-continuation',
        cmdlet,
        status: 400,
        serviceMessage: 'Expired or Invalid pagination request. Default Expiry time is 00:30:00',
      });
    }
    const answer = await super.invoke(cmdlet, parameters);
    if (this.cutAt === undefined || answer.rows.length <= this.cutAt) return answer;
    return {
      rows: answer.rows.slice(0, this.cutAt),
      warnings: ['There are more results available than are currently displayed.'],
      nextLink: `https://outlook.office365.com/adminapi/beta/t/InvokeCommand?%24skiptoken=${this.calls.length}`,
    };
  }

  /** The listing calls of this run: the window's and the Released query's, nextLinks included. */
  listings(from: number) {
    return this.calls.slice(from).filter((c) => c.parameters.Identity === undefined);
  }
}

function worldWith(rows: number, released: number): { w: MemoryWorld; exchange: CuttingExchange } {
  const w = memoryWorld({ ACCEPTED_DOMAINS: 'contoso.com' });
  const exchange = new CuttingExchange(w.m365);
  w.snapshotDeps.exchange = exchange;
  for (let i = 0; i < rows; i++) {
    const { networkMessageId } = w.m365.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: [`buyer${i}@fabrikam.example`],
      subject: `Order ${i}`,
      type: 'TransportRule',
      receivedAt: new Date(w.clock.now().getTime() - (i + 1) * MINUTE),
    });
    if (i < released) w.m365.release({ networkMessageId, by: 'adele.vance@contoso.com' });
  }
  return { w, exchange };
}

describe('the page size each snapshot listing settled on, remembered between runs', () => {
  test('GIVEN pages cut at 250 and every nextLink refused WHEN the second run comes THEN no listing call comes back cut, and both listings start at 250', async () => {
    const { w, exchange } = worldWith(600, 300);
    const first = await w.runSnapshot();
    expect(first).toMatchObject({
      outcome: 'completed',
      paging: { truncations: 1, linksRefused: 1, pageSize: 250 },
    });
    expect(first.releasesSeenEarly?.paging).toMatchObject({ truncations: 1, linksRefused: 1, pageSize: 250 });
    expect(await w.state.read(SNAPSHOT_JOB, PAGE_SIZES_KEY)).toEqual({
      window: { pageSize: 250, askedFullAt: '2026-03-02T16:00:00.000Z' },
      released: { pageSize: 250, askedFullAt: '2026-03-02T16:00:00.000Z' },
    });

    // New mail keeps the second run's window longer than a page.
    for (let i = 0; i < 400; i++) {
      w.m365.addMessage({
        sender: 'megan.bowen@contoso.com',
        recipients: [`later${i}@fabrikam.example`],
        subject: `Later ${i}`,
        type: 'TransportRule',
        receivedAt: new Date(w.clock.now().getTime() + (i + 1) * 1000),
      });
    }
    w.clock.advance(15 * MINUTE);
    const from = exchange.calls.length;
    const second = await w.runSnapshot();
    expect(second).toMatchObject({
      outcome: 'completed',
      paging: { truncations: 0, linksRefused: 0, pageSize: 250 },
    });
    expect(second.rowsFetched).toBeGreaterThan(250);
    expect(second.releasesSeenEarly?.paging).toMatchObject({ requests: 2, truncations: 0, pageSize: 250 });
    const calls = exchange.listings(from);
    expect(calls.length).toBe(second.paging.requests + 2);
    expect(calls.every((c) => c.parameters.PageSize === 250 && c.parameters.nextLink === undefined)).toBe(
      true,
    );
  });

  test('GIVEN a remembered 250 WHEN a day has passed THEN the asked 1000 is tried again: back to 1000 where the cut is gone, and 250 kept a day more where it is not', async () => {
    const { w, exchange } = worldWith(600, 300);
    await w.runSnapshot();

    // Within the day: still 250.
    w.clock.advance(23 * HOUR);
    expect((await w.runSnapshot()).releasesSeenEarly?.paging).toMatchObject({
      truncations: 0,
      pageSize: 250,
    });

    // The day is over and the server still cuts: 1000 asked once, cut again, 250 remembered from now.
    w.clock.advance(1 * HOUR);
    const still = await w.runSnapshot();
    expect(still.releasesSeenEarly?.paging).toMatchObject({ truncations: 1, linksRefused: 1, pageSize: 250 });
    expect(await w.state.read(SNAPSHOT_JOB, PAGE_SIZES_KEY)).toMatchObject({
      released: { pageSize: 250, askedFullAt: w.clock.now().toISOString() },
    });

    // The next day the server no longer cuts: the asked size holds, and nothing is remembered for it.
    exchange.cutAt = undefined;
    w.clock.advance(24 * HOUR);
    const from = exchange.calls.length;
    const grown = await w.runSnapshot();
    expect(grown.releasesSeenEarly?.paging).toMatchObject({ truncations: 0, pageSize: 1000 });
    expect(exchange.listings(from).every((c) => c.parameters.PageSize === 1000)).toBe(true);
    expect(await w.state.read(SNAPSHOT_JOB, PAGE_SIZES_KEY)).toEqual({});
  });

  test.each([
    ['a size above the asked one', { released: { pageSize: 5000, askedFullAt: '2026-03-02T15:00:00Z' } }],
    [
      'a size that is no whole number',
      { released: { pageSize: 'small', askedFullAt: '2026-03-02T15:00:00Z' } },
    ],
    ['zero', { released: { pageSize: 0, askedFullAt: '2026-03-02T15:00:00Z' } }],
    ['no readable time', { released: { pageSize: 250, askedFullAt: 'yesterday' } }],
    ['a list instead of an object', [250]],
    ['a number instead of an object', 250],
  ])(
    'GIVEN %s stored THEN it is ignored with a warning, the run starts at 1000, and a good value replaces it',
    async (_name, stored) => {
      const { w } = worldWith(600, 300);
      await w.state.write(SNAPSHOT_JOB, PAGE_SIZES_KEY, stored);
      const summary = await w.runSnapshot();
      expect(summary.outcome).toBe('completed');
      expect(summary.releasesSeenEarly?.paging).toMatchObject({ truncations: 1, pageSize: 250 });
      expect(w.logger.lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: expect.stringMatching(/remembered page size is not usable/),
        }),
      );
      expect(await w.state.read(SNAPSHOT_JOB, PAGE_SIZES_KEY)).toMatchObject({
        released: { pageSize: 250, askedFullAt: w.clock.now().toISOString() },
      });
    },
  );

  test('GIVEN a server that never cuts a page THEN the listings stay at 1000 and nothing is remembered', async () => {
    const { w } = worldWith(600, 300);
    w.snapshotDeps.exchange = new InProcessExchange(w.m365);
    await w.runSnapshot();
    expect(await w.state.read(SNAPSHOT_JOB, PAGE_SIZES_KEY)).toBeUndefined();
  });
});
