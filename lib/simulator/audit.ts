/**
 * The unified audit log as the Graph audit log query API shows it: records shaped like a live
 * auditLogRecord (crossed user fields, nested auditData with PascalCase enums and @odata.type side-keys),
 * each visible only after the audit latency, and asynchronous queries whose result set is fixed when they
 * succeed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DAY, MINUTE } from '../core/clock';
import { parseWireDate } from './quarantine';

export type GraphAuditRecord = Record<string, unknown>;

export interface StoredAuditRecord {
  record: GraphAuditRecord;
  /** The event time (createdDateTime), what query filters compare. */
  eventMs: number;
  /** When the record reaches the audit log (event time + latency). */
  visibleMs: number;
  seq: number;
}

/** Graph's date form for audit records: seconds, Z. */
export function formatGraphDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A stable PUID-like UserKey for an admin UPN (the real one is the user's PUID). */
export function userKeyOf(upn: string): string {
  return '1003' + createHash('sha256').update(upn.toLowerCase()).digest('hex').slice(0, 12).toUpperCase();
}

export interface ReleaseRecordInput {
  tenantId: string;
  networkMessageId: string;
  releaseTo: string;
  /** The releaser's UPN, or undefined for a system release. */
  by?: string;
  atMs: number;
  /** 0 portal, 1 cmdlet, 2 URL link (absent on system releases). */
  requestSource?: number;
  /** The application that called the admin API, as the common schema's AppAccessContext names it. */
  app?: { id: string; name?: string };
}

/**
 * One audit record of a release to one recipient (docs/wire-contract.md, Audit records;
 * test/fixtures/graph/auditlog-records.page*.json).
 */
export function buildReleaseRecord(input: ReleaseRecordInput): GraphAuditRecord {
  const id = randomUUID();
  const created = formatGraphDate(input.atMs);
  const system = input.by === undefined;
  const userKey = system ? 'Quarantine' : userKeyOf(input.by as string);
  const userId = system ? 'System release' : (input.by as string);
  const auditData: Record<string, unknown> = {
    '@odata.type': '#microsoft.graph.security.defaultAuditData',
    CreationTime: created,
    Id: id,
    Operation: 'QuarantineReleaseMessage',
    OrganizationId: input.tenantId,
    'RecordType@odata.type': '#Int64',
    RecordType: 65,
    ResultStatus: 'Successful',
    UserKey: userKey,
    'UserType@odata.type': '#Int64',
    UserType: system ? 4 : 2,
    'Version@odata.type': '#Int64',
    Version: 1,
    Workload: 'Quarantine',
    UserId: userId,
    NetworkMessageId: input.networkMessageId,
    ReleaseTo: input.releaseTo,
    'RequestType@odata.type': '#Int64',
    RequestType: 2,
  };
  if (!system) {
    auditData['RequestSource@odata.type'] = '#Int64';
    auditData.RequestSource = input.requestSource ?? 0;
  }
  if (input.app) {
    auditData.AppId = input.app.id;
    auditData.AppAccessContext = {
      ClientAppId: input.app.id,
      ...(input.app.name !== undefined ? { ClientAppName: input.app.name } : {}),
    };
  }
  return {
    id,
    createdDateTime: created,
    auditLogRecordType: 'Quarantine',
    operation: 'QuarantineReleaseMessage',
    organizationId: input.tenantId,
    userType: system ? 'System' : 'Admin',
    // Crossed relative to the classic fields: envelope userId = UserKey, userPrincipalName = UserId.
    userId: userKey,
    service: 'Quarantine',
    objectId: null,
    userPrincipalName: userId,
    clientIp: null,
    administrativeUnits: [''],
    auditData,
  };
}

/** The event time of a record as given (createdDateTime, else auditData.CreationTime), or NaN. */
export function eventTimeOf(record: GraphAuditRecord): number {
  const direct = parseWireDate(record.createdDateTime);
  if (!Number.isNaN(direct)) return direct;
  const data = record.auditData;
  if (data && typeof data === 'object') return parseWireDate((data as Record<string, unknown>).CreationTime);
  return NaN;
}

// ---------------------------------------------------------------- queries

export interface AuditQueryConfig {
  /** How long a new query stays notStarted. */
  notStartedMs: number;
  /** How long it then stays running. */
  runningMs: number;
  /** The next N queries created end as failed. */
  failNext: number;
  /** New queries stay running forever (turning it off releases queries already hung). */
  hang: boolean;
  /** Above this many matching records a query is cut and says isRecordCountLimitExceeded. */
  recordLimit: number;
  /** The tenant answers 404 to the audit API on v1.0 (only beta works). */
  v1NotFound: boolean;
  /**
   * Unified audit log ingestion is turned off: creating a query answers 400 UnknownError whose message is a
   * JSON text naming the status AuditingDisabledTenant (docs/wire-contract.md, Graph audit log queries).
   */
  auditingDisabled: boolean;
  /** Token-safety tests: @odata.nextLink names this origin (e.g. another loopback port) instead of Graph's. */
  nextLinkOrigin?: string;
}

export const DEFAULT_AUDIT_QUERY_CONFIG: AuditQueryConfig = {
  notStartedMs: MINUTE,
  runningMs: MINUTE,
  failNext: 0,
  hang: false,
  recordLimit: 1_000_000,
  v1NotFound: false,
  auditingDisabled: false,
};

export type AuditQueryStatus = 'notStarted' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface AuditQuery {
  id: string;
  /** The query as created (the fixture's fields), without status. */
  definition: Record<string, unknown>;
  createdMs: number;
  notStartedMs: number;
  runningMs: number;
  fail: boolean;
  hang: boolean;
  /** Fixed on first look after success. */
  results?: GraphAuditRecord[];
  limitExceeded?: boolean;
}

export interface AuditQueryInput {
  displayName?: unknown;
  filterStartDateTime?: unknown;
  filterEndDateTime?: unknown;
  recordTypeFilters?: unknown;
  operationFilters?: unknown;
  keywordFilter?: unknown;
  serviceFilter?: unknown;
  serviceFilters?: unknown;
  userPrincipalNameFilters?: unknown;
  ipAddressFilters?: unknown;
  objectIdFilters?: unknown;
  administrativeUnitIdFilters?: unknown;
}

const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

export type CreateResult =
  { query: AuditQuery } | { throttled: true; retryAfterSeconds: number; reason: string };

/**
 * Creation quotas (docs/wire-contract.md, Graph audit log queries): queries in quick succession get 429, and
 * ~200 per tenant per day.
 */
const PER_MINUTE = 5;
const PER_DAY = 200;

export class AuditQueryBook {
  private queries: AuditQuery[] = [];
  config: AuditQueryConfig = { ...DEFAULT_AUDIT_QUERY_CONFIG };

  constructor(private readonly records: () => StoredAuditRecord[]) {}

  configure(patch: Partial<AuditQueryConfig>): AuditQueryConfig {
    this.config = { ...this.config, ...patch };
    if (patch.hang === false) for (const q of this.queries) q.hang = false;
    return this.config;
  }

  create(input: AuditQueryInput, nowMs: number): CreateResult {
    const creations = this.queries.map((q) => q.createdMs);
    const lastMinute = creations.filter((t) => t > nowMs - MINUTE);
    if (lastMinute.length >= PER_MINUTE) {
      return {
        throttled: true,
        retryAfterSeconds: secondsUntil(Math.min(...lastMinute) + MINUTE, nowMs),
        reason: 'minute',
      };
    }
    const lastDay = creations.filter((t) => t > nowMs - DAY);
    if (lastDay.length >= PER_DAY) {
      return {
        throttled: true,
        retryAfterSeconds: secondsUntil(Math.min(...lastDay) + DAY, nowMs),
        reason: 'day',
      };
    }
    const id = randomUUID();
    const fail = this.config.failNext > 0;
    if (fail) this.config.failNext -= 1;
    const query: AuditQuery = {
      id,
      definition: {
        '@odata.type': '#microsoft.graph.security.auditLogQuery',
        id,
        displayName: typeof input.displayName === 'string' ? input.displayName : null,
        filterStartDateTime: input.filterStartDateTime ?? null,
        filterEndDateTime: input.filterEndDateTime ?? null,
        recordTypeFilters: stringList(input.recordTypeFilters),
        keywordFilter: input.keywordFilter ?? null,
        serviceFilter: input.serviceFilter ?? null,
        operationFilters: stringList(input.operationFilters),
        userPrincipalNameFilters: stringList(input.userPrincipalNameFilters),
        ipAddressFilters: stringList(input.ipAddressFilters),
        objectIdFilters: stringList(input.objectIdFilters),
        administrativeUnitIdFilters: stringList(input.administrativeUnitIdFilters),
      },
      createdMs: nowMs,
      notStartedMs: this.config.notStartedMs,
      runningMs: this.config.runningMs,
      fail,
      hang: this.config.hang,
    };
    this.queries.push(query);
    return { query };
  }

  get(id: string): AuditQuery | undefined {
    return this.queries.find((q) => q.id === id);
  }

  list(): AuditQuery[] {
    return [...this.queries];
  }

  status(query: AuditQuery, nowMs: number): AuditQueryStatus {
    const elapsed = nowMs - query.createdMs;
    if (elapsed < query.notStartedMs) return 'notStarted';
    if (query.hang || elapsed < query.notStartedMs + query.runningMs) return 'running';
    return query.fail ? 'failed' : 'succeeded';
  }

  /** The query as Graph shows it now. */
  view(query: AuditQuery, nowMs: number): Record<string, unknown> {
    const status = this.status(query, nowMs);
    const view: Record<string, unknown> = { ...query.definition, status };
    if (status === 'succeeded')
      view.isRecordCountLimitExceeded = this.results(query, nowMs)?.limitExceeded ?? false;
    return view;
  }

  /** The query's records once it succeeded (fixed then), else undefined. */
  results(
    query: AuditQuery,
    nowMs: number,
  ): { records: GraphAuditRecord[]; limitExceeded: boolean } | undefined {
    if (this.status(query, nowMs) !== 'succeeded') return undefined;
    if (!query.results) {
      // The result set is what was visible when the query finished, not when it is first read.
      const finishedMs = query.createdMs + query.notStartedMs + query.runningMs;
      const matching = this.records()
        .filter((r) => r.visibleMs <= finishedMs && matches(query.definition, r))
        .sort((a, b) => a.eventMs - b.eventMs || a.seq - b.seq)
        .map((r) => r.record);
      query.limitExceeded = matching.length > this.config.recordLimit;
      query.results = matching.slice(0, this.config.recordLimit);
    }
    return { records: query.results, limitExceeded: query.limitExceeded ?? false };
  }

  reset(): void {
    this.forget();
    this.config = { ...DEFAULT_AUDIT_QUERY_CONFIG };
  }

  /** Forgets every query asked for, and with them the creation quotas they count towards. */
  forget(): void {
    this.queries = [];
  }
}

function secondsUntil(ms: number, nowMs: number): number {
  return Math.max(1, Math.ceil((ms - nowMs) / 1000));
}

/** Filters compare case-insensitively: the filter `quarantine` matches the record type `Quarantine`. */
function matches(definition: Record<string, unknown>, stored: StoredAuditRecord): boolean {
  const start = parseWireDate(definition.filterStartDateTime);
  const end = parseWireDate(definition.filterEndDateTime);
  if (!Number.isNaN(start) && !(stored.eventMs >= start)) return false;
  if (!Number.isNaN(end) && !(stored.eventMs <= end)) return false;
  const inList = (filters: unknown, value: unknown) => {
    const list = stringList(filters).map((f) => f.toLowerCase());
    return list.length === 0 || list.includes(String(value ?? '').toLowerCase());
  };
  const r = stored.record;
  return (
    inList(definition.recordTypeFilters, r.auditLogRecordType) &&
    inList(definition.operationFilters, r.operation) &&
    inList(definition.userPrincipalNameFilters, r.userPrincipalName)
  );
}
