import type { Client } from '@microsoft/microsoft-graph-client';
import type { Settings } from '../../config/settings';
import { DAY, HOUR, MINUTE, type Clock } from '../../core/clock';
import type { Logger } from '../../core/log';
import type { StateStore } from '../../store/state-store';
import type { PermissionGap } from '../../fleet/tenant-fixes';
import { challengeOf, entraErrorDescription } from '../entra-challenge';
import { permissionGap } from '../failure-class';
import {
  AUDITING_OFF,
  AUDITING_OFF_FIX,
  type AuditCollectResult,
  type AuditQueryState,
  type AuditSource,
} from './audit-source';

/**
 * The unified audit log through the Graph audit log query API (docs/wire-contract.md, Graph audit log
 * queries; docs/architecture.md#audit-reading): asynchronous, slow, about 200 query creations per tenant per
 * day, and filtered on event time while events arrive late.
 *
 * Each run does one step: it polls the open query (kept in the state table across runs) for a bounded
 * time, reads every page of it once it has succeeded, and only then moves the covered time. When no query
 * is open, or the open one failed, was cancelled, vanished or is stuck, it creates one, never more than
 * one per run. A query that is still running when the poll time is up is carried to the next run.
 *
 * Windows: each new query covers [min(now, coveredUntil) - look-back, now], capped at 7 days back, so
 * every event time is searched by queries made during at least the look-back after it (late records are
 * found), and downtime is caught up. A query that hits the record limit has its window split in two;
 * the halves wait in a queue in state and are queried, oldest first, before any new trailing window.
 *
 * A tenant with unified auditing turned off answers every creation with AuditingDisabledTenant. That is no
 * passing fault: it is said once per run with its fix, and a creation is tried again only once an hour
 * (AUDITING_OFF_RETRY_MS, kept in state), so the daily query budget is not spent on a known answer.
 */

export interface GraphAuditQueryDependencies {
  graph: Client;
  state: StateStore;
  clock: Clock;
  logger: Logger;
  settings: Pick<Settings, 'graphApiUrl' | 'auditApiVersion' | 'audit'>;
  /** Wait between polls of a running query (default 15 s). */
  pollIntervalMs?: number;
  /** Records pages read of one query before giving up (default MAX_AUDIT_PAGES_PER_QUERY). */
  maxPages?: number;
}

type ApiVersion = 'v1.0' | 'beta';

interface Window {
  start: string;
  end: string;
}

interface OpenQuery extends Window {
  id: string;
  apiVersion: ApiVersion;
  createdAt: string;
  /** True when the window came from the queue of split windows. */
  fromQueue: boolean;
  /**
   * The next page not yet handed over (a nextLink on the configured host), saved after every page, so a
   * run that stops mid-query resumes there instead of reading the same pages again and again.
   */
  resumeAt?: string;
}

/** What the state table keeps for this source (one JSON value). */
export interface GraphAuditQueryState {
  version: 1;
  /** Every event up to here was searched by a finished query (ISO UTC). */
  coveredUntil?: string;
  open?: OpenQuery;
  /** Windows still to query, oldest first (after a split for isRecordCountLimitExceeded). */
  pending: Window[];
  /** Set once v1.0 answered 404 to a create: the tenant only has the beta API. */
  betaFallback?: boolean;
  lastCreatedAt?: string;
  lastSucceededAt?: string;
  /** Set while creations answer AuditingDisabledTenant: since when, and when a creation was last tried. */
  auditingOff?: { since: string; triedAt: string };
}

export const GRAPH_AUDIT_STATE_JOB = 'notify';
export const GRAPH_AUDIT_STATE_KEY = 'auditGraphQuery';

/** No query reaches back more than 7 days, however long the app was down. */
const MAX_REACH_MS = 7 * DAY;
const PAGE_SIZE = 1000;
const DEFAULT_POLL_INTERVAL_MS = 15_000;
/** A window this short is not split further: its records are taken as they are. */
const MIN_SPLIT_MS = MINUTE;
/** While auditing is turned off, a query creation is tried again after this long (not every run). */
export const AUDITING_OFF_RETRY_MS = HOUR;

interface GraphQuery {
  id?: unknown;
  status?: unknown;
  isRecordCountLimitExceeded?: unknown;
}

type Failure = {
  kind: 'throttled' | 'failed' | 'gone' | 'auditing-off';
  message: string;
  /** Which grant a refusal lacks, from its status or Entra's code (lib/sources/failure-class.ts). */
  permissionGap?: PermissionGap;
};

export class GraphAuditQuerySource implements AuditSource {
  private readonly graphOrigin: string;
  private readonly pollIntervalMs: number;

  constructor(private readonly deps: GraphAuditQueryDependencies) {
    this.graphOrigin = new URL(deps.settings.graphApiUrl).origin;
    this.pollIntervalMs = deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  }

  async collect(
    onRecords: (records: unknown[]) => Promise<void>,
    othersFirst: Promise<unknown> = Promise.resolve(),
  ): Promise<AuditCollectResult> {
    const { clock, logger, settings } = this.deps;
    const deadline = clock.now().getTime() + settings.audit.pollSeconds * 1000;
    const state = await this.loadState();
    const run: Run = {
      result: {
        state: 'running',
        recordsRead: 0,
        pages: 0,
        carriedOver: true,
        queriesCreated: 0,
        pendingWindows: 0,
        notes: [],
      },
      waitBeforeGet: false,
    };

    if (!state.open && state.auditingOff && this.auditingOffWaits(state.auditingOff)) {
      return this.auditingStillOff(state, run);
    }

    for (;;) {
      if (!state.open) {
        if (run.result.queriesCreated > 0) {
          // The query made this run already failed: the next run makes the next one (budget).
          return this.finish(state, run, 'failed');
        }
        const created = await this.createQuery(state, run);
        if (isFailure(created) && created.kind === 'auditing-off') {
          const now = clock.now().toISOString();
          state.auditingOff = { since: state.auditingOff?.since ?? now, triedAt: now };
          return this.auditingStillOff(state, run);
        }
        if (isFailure(created)) {
          return this.finish(state, run, created.kind === 'throttled' ? 'throttled' : 'failed');
        }
        if (state.auditingOff) {
          logger.info('audit: unified audit logging answers again; audit log queries resume', {
            offSince: state.auditingOff.since,
          });
          delete state.auditingOff;
        }
        state.open = created.open;
        state.lastCreatedAt = created.open.createdAt;
        run.result.queriesCreated = 1;
        await this.saveState(state); // before anything else: a crash must not lose the query and make another
        this.describe(run, state.open);
        logger.info('audit: query created', {
          queryId: created.open.id,
          apiVersion: created.open.apiVersion,
          windowStart: created.open.start,
          windowEnd: created.open.end,
          fromQueue: created.open.fromQueue,
        });
        run.waitBeforeGet = true;
        if (await this.handleStatus(created.query, state, run, onRecords)) return this.finish(state, run);
        continue;
      }

      const open = state.open;
      this.describe(run, open);
      if (run.waitBeforeGet) {
        await othersFirst.catch(() => undefined); // their failure is theirs to report
        const remaining = deadline - clock.now().getTime();
        if (remaining <= 0) return this.finish(state, run, this.unfinishedState(run));
        await clock.sleep(Math.min(this.pollIntervalMs, remaining));
        this.describe(run, open);
      }
      run.waitBeforeGet = true;

      const got = await this.call(
        open.apiVersion,
        `/security/auditLog/queries/${encodeURIComponent(open.id)}`,
      );
      if (isFailure(got)) {
        if (got.kind === 'gone') {
          this.abandon(state, run, 'vanished: Graph no longer knows it');
          continue;
        }
        this.fail(run, `polling the query: ${got.message}`, got);
        return this.finish(state, run, got.kind === 'throttled' ? 'throttled' : 'failed');
      }
      if (await this.handleStatus(got as GraphQuery, state, run, onRecords)) return this.finish(state, run);
      if (!state.open) continue; // failed or cancelled: replaced below, budget permitting

      // Still unfinished: abandoned once it is older than the stuck limit (a crashed or hung query).
      const ageMs = clock.now().getTime() - Date.parse(open.createdAt);
      if (ageMs > settings.audit.stuckMinutes * MINUTE) {
        this.abandon(state, run, `stuck: unfinished after ${Math.round(ageMs / MINUTE)} min`);
      }
    }
  }

  /**
   * Acts on a query's status. Returns true when the run is over (the query was read, or reading it
   * failed), false to keep going (poll again, or create a replacement).
   */
  private async handleStatus(
    query: GraphQuery,
    state: GraphAuditQueryState,
    run: Run,
    onRecords: (records: unknown[]) => Promise<void>,
  ): Promise<boolean> {
    const status = typeof query.status === 'string' ? query.status : 'unknown';
    if (status === 'succeeded') {
      await this.readAndComplete(query, state, run, onRecords);
      return true;
    }
    if (status === 'failed' || status === 'cancelled') {
      this.abandon(state, run, status);
      return false;
    }
    if (status !== 'notStarted' && status !== 'running') {
      // An unknown status is waited on like a running one; the stuck limit ends it if it never resolves.
      const note = `query status ${status.slice(0, 40)}: waiting`;
      if (!run.result.notes.includes(note)) run.result.notes.push(note);
    }
    return false;
  }

  /** Reads every page of a succeeded query, then moves the covered time and clears the query. */
  private async readAndComplete(
    query: GraphQuery,
    state: GraphAuditQueryState,
    run: Run,
    onRecords: (records: unknown[]) => Promise<void>,
  ): Promise<void> {
    const { logger, clock } = this.deps;
    const open = state.open as OpenQuery;
    let path =
      (typeof open.resumeAt === 'string' ? this.onConfiguredHost(open.resumeAt) : undefined) ??
      `/security/auditLog/queries/${encodeURIComponent(open.id)}/records?$top=${PAGE_SIZE}`;
    // Bounded as the Exchange pager is: a page cap above any real query, and a nextLink given twice stops.
    const followed = new Set<string>();
    for (;;) {
      const maxPages = this.deps.maxPages ?? MAX_AUDIT_PAGES_PER_QUERY;
      if (run.result.pages >= maxPages) {
        this.fail(
          run,
          `still had pages after ${maxPages}; stopped (a query holds at most 1,000,000 records)`,
        );
        run.result.state = 'failed';
        return;
      }
      const page = await this.call(open.apiVersion, path);
      if (isFailure(page) && open.resumeAt !== undefined && page.kind !== 'throttled') {
        // The saved link may have expired: the next run reads the query from its first page (records
        // are de-duplicated by id), rather than failing on the same link for ever.
        delete open.resumeAt;
        await this.saveState(state);
      }
      if (isFailure(page) && page.kind === 'gone') {
        // Its results are gone (expired): the next run queries the window again.
        this.abandon(state, run, 'vanished: its records are no longer there');
        run.result.state = 'failed';
        return;
      }
      if (isFailure(page)) {
        // The pages handed over so far are read again next run; the receiver de-duplicates by record id.
        this.fail(run, `reading page ${run.result.pages + 1}: ${page.message}`, page);
        run.result.state = page.kind === 'throttled' ? 'throttled' : 'failed';
        return;
      }
      const records = (page as { value?: unknown }).value;
      if (!Array.isArray(records)) {
        this.fail(run, `page ${run.result.pages + 1} has no value array`);
        run.result.state = 'failed';
        return;
      }
      run.result.pages += 1;
      run.result.recordsRead += records.length;
      if (records.length > 0) await onRecords(records);

      const next = (page as { '@odata.nextLink'?: unknown })['@odata.nextLink'];
      if (next === undefined || next === null || next === '') break;
      const link = typeof next === 'string' ? this.onConfiguredHost(next) : undefined;
      if (link === undefined) {
        // Never send the Graph token anywhere else: a nextLink off the configured host is refused.
        logger.error('audit: refused an @odata.nextLink that does not point at the configured Graph host', {
          queryId: open.id,
          graphHost: this.graphOrigin,
          nextLinkOrigin: originOf(next),
        });
        run.result.notes.push('refused a nextLink off the Graph host');
        run.result.state = 'failed';
        return;
      }
      if (followed.has(link)) {
        this.fail(
          run,
          `Graph answered page ${run.result.pages} with a nextLink it had already given; stopped`,
        );
        run.result.state = 'failed';
        return;
      }
      followed.add(link);
      path = link;
      open.resumeAt = link; // this page is handed over: a later run starts after it
      await this.saveState(state);
    }

    const now = clock.now().toISOString();
    const window: Window = { start: open.start, end: open.end };
    const windowMs = Date.parse(window.end) - Date.parse(window.start);
    state.pending = state.pending.filter((w) => !(w.start === window.start && w.end === window.end));
    if (query.isRecordCountLimitExceeded === true && windowMs >= 2 * MIN_SPLIT_MS) {
      const middle = isoSeconds(Date.parse(window.start) + Math.floor(windowMs / 2 / 1000) * 1000);
      state.pending.push({ start: window.start, end: middle }, { start: middle, end: window.end });
      state.pending.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
      logger.warn(
        'audit: the query hit the record count limit; its window is split in two for the next queries',
        {
          queryId: open.id,
          windowStart: window.start,
          windowEnd: window.end,
          recordsRead: run.result.recordsRead,
        },
      );
      run.result.notes.push('record count limit exceeded: window split');
    } else {
      if (query.isRecordCountLimitExceeded === true) {
        logger.warn('audit: the query hit the record count limit on a window too short to split', {
          queryId: open.id,
          windowStart: window.start,
          windowEnd: window.end,
        });
        run.result.notes.push('record count limit exceeded on a minimal window');
      }
      // Covered up to this window's end unless an older window still waits in the queue.
      const blocked = state.pending.some((w) => Date.parse(w.start) < Date.parse(window.end));
      if (!blocked && (!state.coveredUntil || Date.parse(state.coveredUntil) < Date.parse(window.end))) {
        state.coveredUntil = window.end;
      }
    }
    state.open = undefined;
    state.lastSucceededAt = now;
    await this.saveState(state);
    run.result.state = 'succeeded';
    run.result.carriedOver = state.pending.length > 0;
    logger.info('audit: query read', {
      queryId: open.id,
      pages: run.result.pages,
      records: run.result.recordsRead,
      coveredUntil: state.coveredUntil,
    });
  }

  /** Creates the next query: the oldest queued window, or a trailing one ending now. */
  private async createQuery(
    state: GraphAuditQueryState,
    run: Run,
  ): Promise<{ open: OpenQuery; query: GraphQuery } | Failure> {
    const { settings, logger, clock } = this.deps;
    const window = this.nextWindow(state, run);
    let apiVersion: ApiVersion = settings.auditApiVersion === 'beta' || state.betaFallback ? 'beta' : 'v1.0';
    const body = {
      displayName: `quarantine releases ${window.start}..${window.end}`,
      filterStartDateTime: window.start,
      filterEndDateTime: window.end,
      recordTypeFilters: ['quarantine'],
      operationFilters: ['QuarantineReleaseMessage'],
      // No serviceFilter(s): the docs disagree on its name (docs/wire-contract.md, Graph audit log queries).
    };
    let created = await this.call(apiVersion, '/security/auditLog/queries', body);
    if (isFailure(created) && created.kind === 'gone' && apiVersion === 'v1.0') {
      // Some tenants only have the beta API. A 404 created nothing, so this is still one query this run.
      state.betaFallback = true;
      apiVersion = 'beta';
      logger.warn('audit: Graph answered 404 to audit log queries on v1.0; using beta from now on', {});
      run.result.notes.push('v1.0 answered 404: switched to beta');
      created = await this.call(apiVersion, '/security/auditLog/queries', body);
    }
    if (isFailure(created) && created.kind === 'auditing-off') return created; // said by the caller
    if (isFailure(created)) {
      this.fail(run, `creating a query: ${created.message}`, created);
      return created.kind === 'gone' ? new FailureBox('failed', created.message) : created;
    }
    const query = created as GraphQuery;
    if (typeof query.id !== 'string' || query.id === '') {
      this.fail(run, 'Graph created a query without an id');
      return new FailureBox('failed', 'Graph created a query without an id');
    }
    return {
      open: { id: query.id, apiVersion, createdAt: clock.now().toISOString(), ...window },
      query,
    };
  }

  private nextWindow(state: GraphAuditQueryState, run: Run): Window & { fromQueue: boolean } {
    if (state.pending.length > 0) return { ...state.pending[0], fromQueue: true };
    const { settings, logger, clock } = this.deps;
    const nowMs = clock.now().getTime();
    const lookbackMs = settings.audit.lookbackHours * HOUR;
    const coveredMs = state.coveredUntil ? Date.parse(state.coveredUntil) : NaN;
    let startMs = nowMs - lookbackMs;
    if (!Number.isNaN(coveredMs) && coveredMs < nowMs) startMs = Math.min(startMs, coveredMs - lookbackMs);
    if (startMs < nowMs - MAX_REACH_MS) {
      startMs = nowMs - MAX_REACH_MS;
      logger.warn('audit: the last covered time is further back than 7 days; older events are not searched', {
        coveredUntil: state.coveredUntil,
        windowStart: isoSeconds(startMs),
      });
      run.result.notes.push('window capped at 7 days');
    }
    return { start: isoSeconds(startMs), end: isoSeconds(nowMs), fromQueue: false };
  }

  private abandon(state: GraphAuditQueryState, run: Run, why: string): void {
    const open = state.open as OpenQuery;
    this.deps.logger.warn(`audit: query ${why}; a new one replaces it`, {
      queryId: open.id,
      createdAt: open.createdAt,
      windowStart: open.start,
      windowEnd: open.end,
    });
    run.result.notes.push(`query ${why.split(':')[0]}: replaced`);
    run.replaced = true;
    state.open = undefined;
  }

  private auditingOffWaits(off: { triedAt: string }): boolean {
    const triedMs = Date.parse(off.triedAt);
    return !Number.isNaN(triedMs) && this.deps.clock.now().getTime() < triedMs + AUDITING_OFF_RETRY_MS;
  }

  /** Ends a run while auditing is off: said once, with the fix and the next creation's time; no query made. */
  private async auditingStillOff(state: GraphAuditQueryState, run: Run): Promise<AuditCollectResult> {
    const off = state.auditingOff as { since: string; triedAt: string };
    const nextAttemptAt = new Date(Date.parse(off.triedAt) + AUDITING_OFF_RETRY_MS).toISOString();
    this.deps.logger.error(`audit: ${AUDITING_OFF}; no audit log query is created until ${nextAttemptAt}`, {
      offSince: off.since,
      nextAttemptAt,
      fix: AUDITING_OFF_FIX,
    });
    run.result.notes.push(`${AUDITING_OFF} since ${off.since}: ${AUDITING_OFF_FIX}`);
    run.result.auditingOff = { since: off.since, nextAttemptAt };
    return this.finish(state, run, 'auditing-off');
  }

  private fail(run: Run, message: string, failure?: Failure): void {
    this.deps.logger.warn(`audit: ${message}; carried to the next run`, { queryId: run.result.queryId });
    run.result.notes.push(message);
    if (failure?.permissionGap) run.result.permissionGap ??= failure.permissionGap;
  }

  private unfinishedState(run: Run): AuditQueryState {
    if (run.result.queriesCreated === 0) return 'running';
    return run.replaced ? 'recreated' : 'created';
  }

  private describe(run: Run, open: OpenQuery): void {
    run.result.queryId = open.id;
    run.result.windowStart = open.start;
    run.result.windowEnd = open.end;
    run.result.queryAgeMinutes = Math.max(
      0,
      Math.round((this.deps.clock.now().getTime() - Date.parse(open.createdAt)) / MINUTE),
    );
  }

  private async finish(
    state: GraphAuditQueryState,
    run: Run,
    outcome?: AuditQueryState,
  ): Promise<AuditCollectResult> {
    if (outcome) run.result.state = outcome;
    if (run.result.state !== 'succeeded') {
      run.result.carriedOver = true;
      await this.saveState(state);
    }
    if (state.open) this.describe(run, state.open);
    else run.result.queryAgeMinutes = undefined;
    run.result.pendingWindows = state.pending.length;
    run.result.coveredUntil = state.coveredUntil;
    return run.result;
  }

  /** One Graph request; errors become values (a 404 is 'gone', a 429 'throttled'). */
  private async call(apiVersion: ApiVersion, path: string, body?: unknown): Promise<unknown | Failure> {
    try {
      const request = this.deps.graph.api(path).version(apiVersion);
      return body === undefined ? await request.get() : await request.post(body);
    } catch (error) {
      return toFailure(error);
    }
  }

  /**
   * The nextLink to follow, on the configured Graph host, or undefined to refuse it. A link on the
   * configured origin is followed as is; a relative one, or one naming a public Microsoft Graph host
   * while GRAPH_API_URL points at a proxy, a national cloud's alias or the simulator, is rebased onto the
   * configured origin (the token still goes only there). Any other host is refused.
   */
  private onConfiguredHost(link: string): string | undefined {
    if (this.isGraphUrl(link)) return link;
    try {
      const url = new URL(link, this.graphOrigin);
      const relative = link.startsWith('/');
      if (url.protocol !== 'https:' || !(relative || PUBLIC_GRAPH_HOSTS.has(url.hostname))) return undefined;
      return `${this.graphOrigin}${url.pathname}${url.search}`;
    } catch {
      return undefined;
    }
  }

  private isGraphUrl(link: string): boolean {
    try {
      const url = new URL(link);
      return url.protocol === 'https:' && url.origin === this.graphOrigin;
    } catch {
      return false;
    }
  }

  private async loadState(): Promise<GraphAuditQueryState> {
    let stored: unknown;
    try {
      stored = await this.deps.state.read<unknown>(GRAPH_AUDIT_STATE_JOB, GRAPH_AUDIT_STATE_KEY);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      stored = undefined; // an unreadable value is replaced below
    }
    if (stored === undefined) return { version: 1, pending: [] };
    if (!isState(stored)) {
      this.deps.logger.warn('audit: the stored audit query state is unreadable; starting afresh', {});
      return { version: 1, pending: [] };
    }
    return stored;
  }

  private async saveState(state: GraphAuditQueryState): Promise<void> {
    if (state.open === undefined) delete state.open;
    await this.deps.state.write(GRAPH_AUDIT_STATE_JOB, GRAPH_AUDIT_STATE_KEY, state);
  }
}

interface Run {
  result: AuditCollectResult;
  /** False only before the first status request of an open query carried over from an earlier run. */
  waitBeforeGet: boolean;
  replaced?: boolean;
}

function isFailure(value: unknown): value is Failure {
  return value instanceof FailureBox;
}

/** Marks a failure apart from any JSON Graph may answer. */
class FailureBox implements Failure {
  constructor(
    readonly kind: Failure['kind'],
    readonly message: string,
    readonly permissionGap?: PermissionGap,
  ) {}
}

function toFailure(error: unknown): Failure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    statusCode?: unknown;
    code?: unknown;
    message?: unknown;
    body?: unknown;
  };
  const status = typeof e.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
  const code = typeof e.code === 'string' && e.code !== '' ? ` ${e.code}` : '';
  const detail = typeof e.message === 'string' && e.message !== '' ? `: ${e.message.slice(0, 200)}` : '';
  // The status sits in error.message, itself a JSON text inside an UnknownError (docs/wire-contract.md).
  const said = `${typeof e.message === 'string' ? e.message : ''} ${JSON.stringify(e.body ?? '')}`;
  if (/AuditingDisabledTenant/.test(said)) return new FailureBox('auditing-off', AUDITING_OFF);
  if (status === 429) return new FailureBox('throttled', `Graph answered 429${code} after its retries`);
  if (status === 404) return new FailureBox('gone', `Graph answered 404${code}`);
  if (status === 401 || status === 403) {
    const entra = status === 401 ? entraErrorDescription(challengeOf(error)) : undefined;
    // A 403 took a valid token: the consent is there, without the audit log's permission. A 401 refused
    // the token: Entra's code in the challenge says why, else the consent is what is missing.
    const gap: PermissionGap =
      status === 403 ? 'audit-log-permission' : (permissionGap(new Error(entra ?? '')) ?? 'consent');
    return new FailureBox(
      'failed',
      `Graph answered ${status}${code}${entra ? `; Entra ID says: ${entra}` : ''}: the app most likely lacks ` +
        'the AuditLogsQuery.Read.All application permission',
      gap,
    );
  }
  // A token refused by Entra (consent withdrawn, a credential it does not take) before Graph was asked.
  const gap = permissionGap(error);
  if (status !== undefined) return new FailureBox('failed', `Graph answered ${status}${code}${detail}`, gap);
  return new FailureBox('failed', `Graph request failed${code}${detail}`, gap);
}

function isState(value: unknown): value is GraphAuditQueryState {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<GraphAuditQueryState>;
  const isWindow = (w: unknown) =>
    typeof w === 'object' &&
    w !== null &&
    typeof (w as Window).start === 'string' &&
    typeof (w as Window).end === 'string';
  return (
    s.version === 1 &&
    Array.isArray(s.pending) &&
    s.pending.every(isWindow) &&
    (s.open === undefined ||
      (isWindow(s.open) && typeof s.open.id === 'string' && typeof s.open.createdAt === 'string')) &&
    (s.coveredUntil === undefined || typeof s.coveredUntil === 'string') &&
    (s.auditingOff === undefined ||
      (typeof s.auditingOff === 'object' &&
        s.auditingOff !== null &&
        typeof s.auditingOff.since === 'string' &&
        typeof s.auditingOff.triedAt === 'string'))
  );
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** Pages of one query's records read before giving up: 1,000,000 records per query at the page size, and more. */
export const MAX_AUDIT_PAGES_PER_QUERY = Math.ceil(1_000_000 / PAGE_SIZE) + 10;

/** Microsoft Graph's own hosts (global and national clouds): their nextLinks are rebased, not refused. */
const PUBLIC_GRAPH_HOSTS = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
]);

function originOf(link: unknown): string {
  try {
    return new URL(String(link)).origin;
  } catch {
    return 'unparsable';
  }
}
