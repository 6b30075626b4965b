import { DAY, type Clock } from '../../core/clock';
import type { Logger } from '../../core/log';
import type { ExchangePagingStats } from '../../sources/exchange/paging';
import { QUARANTINE_PAGE_SIZE } from '../../sources/exchange/quarantine';
import type { SnapshotStatePort } from './ports';

/**
 * The PageSize each of the snapshot's listings settled on, remembered in the state table between runs
 * (docs/architecture.md#snapshot). A server that cuts pages at 250 would otherwise cost every run one cut
 * answer and a refused nextLink per listing before the smaller size is found again. The asked size is tried
 * again once a day, so a tenant whose server stops cutting is not kept on small pages.
 */

/** The snapshot's paged listings: the received-date window, and the Released query. */
export type Listing = 'window' | 'released';
const LISTINGS: readonly Listing[] = ['window', 'released'];

export const PAGE_SIZES_KEY = 'pageSizes';
/** How long a smaller size is kept before the asked size is tried again. */
export const PAGE_SIZE_RETRY_MS = DAY;

interface RememberedSize {
  /** The size the listing settled on, below the asked size. */
  pageSize: number;
  /** When the listing last started at the asked size (and was cut). */
  askedFullAt: string;
}

type Remembered = Partial<Record<Listing, RememberedSize>>;

/** Where each listing starts this run, and what was remembered (for the write after the run). */
export interface PageSizePlan {
  start: Record<Listing, number>;
  remembered: Remembered;
  /** The stored value could not be used whole: it is written again after the run. */
  rewrite: boolean;
}

/** A remembered size the run can use: a whole number below the asked size, with a readable time. */
function usable(value: unknown, asked: number): RememberedSize | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { pageSize, askedFullAt } = value as Record<string, unknown>;
  if (!Number.isInteger(pageSize) || (pageSize as number) < 1 || (pageSize as number) >= asked)
    return undefined;
  if (typeof askedFullAt !== 'string' || Number.isNaN(Date.parse(askedFullAt))) return undefined;
  return { pageSize: pageSize as number, askedFullAt };
}

/**
 * Where each listing starts: its remembered size while it is younger than a day, else the asked size. A
 * stored value that cannot be read is ignored with a warning (the run starts at the asked size and writes a
 * good one); reading never fails the run.
 */
export async function planPageSizes(
  deps: { state: SnapshotStatePort; clock: Clock; logger: Logger },
  job: string,
  asked = QUARANTINE_PAGE_SIZE,
): Promise<PageSizePlan> {
  const plan: PageSizePlan = { start: { window: asked, released: asked }, remembered: {}, rewrite: false };
  let stored: unknown;
  try {
    stored = await deps.state.read<unknown>(job, PAGE_SIZES_KEY);
  } catch (error) {
    deps.logger.warn('Remembered page sizes could not be read; this run starts at the asked PageSize', {
      error: (error as Error).message,
    });
    return { ...plan, rewrite: true };
  }
  if (stored === undefined) return plan;
  const now = deps.clock.now().getTime();
  for (const listing of LISTINGS) {
    // A value that is not an object of listings is unusable for each of them.
    const raw =
      typeof stored === 'object' && stored !== null && !Array.isArray(stored)
        ? (stored as Record<string, unknown>)[listing]
        : stored;
    if (raw === undefined) continue;
    const remembered = usable(raw, asked);
    if (!remembered) {
      plan.rewrite = true;
      deps.logger.warn(
        'A remembered page size is not usable; ignored, this listing starts at the asked PageSize',
        {
          listing,
          stored: JSON.stringify(raw).slice(0, 200),
        },
      );
      continue;
    }
    plan.remembered[listing] = remembered;
    if (now - Date.parse(remembered.askedFullAt) < PAGE_SIZE_RETRY_MS)
      plan.start[listing] = remembered.pageSize;
  }
  return plan;
}

/**
 * What to remember after the run: a listing cut below the asked size keeps the size it settled on (from
 * when it last started at the asked size); one that started at the asked size and was never cut forgets
 * it. A listing that did not run keeps what it had. Writes only when something changed; a failed write
 * is a warning, the next run finds the size again.
 */
export async function rememberPageSizes(
  deps: { state: SnapshotStatePort; clock: Clock; logger: Logger },
  job: string,
  plan: PageSizePlan,
  settled: Partial<Record<Listing, ExchangePagingStats>>,
  asked = QUARANTINE_PAGE_SIZE,
): Promise<void> {
  const next: Remembered = { ...plan.remembered };
  for (const listing of LISTINGS) {
    const stats = settled[listing];
    if (!stats || stats.requests === 0 || stats.pageSize === undefined) continue;
    const startedFull = plan.start[listing] === asked;
    if (stats.pageSize >= asked) {
      if (startedFull) delete next[listing];
      continue;
    }
    next[listing] = {
      pageSize: stats.pageSize,
      askedFullAt: startedFull
        ? deps.clock.now().toISOString()
        : (plan.remembered[listing]?.askedFullAt ?? deps.clock.now().toISOString()),
    };
  }
  if (!plan.rewrite && JSON.stringify(next) === JSON.stringify(plan.remembered)) return;
  try {
    await deps.state.write(job, PAGE_SIZES_KEY, next);
  } catch (error) {
    deps.logger.warn('The page sizes settled on could not be remembered; the next run finds them again', {
      error: (error as Error).message,
    });
  }
}
