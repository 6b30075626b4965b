import { DAY, HOUR } from '../../lib/core/clock';
import {
  ConsoleUsageError,
  failuresFirst,
  filteredRows,
  parseConsoleQuery,
  releasesPage,
  scannedRows,
  summarize,
  type FleetTenantView,
} from '../../lib/console/view';
import type { ReleaseRow, ReleaseStatus } from '../../lib/store/releases-store';

const NOW = new Date('2026-03-02T16:00:00Z');

function release(n: number, patch: Partial<ReleaseRow> = {}): ReleaseRow {
  return {
    networkMessageId: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`,
    releasedTo: `r${n}@fabrikam.example`,
    status: 'notified',
    releasedAt: new Date(NOW.getTime() - n * HOUR).toISOString(),
    releasedBy: 'adele.vance@contoso.com',
    isSystemRelease: false,
    sources: ['audit'],
    auditRecordIds: [`a${n}`],
    firstSeenAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    sender: 'megan.bowen@contoso.com',
    subject: `Subject ${n}`,
    policyName: 'Outbound confidential',
    policyType: 'ExchangeTransportRule',
    ...patch,
  };
}

/** The store as the table answers it: status and time filtered, in key order, with only the columns asked for. */
function store(rows: ReleaseRow[]) {
  const reads = { columns: [] as string[][], points: 0 };
  async function* list(filter: { status?: ReleaseStatus; since?: Date }) {
    for (const row of rows) {
      if (filter.status && row.status !== filter.status) continue;
      if (filter.since && row.releasedAt < filter.since.toISOString()) continue;
      yield row;
    }
  }
  return {
    reads,
    list,
    async *listColumns(
      filter: { status?: ReleaseStatus; since?: Date },
      columns: readonly (keyof ReleaseRow)[],
    ) {
      reads.columns.push([...columns]);
      for await (const row of list(filter)) {
        yield Object.fromEntries(columns.map((c) => [c, row[c]])) as Partial<ReleaseRow>;
      }
    },
    async get(networkMessageId: string, releasedTo: string) {
      reads.points++;
      const row = rows.find((r) => r.networkMessageId === networkMessageId && r.releasedTo === releasedTo);
      return row && { ...row, etag: '*' };
    },
  };
}

describe('console view', () => {
  it('GIVEN a query string WHEN a filter is malformed THEN a usage error names it; defaults are 30 days, newest first, 50 rows', () => {
    expect(parseConsoleQuery(new URLSearchParams())).toEqual({
      periodDays: 30,
      sort: 'releasedAt',
      direction: 'desc',
      pageSize: 50,
      continuation: undefined,
    });
    for (const [query, named] of [
      ['period=0', 'period'],
      ['period=abc', 'period'],
      ['period=181', 'period'],
      ['status=done', 'status'],
      ['sort=etag', 'sort'],
      ['direction=up', 'direction'],
      ['pageSize=1000', 'pageSize'],
      [`sender=${'x'.repeat(400)}`, 'sender'],
    ]) {
      expect(() => parseConsoleQuery(new URLSearchParams(query))).toThrow(ConsoleUsageError);
      expect(() => parseConsoleQuery(new URLSearchParams(query))).toThrow(named);
    }
  });

  it("GIVEN status and sender WHEN parsed THEN the report's schema reads them, and a bad one names its field", () => {
    expect(parseConsoleQuery(new URLSearchParams('status= Failed &sender=Contoso.COM'))).toMatchObject({
      status: 'failed',
      sender: 'contoso.com',
    });
    let refused: unknown;
    try {
      parseConsoleQuery(new URLSearchParams('status=done'));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ConsoleUsageError);
    expect(refused).toMatchObject({ field: 'status' });
    expect((refused as Error).message).not.toContain('--');
  });

  it('GIVEN releases inside and outside the period WHEN filtered by sender domain, releaser and policy THEN only the matching rows of the period remain', async () => {
    const rows = [
      release(1),
      release(2, { sender: 'lidia.holloway@sales.contoso.com' }),
      release(3, { releasedBy: 'System release', isSystemRelease: true }),
      release(4, { policyName: 'Other', policyType: 'HostedContentFilterPolicy' }),
      release(40 * 24), // 40 days ago: outside the default period
    ];
    const all = await filteredRows(store(rows), parseConsoleQuery(new URLSearchParams()), NOW);
    expect(all.map((r) => r.subject)).toEqual(['Subject 1', 'Subject 2', 'Subject 3', 'Subject 4']);
    const byDomain = await filteredRows(store(rows), { periodDays: 30, sender: 'sales.contoso.com' }, NOW);
    expect(byDomain.map((r) => r.subject)).toEqual(['Subject 2']);
    const bySystem = await filteredRows(store(rows), { periodDays: 30, releasedBy: 'system RELEASE' }, NOW);
    expect(bySystem.map((r) => r.subject)).toEqual(['Subject 3']);
    const byPolicy = await filteredRows(store(rows), { periodDays: 30, policy: 'hostedcontent' }, NOW);
    expect(byPolicy.map((r) => r.subject)).toEqual(['Subject 4']);
  });

  it('GIVEN 7 releases WHEN read 3 at a time THEN the pages follow each other through the continuation, none lost or repeated', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => release(i + 1));
    const tenant = store(rows);
    const reads = tenant.reads;
    const seen: string[] = [];
    let continuation: string | undefined;
    let pages = 0;
    do {
      const query = parseConsoleQuery(
        new URLSearchParams({
          pageSize: '3',
          sort: 'subject',
          direction: 'asc',
          ...(continuation ? { continuation } : {}),
        }),
      );
      const page = await releasesPage(tenant, query, NOW);
      expect(page.total).toBe(7);
      seen.push(...page.rows.map((r) => r.subject));
      continuation = page.continuation ?? undefined;
      pages++;
    } while (continuation);
    expect(pages).toBe(3);
    expect(seen).toEqual(rows.map((r) => r.subject).sort());
    // Sorting by subject scans that one column more; only the pages' rows are read whole.
    expect(reads.columns.every((c) => c.includes('subject') && !c.includes('originalRecipients'))).toBe(true);
    expect(reads.points).toBe(7);
    await expect(
      releasesPage(store(rows), parseConsoleQuery(new URLSearchParams({ continuation: 'forged' })), NOW),
    ).rejects.toThrow(ConsoleUsageError);
  });

  it('GIVEN releases of every outcome WHEN summarized THEN the tiles count them, senders told are distinct, and each day adds up', async () => {
    const rows = [
      release(1),
      release(2, { releasedTo: 'other@fabrikam.example' }),
      release(3, { status: 'pending', reason: 'waiting for the message in the snapshot' }),
      release(4, { status: 'skipped', reason: 'inbound' }),
      release(5, { status: 'skipped', reason: 'inbound' }),
      release(6, { status: 'skipped', reason: 'system release' }),
      release(26, { status: 'failed', reason: 'send failed' }),
      release(27, { status: 'unmatched', sender: undefined }),
    ];
    const filter = { periodDays: 7 };
    const summary = summarize(await scannedRows(store(rows), filter, NOW), filter, NOW, '0 5-59/15 * * * *');
    expect(summary.tiles).toEqual({
      releases: 8,
      sendersTold: 1,
      notified: 2,
      waiting: 1,
      nextNotifyRun: '2026-03-02T16:05:00.000Z',
      skipped: 3,
      skippedByReason: [
        { reason: 'inbound', count: 2 },
        { reason: 'system release', count: 1 },
      ],
      unmatched: 1,
      failed: 1,
    });
    const total = summary.perDay.reduce(
      (n, d) => n + d.notified + d.pending + d.skipped + d.unmatched + d.failed,
      0,
    );
    expect(total).toBe(8);
    expect(summary.perDay.find((d) => d.day === '2026-03-01')).toMatchObject({ failed: 1, unmatched: 1 });
    expect(summary.perDay[summary.perDay.length - 1].day).toBe('2026-03-02');
    expect(NOW.getTime() - Date.parse(summary.period.since)).toBe(7 * DAY);
  });
});

describe('the fleet page’s order', () => {
  const tenant = (displayName: string, patch: Partial<FleetTenantView> = {}): FleetTenantView => ({
    tenantId: `${displayName.toLowerCase()}-id`,
    displayName,
    enabled: true,
    status: 'healthy',
    problems: [],
    lastRuns: { snapshot: null, notify: null },
    releases: 0,
    sendersTold: 0,
    failed: 0,
    ...patch,
  });

  it('GIVEN healthy, unhealthy, failing and disabled tenants WHEN sorted THEN those in trouble come first (most failed releases first), then the healthy by name, disabled last', () => {
    const tenants = [
      tenant('Alpine'),
      tenant('Bellows', { enabled: false, status: 'unhealthy' }),
      tenant('Contoso', { failed: 2 }),
      tenant('Datum', { status: 'unhealthy' }),
      tenant('Elm', { failed: 5, status: 'unhealthy' }),
      tenant('Adatum'),
    ];
    expect(tenants.sort(failuresFirst).map((t) => t.displayName)).toEqual([
      'Elm',
      'Contoso',
      'Datum',
      'Adatum',
      'Alpine',
      'Bellows',
    ]);
  });
});
