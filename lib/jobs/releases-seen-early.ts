import type { Clock } from '../core/clock';
import type { QuarantinedMessage, ReleaseEvent } from '../core/domain';
import type { Logger } from '../core/log';
import { personReleaser } from '../core/releaser';
import { senderOf } from './outbound';
import type { ExchangeAdminApi } from '../sources/exchange/admin-api';
import { newPagingStats, type ExchangePagingStats } from '../sources/exchange/paging';
import {
  fetchQuarantinePages,
  fetchQuarantineRowByIdentity,
  mapQuarantineRow,
} from '../sources/exchange/quarantine';
import { boundedText } from '../store/keys';
import { newReleaseRow, releaseUnitKey } from '../store/releases-store';
import type { QuarantineWriter, ReleasesSeenPort } from './snapshot/ports';

/**
 * The fast path (docs/architecture.md#release-sources): a released message stays listed by
 * Get-QuarantineMessage with ReleaseStatus RELEASED, ReleasedUser and ReleasedBy until it expires, long
 * before its audit record is searchable. Each snapshot run asks for the released rows of the whole 30-day
 * window (released messages are few) and compares them with the releases already known: a row that has become
 * released, or has gained released-to recipients, is a release seen early. Each new (message, released-to)
 * unit becomes a pending release; the audit record, when it comes, completes the same row and never a second
 * email. The cost per run is one scan of the releases table's keys for the window, and a point read only for
 * a unit not recorded yet.
 *
 * Who a row was released to comes from its ReleasedUser, never from its recipients: an administrator may
 * release a copy to anyone (docs/architecture.md#release-sources). The paged list may leave ReleasedUser
 * empty where `-Identity` shows it (docs/wire-contract.md, Get-QuarantineMessage), so such a row is asked
 * for by Identity, at most `maxIdentityLookups` rows per run (the rest wait for the next run); when that
 * names nobody either, the release is left to its audit record.
 */

export interface ReleasesSeenEarlyDeps {
  exchange: Pick<ExchangeAdminApi, 'invoke'>;
  quarantine: Pick<QuarantineWriter, 'upsertMany'>;
  releases: ReleasesSeenPort;
  clock: Clock;
  logger: Logger;
  /** `Get-QuarantineMessage -Identity` calls per run for released rows without ReleasedUser (default 25). */
  maxIdentityLookups?: number;
}

export interface ReleasesSeenEarlySummary {
  pages: number;
  /** The Released query's and the -Identity lookups' truncated answers and nextLinks, and the PageSize settled on. */
  paging: ExchangePagingStats;
  /** Released rows without ReleasedUser asked for by Identity this run. */
  identityLookups: number;
  /** Such rows left for the next run (the per-run bound was reached). */
  identityLookupsWaiting: number;
  /** Released rows whose released-to address nobody named: left to the audit record. */
  leftToAudit: number;
  releasedRows: number;
  /** Rows whose release status changed since the snapshot last stored them. */
  changedRows: number;
  /** New (message, released-to) units recorded as pending releases. */
  newReleases: number;
  error?: string;
}

export const DEFAULT_IDENTITY_LOOKUPS_PER_RUN = 25;

export function emptyReleasesSeenEarlySummary(): ReleasesSeenEarlySummary {
  return {
    pages: 0,
    paging: newPagingStats(),
    identityLookups: 0,
    identityLookupsWaiting: 0,
    leftToAudit: 0,
    releasedRows: 0,
    changedRows: 0,
    newReleases: 0,
  };
}

const KNOWN_UNITS_MARGIN_MS = 7 * 24 * 60 * 60 * 1000;

export async function recordReleasesSeenEarly(
  deps: ReleasesSeenEarlyDeps,
  /** `pageSize`: where the Released query starts (the size it settled on last run, lib/jobs/snapshot/page-sizes.ts). */
  window: { start: Date; end: Date; pageSize?: number },
): Promise<ReleasesSeenEarlySummary> {
  const summary = emptyReleasesSeenEarlySummary();
  const lookupBudget = deps.maxIdentityLookups ?? DEFAULT_IDENTITY_LOOKUPS_PER_RUN;
  // Units already recorded (by either source) need no read each: one scan of keys finds them all. Releases
  // happen after their message is received, so a margin before the window covers every unit it can list;
  // a unit outside it is still de-duplicated by `record` itself.
  const known = await deps.releases.knownUnitsSince(new Date(window.start.getTime() - KNOWN_UNITS_MARGIN_MS));
  const knownMessages = new Set([...known].map((key) => key.slice(0, key.indexOf('|'))));
  const pages = fetchQuarantinePages(
    deps.exchange,
    { ...window, filters: { ReleaseStatus: 'Released' }, stats: summary.paging },
    deps.logger,
  );
  for await (const page of pages) {
    summary.pages += 1;
    const changed = new Set<QuarantinedMessage>();
    const fresh: { event: ReleaseEvent; row: QuarantinedMessage }[] = [];
    for (const raw of page.rows) {
      let row = safeMap(raw);
      if (!row || row.releaseStatus !== 'RELEASED') continue;
      summary.releasedRows += 1;
      if (row.releasedUsers.length === 0) {
        // Its own recipient's release is recorded already (by either source): nothing to ask. A row released
        // elsewhere (a reviewer) or not yet reported is asked again, within the per-run bound.
        const recipients = row.recipients;
        if (
          recipients.length > 0 &&
          recipients.every((r) => known.has(releaseUnitKey(row!.networkMessageId, r)))
        )
          continue;
        if (recipients.length === 0 && knownMessages.has(row.networkMessageId)) continue;
        if (summary.identityLookups >= lookupBudget) {
          summary.identityLookupsWaiting += 1;
          continue;
        }
        summary.identityLookups += 1;
        row = await askByIdentity(deps, row, summary.paging);
        if (row.releasedUsers.length === 0) {
          summary.leftToAudit += 1;
          continue;
        }
      }
      // The releases table knows every unit already seen, from either source: only new ones count.
      const now = deps.clock.now();
      for (const address of releasedTo(row)) {
        const key = releaseUnitKey(row.networkMessageId, address);
        if (known.has(key)) continue;
        known.add(key);
        fresh.push({ event: releaseEvent(row, address, now), row });
      }
    }
    for (const row of await recordFresh(deps, fresh, summary)) changed.add(row);
    summary.changedRows += changed.size;
    // Keep the snapshot's release fields current for rows older than the snapshot's own window.
    if (changed.size > 0) await deps.quarantine.upsertMany([...changed]);
  }
  return summary;
}

/**
 * Records a page's new units at once: each message's new rows created in one transaction. A message whose
 * transaction is refused (a unit recorded meanwhile, by the audit record or an older key) is recorded unit
 * by unit, which merges rather than creates. The snapshot rows whose releases changed.
 */
async function recordFresh(
  deps: ReleasesSeenEarlyDeps,
  fresh: readonly { event: ReleaseEvent; row: QuarantinedMessage }[],
  summary: ReleasesSeenEarlySummary,
): Promise<QuarantinedMessage[]> {
  if (fresh.length === 0) return [];
  const outcomes = await deps.releases.writeMany(
    fresh.map(({ event }) => ({
      row: newReleaseRow(event, boundedText(event.releasedTo ?? ''), new Date(event.releasedAt)),
      create: true,
    })),
  );
  const changed: QuarantinedMessage[] = [];
  for (const [k, outcome] of outcomes.entries()) {
    const { event, row } = fresh[k];
    const recorded = 'etag' in outcome ? 'new' : await deps.releases.record(event, deps.clock.now());
    if (recorded === 'new') summary.newReleases += 1;
    if (recorded !== 'duplicate') changed.push(row);
  }
  return changed;
}

/** The row as `-Identity` shows it (ReleasedUser, ReleasedBy filled), or the list row when that fails. */
async function askByIdentity(
  deps: ReleasesSeenEarlyDeps,
  row: QuarantinedMessage,
  stats: ExchangePagingStats,
): Promise<QuarantinedMessage> {
  try {
    const raw = await fetchQuarantineRowByIdentity(deps.exchange, row.identity, stats);
    const full = raw === undefined ? undefined : safeMap(raw);
    if (full && full.networkMessageId === row.networkMessageId) return full;
  } catch (error) {
    deps.logger.warn('Get-QuarantineMessage -Identity failed; the release waits for its audit record', {
      error: error instanceof Error ? error.message : String(error),
    });
  }
  return row;
}

function safeMap(raw: unknown): QuarantinedMessage | undefined {
  try {
    const mapped = mapQuarantineRow(raw);
    return 'message' in mapped ? mapped.message : undefined;
  } catch {
    return undefined;
  }
}

/** Who a row was released to: its ReleasedUser only (never guessed from its recipients). */
function releasedTo(row: QuarantinedMessage): string[] {
  return [...new Set(row.releasedUsers.map((u) => u.toLowerCase()).filter(Boolean))];
}

function releaseEvent(row: QuarantinedMessage, address: string, now: Date): ReleaseEvent {
  // ReleasedBy grows with each release; the latest entry is the one that released the new recipients.
  const raw = row.releasedBy[row.releasedBy.length - 1];
  // Only SystemReleased marks Microsoft's own release: a SystemMailbox{…} releaser is an app or script
  // acting through the admin API (lib/core/releaser.ts), told as an administrator's release.
  const isSystemRelease = row.systemReleased === true;
  const person = isSystemRelease ? undefined : personReleaser(raw);
  return {
    id: `quarantine:${row.networkMessageId}:${address}`,
    source: 'quarantine',
    networkMessageId: row.networkMessageId,
    releasedTo: address,
    releasedBy: person,
    releasedByRaw: raw,
    isSystemRelease,
    // The quarantine does not say when; the first time a snapshot saw it is the best bound we have.
    releasedAt: now.toISOString(),
    sender: senderOf([row]).sender ?? (row.senderAddress.toLowerCase() || undefined),
  };
}
