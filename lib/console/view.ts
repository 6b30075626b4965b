import { Cron } from 'croner';
import { DAY } from '../core/clock';
import type { TenantRecord, TenantStatus } from '../fleet/tenants-store';
import { judgeJob } from '../health/health';
import type { NotificationRecord, NotificationsStore } from '../store/notifications-store';
import type { ReleaseRow, ReleasesStore, ReleaseStatus } from '../store/releases-store';
import { apiNaming, parseReportFilters, ReportUsageError } from '../report/filters';
import { senderMatches, toReportLine, type ReportLine } from '../report/report';

/**
 * What the console shows, read from the releases and notifications tables: the period's releases filtered
 * and sorted by the server and handed out a page at a time, the tiles and the chart counted over the same
 * rows (so the tiles always agree with the table), and one message's history.
 *
 * The releases table is partitioned by message, so a period is read with one query filtered by the table
 * itself on release time (and status, when chosen); the other filters are applied as rows stream in, and
 * only the columns the console shows are kept.
 */

export class ConsoleUsageError extends Error {
  override readonly name = 'ConsoleUsageError';
  /** The query parameter the problem is about, when it is about one. */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const DEFAULT_PERIOD_DAYS = 30;
export const MAX_PERIOD_DAYS = 180;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export const SORT_KEYS = [
  'releasedAt',
  'receivedAt',
  'notifiedAt',
  'subject',
  'sender',
  'releasedTo',
  'releasedBy',
  'policy',
  'status',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface ConsoleFilter {
  periodDays: number;
  /** An address (exact) or a domain, as in `qrn report --sender`. */
  sender?: string;
  /** Who released (exact, case-insensitive). */
  releasedBy?: string;
  /** Part of the policy's name or type (case-insensitive). */
  policy?: string;
  status?: ReleaseStatus;
}

export interface ConsoleQuery extends ConsoleFilter {
  sort: SortKey;
  direction: 'asc' | 'desc';
  pageSize: number;
  /** Opaque, from the previous page. */
  continuation?: string;
}

/** One row of the console's table: the report's columns and what the table adds. */
export interface ConsoleRow extends ReportLine {
  receivedAt: string;
  expiresAt: string;
  sources: string[];
  policyType: string;
}

function text(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name)?.trim();
  if (value === undefined || value === '') return undefined;
  if (value.length > 320) throw new ConsoleUsageError(`${name} is longer than 320 characters.`);
  return value;
}

function integer(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const value = text(params, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConsoleUsageError(`${name} "${value}" is not a whole number from ${min} to ${max}.`);
  }
  return Number(value);
}

function reportFilters(input: { status?: string; sender?: string }) {
  try {
    // Neither field depends on the time.
    return parseReportFilters(input, new Date(0));
  } catch (error) {
    if (error instanceof ReportUsageError)
      throw new ConsoleUsageError(error.wordedFor(apiNaming), error.field);
    throw error;
  }
}

export function parseConsoleQuery(params: URLSearchParams): ConsoleQuery {
  const query: ConsoleQuery = {
    periodDays: integer(params, 'period', DEFAULT_PERIOD_DAYS, 1, MAX_PERIOD_DAYS),
    sort: 'releasedAt',
    direction: 'desc',
    pageSize: integer(params, 'pageSize', DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
  };
  // Status and sender are the report's filters: read by its schema, worded as the API words them.
  const shared = reportFilters({ status: text(params, 'status'), sender: text(params, 'sender') });
  if (shared.sender) query.sender = shared.sender;
  const releasedBy = text(params, 'releasedBy');
  if (releasedBy) query.releasedBy = releasedBy;
  const policy = text(params, 'policy');
  if (policy) query.policy = policy;
  if (shared.status) query.status = shared.status;
  const sort = text(params, 'sort');
  if (sort) {
    if (!(SORT_KEYS as readonly string[]).includes(sort)) {
      throw new ConsoleUsageError(`sort "${sort}" is not one of ${SORT_KEYS.join(', ')}.`);
    }
    query.sort = sort as SortKey;
  }
  const direction = text(params, 'direction');
  if (direction) {
    if (direction !== 'asc' && direction !== 'desc') {
      throw new ConsoleUsageError(`direction "${direction}" is not asc or desc.`);
    }
    query.direction = direction;
  }
  query.continuation = text(params, 'continuation');
  return query;
}

export function toConsoleRow(row: ReleaseRow): ConsoleRow {
  return {
    ...toReportLine(row),
    receivedAt: row.receivedAt ?? '',
    expiresAt: row.expiresAt ?? '',
    sources: row.sources ?? [],
    policyType: row.policyType ?? '',
  };
}

function matches(row: ConsoleRow, filter: ConsoleFilter): boolean {
  if (filter.sender && !senderMatches(row.sender, filter.sender)) return false;
  if (filter.releasedBy && row.releasedBy.toLowerCase() !== filter.releasedBy.toLowerCase()) return false;
  if (filter.policy && !row.policy.toLowerCase().includes(filter.policy.toLowerCase())) return false;
  return true;
}

export function periodOf(filter: Pick<ConsoleFilter, 'periodDays'>, now: Date): { since: Date; until: Date } {
  return { since: new Date(now.getTime() - filter.periodDays * DAY), until: now };
}

/** The columns a scan of the period reads to filter and count; sorting may add one. */
const FILTER_COLUMNS: readonly (keyof ReleaseRow)[] = [
  'networkMessageId',
  'releasedTo',
  'releasedAt',
  'status',
  'reason',
  'sender',
  'releasedBy',
  'releasedByRaw',
  'isSystemRelease',
  'policyName',
  'policyType',
];
const SORT_COLUMNS: Partial<Record<SortKey, keyof ReleaseRow>> = {
  receivedAt: 'receivedAt',
  notifiedAt: 'notifiedAt',
  subject: 'subject',
};

type Order = Pick<ConsoleQuery, 'sort' | 'direction'>;
const NEWEST_FIRST: Order = { sort: 'releasedAt', direction: 'desc' };

function sortRows(rows: ConsoleRow[], order: Order): ConsoleRow[] {
  const sign = order.direction === 'asc' ? 1 : -1;
  const key = order.sort;
  return rows.sort((a, b) => {
    const x = String(a[key]).toLowerCase();
    const y = String(b[key]).toLowerCase();
    if (x !== y) return x < y ? -sign : sign;
    const tieA = `${a.networkMessageId}|${a.releasedTo}`;
    const tieB = `${b.networkMessageId}|${b.releasedTo}`;
    return tieA < tieB ? -1 : tieA > tieB ? 1 : 0;
  });
}

/** The period's whole rows that pass the filter, in the order asked for (the CSV). */
export async function filteredRows(
  releases: Pick<ReleasesStore, 'list'>,
  filter: ConsoleFilter,
  now: Date,
  order: Order = NEWEST_FIRST,
): Promise<ConsoleRow[]> {
  const { since } = periodOf(filter, now);
  const rows: ConsoleRow[] = [];
  // Up to now included: a release recorded a moment ago belongs to the period.
  for await (const release of releases.list({ status: filter.status, since })) {
    const row = toConsoleRow(release);
    if (matches(row, filter)) rows.push(row);
  }
  return sortRows(rows, order);
}

/** The same rows with only the columns that filter, count and sort them (the tiles, the table's order). */
export async function scannedRows(
  releases: Pick<ReleasesStore, 'listColumns'>,
  filter: ConsoleFilter,
  now: Date,
  order: Order = NEWEST_FIRST,
): Promise<ConsoleRow[]> {
  const { since } = periodOf(filter, now);
  const sortColumn = SORT_COLUMNS[order.sort];
  const columns = sortColumn ? [...FILTER_COLUMNS, sortColumn] : FILTER_COLUMNS;
  const rows: ConsoleRow[] = [];
  for await (const release of releases.listColumns({ status: filter.status, since }, columns)) {
    const row = toConsoleRow(release as ReleaseRow);
    if (matches(row, filter)) rows.push(row);
  }
  return sortRows(rows, order);
}

function readOffset(continuation: string | undefined): number {
  if (continuation === undefined) return 0;
  const offset = /^o(\d{1,9})$/.exec(continuation);
  if (!offset) throw new ConsoleUsageError('continuation is not one this console handed out.');
  return Number(offset[1]);
}

export interface ReleasesPage {
  rows: ConsoleRow[];
  /** How many rows pass the filter in the period. */
  total: number;
  /** Pass back for the next page; null on the last one. */
  continuation: string | null;
}

/**
 * One page of the table: the period is scanned for the few columns that filter and order it, and only the
 * page's rows are then read whole (point reads, side by side).
 */
export async function releasesPage(
  releases: Pick<ReleasesStore, 'listColumns' | 'get'>,
  query: ConsoleQuery,
  now: Date,
): Promise<ReleasesPage> {
  const offset = readOffset(query.continuation);
  const rows = await scannedRows(releases, query, now, query);
  const next = offset + query.pageSize;
  const page = await Promise.all(
    rows.slice(offset, next).map(async (row) => {
      const whole = await releases.get(row.networkMessageId, row.releasedTo);
      // Purged since the scan: show what the scan read.
      return whole ? toConsoleRow(whole) : row;
    }),
  );
  return { rows: page, total: rows.length, continuation: next < rows.length ? `o${next}` : null };
}

export interface ConsoleSummary {
  period: { since: string; until: string; days: number };
  tiles: {
    releases: number;
    /** Distinct senders emailed about a release of the period. */
    sendersTold: number;
    notified: number;
    waiting: number;
    /** When the notify job runs next (UTC), from its schedule. */
    nextNotifyRun: string | null;
    skipped: number;
    skippedByReason: { reason: string; count: number }[];
    unmatched: number;
    failed: number;
  };
  /** Releases per day (UTC) of the period, by status. */
  perDay: ({ day: string } & Record<ReleaseStatus, number>)[];
}

export function nextRun(schedule: string, now: Date): string | null {
  try {
    return new Cron(schedule, { timezone: 'UTC', paused: true }).nextRun(now)?.toISOString() ?? null;
  } catch {
    return null;
  }
}

export function summarize(
  rows: readonly ConsoleRow[],
  filter: ConsoleFilter,
  now: Date,
  notifySchedule: string,
): ConsoleSummary {
  const { since, until } = periodOf(filter, now);
  const count = (status: ReleaseStatus) => rows.filter((r) => r.status === status).length;
  const senders = new Set(rows.filter((r) => r.status === 'notified').map((r) => r.sender.toLowerCase()));
  const reasons = new Map<string, number>();
  for (const row of rows.filter((r) => r.status === 'skipped')) {
    reasons.set(row.reason, (reasons.get(row.reason) ?? 0) + 1);
  }
  const days = new Map<string, Record<ReleaseStatus, number>>();
  for (let t = since.getTime(); t <= until.getTime(); t += DAY) {
    days.set(new Date(t).toISOString().slice(0, 10), zeroes());
  }
  days.set(until.toISOString().slice(0, 10), days.get(until.toISOString().slice(0, 10)) ?? zeroes());
  for (const row of rows) {
    const day = row.releasedAt.slice(0, 10);
    const counts = days.get(day);
    if (counts) counts[row.status]++;
  }
  return {
    period: { since: since.toISOString(), until: until.toISOString(), days: filter.periodDays },
    tiles: {
      releases: rows.length,
      sendersTold: senders.size,
      notified: count('notified'),
      waiting: count('pending'),
      nextNotifyRun: nextRun(notifySchedule, now),
      skipped: count('skipped'),
      skippedByReason: [...reasons]
        .map(([reason, n]) => ({ reason, count: n }))
        .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
      unmatched: count('unmatched'),
      failed: count('failed'),
    },
    perDay: [...days].map(([day, counts]) => ({ day, ...counts })),
  };
}

function zeroes(): Record<ReleaseStatus, number> {
  return { pending: 0, notified: 0, skipped: 0, unmatched: 0, failed: 0 };
}

export interface MessageHistory {
  networkMessageId: string;
  releases: (ConsoleRow & {
    auditRecordIds: string[];
    firstSeenAt: string;
    updatedAt: string;
    sendAttempts: number;
    notificationId: string;
  })[];
  notifications: Omit<NotificationRecord, 'etag'>[];
}

/** Every release record of one message, and every notification about it with its delivery state. */
export async function messageHistory(
  releases: Pick<ReleasesStore, 'listForMessage'>,
  notifications: Pick<NotificationsStore, 'get'>,
  networkMessageId: string,
): Promise<MessageHistory> {
  const rows = await releases.listForMessage(networkMessageId);
  const seen = new Set<string>();
  const told: Omit<NotificationRecord, 'etag'>[] = [];
  for (const row of rows) {
    if (!row.notificationId || !row.sender || seen.has(row.notificationId)) continue;
    seen.add(row.notificationId);
    const record = await notifications.get(row.sender, row.notificationId);
    if (record) {
      const { etag: _etag, ...rest } = record;
      told.push(rest);
    }
  }
  return {
    networkMessageId,
    releases: rows
      .map((row) => ({
        ...toConsoleRow(row),
        auditRecordIds: row.auditRecordIds ?? [],
        firstSeenAt: row.firstSeenAt,
        updatedAt: row.updatedAt,
        sendAttempts: row.sendAttempts ?? 0,
        notificationId: row.notificationId ?? '',
      }))
      .sort((a, b) => (a.releasedAt < b.releasedAt ? -1 : a.releasedAt > b.releasedAt ? 1 : 0)),
    notifications: told,
  };
}

/** One customer tenant on the fleet page: its health, last runs, and the period's releases and senders told. */
export interface FleetTenantView {
  tenantId: string;
  displayName: string;
  enabled: boolean;
  status: 'healthy' | 'unhealthy';
  problems: string[];
  lastRuns: { snapshot: string | null; notify: string | null };
  releases: number;
  sendersTold: number;
  failed: number;
}

/** The periods the console offers (days): the fleet page's counts are kept for each of them. */
export const FLEET_PERIOD_DAYS = [1, 7, 30, 90, 180] as const;

/** The releases, senders told and failed releases of each of the console's periods, from one scan. */
export function fleetPeriods(
  rows: readonly ConsoleRow[],
  now: Date,
  notifySchedule: string,
): TenantStatus['periods'] {
  const periods: TenantStatus['periods'] = {};
  for (const days of FLEET_PERIOD_DAYS) {
    const { since } = periodOf({ periodDays: days }, now);
    const within = rows.filter((r) => Date.parse(r.releasedAt) >= since.getTime());
    const { tiles } = summarize(within, { periodDays: days }, now, notifySchedule);
    periods[days] = { releases: tiles.releases, sendersTold: tiles.sendersTold, failed: tiles.failed };
  }
  return periods;
}

/**
 * One tenant on the fleet page, from its row alone: the status its last run kept, the jobs' ages judged
 * now against the tenant's own alert threshold (so a tenant whose runs stopped turns unhealthy), and the
 * asked period's counts.
 */
export function fleetTenantView(
  record: TenantRecord,
  settings: { noSuccessMinutes: number } | { invalid: string },
  now: Date,
  periodDays: number,
): FleetTenantView {
  const status = record.status;
  const problems: string[] = [];
  if ('invalid' in settings) problems.push(settings.invalid);
  else {
    for (const job of ['snapshot', 'notify'] as const) {
      const judged = judgeJob(job, status?.lastRuns[job] ?? null, now, settings.noSuccessMinutes);
      if (judged.problem) problems.push(judged.problem);
    }
  }
  problems.push(...(status?.problems ?? []));
  const counts = status?.periods[periodDays] ?? { releases: 0, sendersTold: 0, failed: 0 };
  return {
    tenantId: record.tenantId,
    displayName: record.displayName,
    enabled: record.enabled,
    status: problems.length === 0 ? 'healthy' : 'unhealthy',
    problems,
    lastRuns: status?.lastRuns ?? { snapshot: null, notify: null },
    ...counts,
  };
}

/** Failures first: tenants in trouble, then the others, disabled ones last; most failed releases first. */
export function failuresFirst(a: FleetTenantView, b: FleetTenantView): number {
  const rank = (t: FleetTenantView) => (!t.enabled ? 2 : t.status === 'unhealthy' || t.failed > 0 ? 0 : 1);
  return (
    rank(a) - rank(b) ||
    b.failed - a.failed ||
    a.displayName.localeCompare(b.displayName) ||
    a.tenantId.localeCompare(b.tenantId)
  );
}
