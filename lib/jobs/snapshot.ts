import { randomUUID } from 'node:crypto';
import type { Settings } from '../config/settings';
import { DAY, MINUTE, type Clock } from '../core/clock';
import type { QuarantinedMessage } from '../core/domain';
import type { Logger } from '../core/log';
import type { JobOutcome } from '../core/outcomes';
import { oneAhead } from '../core/concurrency';
import { renewedAtMost } from './lease-renewal';
import type { ExchangeAdminApi } from '../sources/exchange/admin-api';
import {
  fetchQuarantinePages,
  mapQuarantineRow,
  QUARANTINE_MAX_LOOKBACK_MS,
  type SkipReason,
  type WireWarning,
} from '../sources/exchange/quarantine';
import { setAside } from '../store/set-aside';
import type { QuarantineWriter, ReleasesSeenPort, SnapshotStatePort } from './snapshot/ports';
import { planPageSizes, rememberPageSizes, type PageSizePlan } from './snapshot/page-sizes';
import type { PermissionGap } from '../fleet/tenant-fixes';
import { classifyFailure, permissionGap, type FailureClass } from '../sources/failure-class';
import { recordSuccessfulRun } from './last-run';
import {
  emptyReleasesSeenEarlySummary,
  recordReleasesSeenEarly,
  type ReleasesSeenEarlySummary,
} from './releases-seen-early';
import { newPagingStats, type ExchangePagingStats } from '../sources/exchange/paging';

/**
 * The snapshot job (docs/architecture.md#snapshot): copies every Get-QuarantineMessage row into the
 * quarantine table before Exchange forgets it, so that a release can later be told what the message was.
 *
 * Incremental by received date: the first run backfills the 30 days Exchange keeps; later runs fetch from
 * the last completed window's end minus an overlap up to this run's start. The watermark moves only after
 * the whole window is stored, so a run that dies half-way is simply repeated (writes are idempotent).
 */

export interface SnapshotDeps {
  exchange: Pick<ExchangeAdminApi, 'invoke'>;
  quarantine: QuarantineWriter;
  state: SnapshotStatePort;
  clock: Clock;
  logger: Logger;
  settings: Pick<Settings, 'snapshot'> & Partial<Pick<Settings, 'releaseSources'>>;
  /** Where releases seen in the quarantine's own status are recorded (RELEASE_SOURCES quarantine or both). */
  releases?: ReleasesSeenPort;
}

export interface SnapshotOptions {
  /** Who runs it, for the lease and the logs ("timer", "cli"); a random suffix is added. */
  owner?: string;
  /** Lease length; renewed after every page (default 30 minutes). */
  leaseMs?: number;
}

export interface SnapshotSummary {
  outcome: JobOutcome;
  /** The received-date window asked of Exchange. */
  window?: { start: string; end: string; firstRun: boolean };
  /** Received dates no run could fetch any more (the app was down for more than 30 days). */
  gap?: { from: string; to: string };
  pages: number;
  /** The window query's truncated answers, nextLinks followed and refused, and the PageSize it settled on. */
  paging: ExchangePagingStats;
  rowsFetched: number;
  rowsWritten: number;
  /** Rows that were not stored, by reason (e.g. identity-unparsable). */
  skipped: Record<string, number>;
  /** Rows stored despite a broken wire invariant, by "kind:field". */
  wireWarnings: Record<string, number>;
  /** Rows with a field cut to fit Table Storage. */
  rowsTruncated: number;
  /** Rows purged this run; undefined when no purge was due. */
  purged?: number;
  /** The fast path: releases seen in the quarantine's status (absent when RELEASE_SOURCES is audit). */
  releasesSeenEarly?: ReleasesSeenEarlySummary;
  durationMs: number;
  /** Why the run failed: the message names what to fix. */
  error?: string;
  /** What kind of failure it was (lib/ops/run-event.ts), from the error the run threw. */
  failureClass?: FailureClass;
  /** For a permission failure, the grant it lacks (a customer tenant's run names its fix). */
  permissionGap?: PermissionGap;
}

interface SnapshotCheckpoint {
  /** End of the last window stored completely (a received date). */
  watermark: string;
  windowStart: string;
  completedAt: string;
  rows: number;
}

interface PurgeCheckpoint {
  lastPurgeAt: string;
  purged: number;
}

export const SNAPSHOT_JOB = 'snapshot';
const CHECKPOINT_KEY = 'checkpoint';
const PURGE_KEY = 'purge';
const DEFAULT_LEASE_MS = 30 * MINUTE;
/**
 * How far back a window may start: Exchange's 30 days less a margin, so that a start date never reads as
 * "older than 30 days" to a service whose clock runs a little ahead (such a date is ignored). Rows in the
 * margin expire within minutes (retention is at most 30 days).
 */
export const SNAPSHOT_MAX_LOOKBACK_MS = QUARANTINE_MAX_LOOKBACK_MS - 10 * MINUTE;

export async function runSnapshot(
  deps: SnapshotDeps,
  options: SnapshotOptions = {},
): Promise<SnapshotSummary> {
  const { clock, logger, state } = deps;
  const started = clock.now();
  const summary: SnapshotSummary = {
    outcome: 'completed',
    pages: 0,
    paging: newPagingStats(),
    rowsFetched: 0,
    rowsWritten: 0,
    skipped: {},
    wireWarnings: {},
    rowsTruncated: 0,
    durationMs: 0,
  };

  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const owner = `${options.owner ?? 'snapshot'}-${randomUUID()}`;
  const lease = await state.acquireLease(SNAPSHOT_JOB, owner, leaseMs);
  if (!lease) {
    summary.outcome = 'busy';
    logger.info('Snapshot skipped: another snapshot run holds the lease');
    return summary;
  }

  try {
    const pageSizes = await planPageSizes(deps, SNAPSHOT_JOB);
    await seeReleasesEarly(deps, summary, started, pageSizes);
    try {
      const stillLeased = renewedAtMost(leaseMs / 5, clock, () => lease.renew());
      await snapshotWindow(deps, summary, started, pageSizes, async () => {
        if (!(await stillLeased()))
          throw new Error('the snapshot lease expired and another run took it over');
      });
      await recordSuccessfulRun(state, SNAPSHOT_JOB, clock.now()); // for GET /api/health
    } catch (error) {
      summary.outcome = 'failed';
      summary.error = error instanceof Error ? error.message : String(error);
      summary.failureClass = classifyFailure(error);
      summary.permissionGap = permissionGap(error);
      logger.error('Snapshot failed; the next run fetches the same window again', { error: summary.error });
    }
    await rememberPageSizes(deps, SNAPSHOT_JOB, pageSizes, {
      window: summary.paging,
      released: summary.releasesSeenEarly?.paging,
    });
    // After the snapshot, never before it or instead of it; its failure is logged, not fatal. The accepted
    // domains are not read here: notify reads them when a decision needs them (cached a day), so a run
    // where nothing changed asks Exchange for the window and the Released query only.
    await purgeIfDue(deps, summary);
  } finally {
    await lease.release().catch((error: unknown) =>
      logger.warn('Snapshot lease could not be released; it will expire', {
        error: (error as Error).message,
      }),
    );
    summary.durationMs = clock.now().getTime() - started.getTime();
    logSummary(logger, summary);
  }
  return summary;
}

/**
 * The released rows of the whole 30-day window, compared with the snapshot (the fast path). Its own
 * query: when it fails, the snapshot itself still runs; its releases are found by the next run.
 */
async function seeReleasesEarly(
  deps: SnapshotDeps,
  summary: SnapshotSummary,
  runStart: Date,
  pageSizes: PageSizePlan,
): Promise<void> {
  const { releases, settings, logger } = deps;
  if (!releases || (settings.releaseSources ?? 'both') === 'audit') return;
  const window = { start: new Date(runStart.getTime() - SNAPSHOT_MAX_LOOKBACK_MS), end: runStart };
  try {
    summary.releasesSeenEarly = await recordReleasesSeenEarly(
      { ...deps, releases },
      { ...window, pageSize: pageSizes.start.released },
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    summary.releasesSeenEarly = {
      ...emptyReleasesSeenEarlySummary(),
      error: message,
    };
    logger.error('Released-messages query failed; the snapshot goes on and the next run asks again', {
      error: message,
    });
  }
}

async function snapshotWindow(
  deps: SnapshotDeps,
  summary: SnapshotSummary,
  runStart: Date,
  pageSizes: PageSizePlan,
  renewLease: () => Promise<void>,
): Promise<void> {
  const { state, logger, settings } = deps;
  const checkpoint = await state.read<SnapshotCheckpoint>(SNAPSHOT_JOB, CHECKPOINT_KEY);
  const end = runStart;
  const earliest = new Date(end.getTime() - SNAPSHOT_MAX_LOOKBACK_MS);
  let start = earliest;
  if (checkpoint) {
    const wanted = new Date(Date.parse(checkpoint.watermark) - settings.snapshot.overlapMinutes * MINUTE);
    if (wanted.getTime() < earliest.getTime()) {
      summary.gap = { from: wanted.toISOString(), to: earliest.toISOString() };
      logger.warn(
        'Snapshot gap: no run completed for more than 30 days, and Exchange lists only the last 30; messages ' +
          'quarantined in the gap and already expired or deleted were never captured',
        summary.gap,
      );
    } else {
      start = wanted;
    }
  }
  if (start.getTime() >= end.getTime()) start = new Date(end.getTime() - MINUTE); // a clock set backwards
  summary.window = { start: start.toISOString(), end: end.toISOString(), firstRun: !checkpoint };

  const seenWarnings = new Set<string>();
  // The next page is fetched and mapped while this one is written (docs/architecture.md#snapshot).
  for await (const page of oneAhead(
    mappedPages(
      fetchQuarantinePages(
        deps.exchange,
        { start, end, pageSize: pageSizes.start.window, stats: summary.paging },
        logger,
      ),
    ),
  )) {
    summary.pages++;
    summary.rowsFetched += page.rows;
    for (const reason of page.skipped) {
      count(summary.skipped, reason);
      logger.warn('Wire invariant: quarantine row skipped', { reason, page: page.page });
    }
    for (const warning of page.warnings) noteWarning(logger, summary, seenWarnings, warning, page.page);
    const written = await deps.quarantine.upsertMany(page.messages);
    for (const { networkMessageId, error } of written.refused) {
      count(summary.skipped, 'set aside');
      await setAside(state, deps.clock, 'message', networkMessageId, error);
    }
    summary.rowsWritten += written.written;
    summary.rowsTruncated += written.truncated;
    await renewLease();
  }

  // Only now is the window stored completely: the next run may start from its end.
  await state.write<SnapshotCheckpoint>(SNAPSHOT_JOB, CHECKPOINT_KEY, {
    watermark: end.toISOString(),
    windowStart: start.toISOString(),
    completedAt: deps.clock.now().toISOString(),
    rows: summary.rowsWritten,
  });
}

/** A page of the window as the snapshot stores it: its rows mapped, what was skipped and why. */
interface MappedPage {
  page: number;
  rows: number;
  messages: QuarantinedMessage[];
  skipped: SkipReason[];
  warnings: WireWarning[];
}

/**
 * Maps each page as it arrives. Read one page ahead, the mapping of the next page happens while this one's
 * writes are in flight, not between them; what it found is counted and logged only when the page is stored.
 */
async function* mappedPages(
  pages: AsyncIterable<{ page: number; rows: readonly unknown[] }>,
): AsyncGenerator<MappedPage, void, undefined> {
  for await (const { page, rows } of pages) {
    const mapped: MappedPage = { page, rows: rows.length, messages: [], skipped: [], warnings: [] };
    for (const raw of rows) {
      let row: ReturnType<typeof mapQuarantineRow>;
      try {
        row = mapQuarantineRow(raw);
      } catch {
        row = { skipped: 'mapping-failed' };
      }
      if ('skipped' in row) {
        mapped.skipped.push(row.skipped);
        continue;
      }
      mapped.warnings.push(...row.warnings);
      mapped.messages.push(row.message);
    }
    yield mapped;
  }
}

function noteWarning(
  logger: Logger,
  summary: SnapshotSummary,
  seen: Set<string>,
  warning: WireWarning,
  page: number,
): void {
  count(summary.wireWarnings, `${warning.kind}:${warning.field}`);
  const key = `${warning.kind}:${warning.field}:${warning.value}`;
  if (seen.has(key)) return;
  seen.add(key);
  // Enum values and type names only: never a subject or an address.
  logger.warn('Wire invariant: quarantine row stored despite an unexpected value', {
    kind: warning.kind,
    field: warning.field,
    value: warning.value,
    page,
  });
}

async function purgeIfDue(deps: SnapshotDeps, summary: SnapshotSummary): Promise<void> {
  const { state, clock, logger, settings } = deps;
  try {
    const last = await state.read<PurgeCheckpoint>(SNAPSHOT_JOB, PURGE_KEY);
    const now = clock.now();
    if (last && now.getTime() - Date.parse(last.lastPurgeAt) < DAY) return;
    const before = new Date(now.getTime() - settings.snapshot.purgeGraceDays * DAY);
    const purged = await deps.quarantine.purgeExpired(before);
    summary.purged = purged;
    await state.write<PurgeCheckpoint>(SNAPSHOT_JOB, PURGE_KEY, { lastPurgeAt: now.toISOString(), purged });
  } catch (error) {
    logger.warn('Purge of expired quarantine rows failed; it is tried again next run', {
      error: (error as Error).message,
    });
  }
}

function count(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** One line per run: counts and dates only, never subjects or addresses. */
function logSummary(logger: Logger, summary: SnapshotSummary): void {
  const fields = {
    outcome: summary.outcome,
    window: summary.window ? `${summary.window.start}..${summary.window.end}` : undefined,
    firstRun: summary.window?.firstRun,
    gap: summary.gap ? `${summary.gap.from}..${summary.gap.to}` : undefined,
    pages: summary.pages,
    truncations: summary.paging.truncations,
    linksFollowed: summary.paging.linksFollowed,
    linksRefused: summary.paging.linksRefused,
    pageSize: summary.paging.pageSize,
    fetched: summary.rowsFetched,
    written: summary.rowsWritten,
    skipped: summary.skipped,
    wireWarnings: summary.wireWarnings,
    truncated: summary.rowsTruncated,
    purged: summary.purged,
    releasedRows: summary.releasesSeenEarly?.releasedRows,
    releasedTruncations: summary.releasesSeenEarly?.paging.truncations,
    releasedLinksRefused: summary.releasesSeenEarly?.paging.linksRefused,
    releasedPageSize: summary.releasesSeenEarly?.paging.pageSize,
    releasedUserAsked: summary.releasesSeenEarly?.identityLookups,
    releasedUserWaiting: summary.releasesSeenEarly?.identityLookupsWaiting,
    releasesSeenEarly: summary.releasesSeenEarly?.newReleases,
    releasesSeenEarlyError: summary.releasesSeenEarly?.error,
    durationMs: summary.durationMs,
    error: summary.error,
  };
  if (summary.outcome === 'failed') logger.error('Snapshot summary', fields);
  else logger.info('Snapshot summary', fields);
}
