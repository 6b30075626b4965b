/**
 * The console's part of the bench: 10,000 releases in a fresh releases table, then the two requests an
 * administrator's first look makes (the first page of the table and the tiles), each against a raw query of
 * the same rows (the least any reader of those rows pays). Target: each under 1 s on this machine.
 */
import { performance } from 'node:perf_hooks';
import { TableClient } from '@azure/data-tables';
import { DAY } from '../../lib/core/clock';
import { parseConsoleQuery, releasesPage, scannedRows, summarize } from '../../lib/console/view';
import { odataString } from '../../lib/store/tables';
import { releaseRowKey, ReleasesStore, type ReleaseStatus } from '../../lib/store/releases-store';
import { random } from './data';

const STATUSES: ReleaseStatus[] = [
  'notified',
  'notified',
  'notified',
  'skipped',
  'pending',
  'failed',
  'unmatched',
];
const TARGET_MS = 1_000;

export interface ConsoleBench {
  releases: number;
  inPeriod: number;
  seedSeconds: number;
  rawQueryMs: number;
  firstPageMs: number;
  tilesMs: number;
  ratios: { firstPageOverRaw: number; tilesOverRaw: number };
  targets: Record<'firstPageUnder1s' | 'tilesUnder1s', { met: boolean; value: number; limit: number }>;
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await run();
  return { ms: Math.round(performance.now() - start), value };
}

export async function benchConsole(connectionString: string, count = 10_000): Promise<ConsoleBench> {
  const table = TableClient.fromConnectionString(connectionString, `benchconsole${Date.now()}`, {
    allowInsecureConnection: true,
  });
  await table.createTable();
  const now = new Date();
  const next = random(19);
  const seedStart = performance.now();
  // Releases over 45 days: the default 30-day period holds about two thirds of them.
  let written = 0;
  const write = async () => {
    while (written < count) {
      const n = written++;
      const id = `${n.toString(16).padStart(8, '0')}-0000-4000-8000-${'0'.repeat(12)}`;
      const releasedTo = `recipient${n % 97}@fabrikam.example`;
      const status = STATUSES[Math.floor(next() * STATUSES.length)];
      await table.createEntity({
        partitionKey: id,
        rowKey: releaseRowKey(releasedTo),
        networkMessageId: id,
        releasedTo,
        status,
        reason: status === 'skipped' ? 'inbound' : status === 'failed' ? 'send failed after 5 attempts' : '',
        releasedAt: new Date(now.getTime() - next() * 45 * DAY).toISOString(),
        releasedBy: `admin${n % 5}@contoso.com`,
        isSystemRelease: false,
        sources: JSON.stringify(['audit']),
        auditRecordIds: JSON.stringify([`audit-${n}`]),
        firstSeenAt: now.toISOString(),
        updatedAt: now.toISOString(),
        sender: `user${n % 300}@contoso.com`,
        originalRecipients: JSON.stringify([releasedTo]),
        subject: `Quarterly figures ${n}`,
        policyName: 'Outbound confidential',
        policyType: 'ExchangeTransportRule',
        outbound: true,
      });
    }
  };
  await Promise.all(Array.from({ length: 32 }, write));
  const seedSeconds = Math.round((performance.now() - seedStart) / 100) / 10;

  const store = new ReleasesStore(table);
  const query = parseConsoleQuery(new URLSearchParams());
  const since = new Date(now.getTime() - query.periodDays * DAY);
  const raw = await timed(async () => {
    let n = 0;
    const filter = `releasedAt ge ${odataString(since.toISOString())}`;
    for await (const _ of table.listEntities({ queryOptions: { filter } })) n++;
    return n;
  });
  const firstPage = await timed(() => releasesPage(store, query, now));
  const tiles = await timed(async () =>
    summarize(await scannedRows(store, query, now), query, now, '0 5-59/15 * * * *'),
  );
  await table.deleteTable();
  if (firstPage.value.total !== raw.value || tiles.value.tiles.releases !== raw.value) {
    throw new Error(
      `console bench: the console read ${firstPage.value.total} rows, the raw query ${raw.value}`,
    );
  }
  const ratio = (ms: number) => Math.round((ms / Math.max(1, raw.ms)) * 100) / 100;
  return {
    releases: count,
    inPeriod: raw.value,
    seedSeconds,
    rawQueryMs: raw.ms,
    firstPageMs: firstPage.ms,
    tilesMs: tiles.ms,
    ratios: { firstPageOverRaw: ratio(firstPage.ms), tilesOverRaw: ratio(tiles.ms) },
    targets: {
      firstPageUnder1s: { met: firstPage.ms < TARGET_MS, value: firstPage.ms, limit: TARGET_MS },
      tilesUnder1s: { met: tiles.ms < TARGET_MS, value: tiles.ms, limit: TARGET_MS },
    },
  };
}

export function consoleBenchLines(result: ConsoleBench): string[] {
  return [
    `console      ${result.releases} releases (${result.inPeriod} in the 30-day period), seeded in ${result.seedSeconds} s; raw query of the period ${result.rawQueryMs} ms`,
    `             first table page ${result.firstPageMs} ms = ${result.ratios.firstPageOverRaw}x raw; tiles ${result.tilesMs} ms = ${result.ratios.tilesOverRaw}x raw`,
    ...Object.entries(result.targets).map(
      ([name, t]) => `  ${t.met ? 'MET   ' : 'MISSED'} console ${name}: ${t.value} ms (limit ${t.limit} ms)`,
    ),
  ];
}
