/**
 * The scenario API: what a test, a person or another process uses to shape the simulated tenant (add
 * quarantined messages, release them, move the clock, withhold permissions, inject faults) and to read
 * what the app did (requests, emails). In process as `simulator.scenario`, and as https JSON on the
 * scenario port, without auth (loopback only):
 *
 *   GET    /                        the simulator's URLs, tenant, client id, and this list
 *   GET    /messages                visible quarantine rows (Exchange's shape)
 *   POST   /messages                addMessage {sender, recipients, subject?, type?, policyType?, policyName?,
 *                                   direction?, receivedAt?, expiresAt?, networkMessageId?, size?,
 *                                   internetMessageId?} -> 201 {networkMessageId, identities}
 *   POST   /messages/raw            addRawRow (a row verbatim) -> 201
 *   DELETE /messages/{nmid}         deleteMessage -> {deleted}
 *   DELETE /messages                clearQuarantine
 *   POST   /releases                release {networkMessageId, recipients?, by? (UPN, 'system', or 'admin-api'
 *                                   for an app through the admin API), at?, requestSource?, app? ({id, name?}:
 *                                   the calling app an 'admin-api' release's records name)} -> 201 {records}
 *   GET    /audit-records           every audit record with its event and visibility times
 *   POST   /audit-records           addRawAuditRecord {record, visibleAt?} -> 201
 *   POST   /audit-latency           setAuditLatency {ms}
 *   GET    /audit-queries           auditQueries()
 *   DELETE /audit-queries           forgetAuditQueries (the creation quotas they count towards too)
 *   POST   /audit-queries/config    configureAuditQueries {notStartedMs?, runningMs?, failNext?, hang?,
 *                                   recordLimit?, v1NotFound?, auditingDisabled?, nextLinkOrigin? ("" restores
 *                                   Graph's)}
 *   GET    /clock                   {now}
 *   POST   /clock/advance           advanceClock {ms} -> {now}
 *   GET    /permissions             the app's permissions
 *   POST   /permissions             setPermissions {exchangeManageAsApp?, securityReader?, auditLogsQuery?,
 *                                   domainRead?, mailSend?}
 *   GET    /directory               service principals, app role assignments and directory role assignments
 *   POST   /directory/admin-rights  setAdminRights {appRoles?, directoryRoles?} (the administrator's rights)
 *   GET    /accepted-domains        the tenant's domains
 *   POST   /accepted-domains        setAcceptedDomains {domains: [name | {domainName, domainType?, default?,
 *                                   initial?, matchSubDomains?}]}
 *   GET    /faults                  armed faults
 *   POST   /faults                  injectFault (a FaultSpec) -> 201
 *   DELETE /faults                  clearFaults
 *   GET    /requests?service=       requests(service?)
 *   DELETE /requests                clearRequests
 *   GET    /emails                  emails() (the outbox)
 *   DELETE /emails                  clearEmails
 *   POST   /acs/limits              acs.setLimits {perMinute?, perHour?}
 *   POST   /acs/senders             acs.setSenderAddresses {addresses}
 *   POST   /acs/fail                acs.failNext {status, count?}
 *   POST   /acs/lose-answers        acs.loseNextAnswers {count?}
 *   POST   /acs/operation-location  acs.setOperationLocationOrigin {origin?}
 *   GET    /acs/operations          acs.operations()
 *   POST   /acs/reset               acs.reset()
 *   GET    /exchange/quirks         exchangeQuirks()
 *   POST   /exchange/quirks         setExchangeQuirks {serverPageSize? (0 clears), honourPrefer?,
 *                                   cutPagesAt? (0 clears), refuseNextLinks?, emptyValue? (list|null|absent),
 *                                   continuationLifetimeMs?, expireNextContinuations?, listHidesReleaseFields?}
 *   GET    /graph/quirks            graphQuirks()
 *   POST   /graph/quirks            setGraphQuirks {batchRefused?}
 *   POST   /acs/quirks              acs.setQuirks {failAfterAccept? (none|generic|suppressed),
 *                                   failAfterAcceptRate?, reusedIdAnswersEarlier?}
 *
 * Errors answer 400 {"error":{"code":"BadRequest","message":…}}.
 */
import type { Clock } from '../core/clock';
import type { AcsQuirks, AcsScenario } from './acs';
import type { AuditQueryConfig, GraphAuditRecord } from './audit';
import type {
  CapturedEmail,
  FaultSpec,
  LoggedRequest,
  Outbox,
  Route,
  ServiceName,
  SimRequest,
  SimResponse,
} from './contract';
import type { NewMessage, QuarantineRow } from './quarantine';
import type { FaultBook, RequestLog } from './server';
import type { AdminRights, AppRoleAssignment, RoleAssignment, ServicePrincipal } from './directory';
import type { AcceptedDomain, ExchangeQuirks, GraphQuirks, Permissions, ReleaseInput, Tenant } from './state';

export interface AuditQuerySummary {
  id: string;
  displayName: unknown;
  filterStartDateTime: unknown;
  filterEndDateTime: unknown;
  status: string;
  createdAt: string;
  recordCount?: number;
  isRecordCountLimitExceeded?: boolean;
}

export interface ScenarioApi {
  addMessage(message: NewMessage): { networkMessageId: string; identities: string[] };
  addRawRow(row: QuarantineRow): void;
  addRawAuditRecord(record: GraphAuditRecord, visibleAt?: Date | string): void;
  release(input: ReleaseInput): GraphAuditRecord[];
  /** Deletes every row of a message; returns how many rows were deleted. */
  deleteMessage(networkMessageId: string): number;
  /** Removes every quarantine row (a clean slate between tests). */
  clearQuarantine(): void;
  /** Visible quarantine rows, as Get-QuarantineMessage would list them without filters. */
  messages(): QuarantineRow[];
  auditRecords(): { record: GraphAuditRecord; eventTime: string; visibleAt: string }[];
  now(): Date;
  /** Moves the clock forward; only for clocks with `advance` (ManualClock, OffsetClock). */
  advanceClock(ms: number): Date;
  setAuditLatency(ms: number): void;
  configureAuditQueries(patch: Partial<AuditQueryConfig>): AuditQueryConfig;
  auditQueries(): AuditQuerySummary[];
  /** Forgets the audit queries asked for (their creation quotas too), as a tenant a day later would. */
  forgetAuditQueries(): void;
  setPermissions(patch: Partial<Permissions>): Permissions;
  permissions(): Permissions;
  /** What the directory holds (service principals, app role and directory role assignments). */
  directory(): {
    servicePrincipals: ServicePrincipal[];
    appRoleAssignments: AppRoleAssignment[];
    roleAssignments: RoleAssignment[];
    adminRights: AdminRights;
  };
  /** What the administrator running `qrn permissions` may do (default: both). */
  setAdminRights(patch: Partial<AdminRights>): AdminRights;
  setAcceptedDomains(domains: (string | AcceptedDomain)[]): void;
  acceptedDomains(): AcceptedDomain[];
  injectFault(spec: FaultSpec): void;
  clearFaults(): void;
  faults(): (FaultSpec & { remaining: number })[];
  requests(service?: ServiceName): LoggedRequest[];
  clearRequests(): void;
  emails(): CapturedEmail[];
  clearEmails(): void;
  acs: AcsScenario;
  /** The Exchange admin API's inconvenient behaviours, each a switch (see ExchangeQuirks). */
  setExchangeQuirks(patch: Partial<ExchangeQuirks>): ExchangeQuirks;
  /** Graph's inconvenient behaviours (see GraphQuirks). */
  setGraphQuirks(patch: Partial<GraphQuirks>): GraphQuirks;
  graphQuirks(): GraphQuirks;
  exchangeQuirks(): ExchangeQuirks;
}

export interface ScenarioDeps {
  clock: Clock;
  tenant: Tenant;
  log: RequestLog;
  faults: FaultBook;
  outbox: Outbox;
  acs: AcsScenario;
}

const FAULT_SERVICES = ['login', 'exchange', 'graph', 'acs'];
const FAULT_KINDS = [
  'throttle',
  'unavailable',
  'gateway-timeout',
  'server-error',
  'timeout',
  'reset',
  'concurrency',
  'transient',
  'missing-role',
  'unauthorized',
];

export function createScenarioApi(deps: ScenarioDeps): ScenarioApi {
  const { clock, tenant, log, faults, outbox } = deps;
  const nowMs = () => clock.now().getTime();
  return {
    addMessage: (message) => tenant.addMessage(message),
    addRawRow: (row) => tenant.addRawRow(row),
    addRawAuditRecord: (record, visibleAt) => tenant.addRawAuditRecord(record, visibleAt),
    release: (input) => tenant.release(input),
    deleteMessage: (id) => tenant.deleteMessage(id),
    clearQuarantine: () => tenant.clearQuarantine(),
    messages: () => tenant.visibleRows().map((r) => structuredClone(r.row)),
    auditRecords: () =>
      tenant.auditRecords().map((r) => ({
        record: structuredClone(r.record),
        eventTime: new Date(r.eventMs).toISOString(),
        visibleAt: new Date(r.visibleMs).toISOString(),
      })),
    now: () => clock.now(),
    advanceClock(ms) {
      const advance = (clock as Clock & { advance?: (ms: number) => Date }).advance;
      if (typeof advance !== 'function') throw new Error('this clock cannot be advanced');
      if (!Number.isFinite(ms) || ms < 0) throw new Error('ms must be a non-negative number');
      return advance.call(clock, ms);
    },
    setAuditLatency(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error('ms must be a non-negative number');
      tenant.auditLatencyMs = ms;
    },
    configureAuditQueries: (patch) => tenant.queries.configure(pickDefined(patch)),
    forgetAuditQueries: () => tenant.queries.forget(),
    auditQueries: () =>
      tenant.queries.list().map((q) => {
        const status = tenant.queries.status(q, nowMs());
        const results = tenant.queries.results(q, nowMs());
        return {
          id: q.id,
          displayName: q.definition.displayName,
          filterStartDateTime: q.definition.filterStartDateTime,
          filterEndDateTime: q.definition.filterEndDateTime,
          status,
          createdAt: new Date(q.createdMs).toISOString(),
          ...(results
            ? { recordCount: results.records.length, isRecordCountLimitExceeded: results.limitExceeded }
            : {}),
        };
      }),
    setPermissions(patch) {
      tenant.permissions = { ...tenant.permissions, ...pickDefined(patch) };
      return { ...tenant.permissions };
    },
    permissions: () => ({ ...tenant.permissions }),
    directory: () =>
      structuredClone({
        servicePrincipals: tenant.directory.servicePrincipals,
        appRoleAssignments: tenant.directory.appRoleAssignments,
        roleAssignments: tenant.directory.roleAssignments,
        adminRights: tenant.directory.adminRights,
      }),
    setAdminRights(patch) {
      tenant.directory.adminRights = { ...tenant.directory.adminRights, ...pickDefined(patch) };
      return { ...tenant.directory.adminRights };
    },
    setAcceptedDomains: (domains) => tenant.setAcceptedDomains(domains),
    acceptedDomains: () => tenant.acceptedDomains.map((d) => ({ ...d })),
    injectFault(spec) {
      if (!FAULT_SERVICES.includes(spec?.service))
        throw new Error(`fault service must be one of ${FAULT_SERVICES.join(', ')}`);
      if (!FAULT_KINDS.includes(spec.kind))
        throw new Error(`fault kind must be one of ${FAULT_KINDS.join(', ')}`);
      faults.inject(spec);
    },
    clearFaults: () => faults.clear(),
    faults: () => faults.pending(),
    requests: (service) => log.list(service),
    clearRequests: () => log.clear(),
    emails: () => outbox.list(),
    clearEmails: () => outbox.clear(),
    acs: deps.acs,
    setExchangeQuirks(patch) {
      const next = { ...tenant.exchangeQuirks, ...pickDefined(patch) };
      for (const name of ['serverPageSize', 'cutPagesAt'] as const) {
        const size = next[name];
        if (size !== undefined && !(Number.isInteger(size) && size >= 0))
          throw new Error(`${name} must be a whole number (0 or absent: no server paging)`);
        if (size === 0) delete next[name];
      }
      if (!['list', 'null', 'absent'].includes(next.emptyValue))
        throw new Error('emptyValue must be list, null or absent');
      tenant.exchangeQuirks = next;
      return { ...next };
    },
    exchangeQuirks: () => ({ ...tenant.exchangeQuirks }),
    setGraphQuirks(patch) {
      const next = { ...tenant.graphQuirks, ...pickDefined(patch) };
      if (typeof next.batchRefused !== 'boolean') throw new Error('batchRefused must be true or false');
      tenant.graphQuirks = next;
      return { ...next };
    },
    graphQuirks: () => ({ ...tenant.graphQuirks }),
  };
}

function pickDefined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------- the https mirror

export function createScenarioRoutes(api: ScenarioApi, info: () => Record<string, unknown>): Route[] {
  const json = (req: SimRequest): Record<string, unknown> => {
    if (req.body.length === 0) return {};
    const parsed: unknown = JSON.parse(req.body.toString('utf8'));
    if (!parsed || typeof parsed !== 'object') throw new Error('the body must be a JSON object');
    return parsed as Record<string, unknown>;
  };
  const ok = (body: unknown, status = 200): SimResponse => ({ status, body: body ?? {} });
  const route = (
    method: string,
    path: RegExp,
    handle: (req: SimRequest, params: Record<string, string>) => SimResponse,
  ): Route => ({
    method,
    path,
    auth: 'none',
    handle(req, params) {
      try {
        return handle(req, params);
      } catch (error) {
        return {
          status: 400,
          body: {
            error: { code: 'BadRequest', message: error instanceof Error ? error.message : String(error) },
          },
        };
      }
    },
  });
  const num = (body: Record<string, unknown>, name: string) => {
    const v = Number(body[name]);
    if (!Number.isFinite(v)) throw new Error(`${name} must be a number`);
    return v;
  };

  return [
    route('GET', /^\/$/, () => ok(info())),
    route('GET', /^\/messages$/, () => ok({ value: api.messages() })),
    route('POST', /^\/messages$/, (req) => ok(api.addMessage(json(req) as unknown as NewMessage), 201)),
    route('POST', /^\/messages\/raw$/, (req) => {
      api.addRawRow(json(req));
      return ok({}, 201);
    }),
    route('DELETE', /^\/messages\/(?<id>[^/]+)$/, (_req, p) => ok({ deleted: api.deleteMessage(p.id) })),
    route('DELETE', /^\/messages$/, () => {
      api.clearQuarantine();
      return ok({});
    }),
    route('POST', /^\/releases$/, (req) =>
      ok({ records: api.release(json(req) as unknown as ReleaseInput) }, 201),
    ),
    route('GET', /^\/audit-records$/, () => ok({ value: api.auditRecords() })),
    route('POST', /^\/audit-records$/, (req) => {
      const body = json(req);
      if (!body.record || typeof body.record !== 'object') throw new Error('record is required');
      api.addRawAuditRecord(body.record as GraphAuditRecord, body.visibleAt as string | undefined);
      return ok({}, 201);
    }),
    route('POST', /^\/audit-latency$/, (req) => {
      api.setAuditLatency(num(json(req), 'ms'));
      return ok({});
    }),
    route('GET', /^\/audit-queries$/, () => ok({ value: api.auditQueries() })),
    route('DELETE', /^\/audit-queries$/, () => (api.forgetAuditQueries(), ok({}))),
    route('POST', /^\/audit-queries\/config$/, (req) => ok(api.configureAuditQueries(json(req)))),
    route('GET', /^\/clock$/, () => ok({ now: api.now().toISOString() })),
    route('POST', /^\/clock\/advance$/, (req) =>
      ok({ now: api.advanceClock(num(json(req), 'ms')).toISOString() }),
    ),
    route('GET', /^\/permissions$/, () => ok(api.permissions())),
    route('POST', /^\/permissions$/, (req) => ok(api.setPermissions(json(req)))),
    route('GET', /^\/directory$/, () => ok(api.directory())),
    route('POST', /^\/directory\/admin-rights$/, (req) => ok(api.setAdminRights(json(req)))),
    route('GET', /^\/accepted-domains$/, () => ok({ value: api.acceptedDomains() })),
    route('POST', /^\/accepted-domains$/, (req) => {
      const body = json(req);
      if (!Array.isArray(body.domains)) throw new Error('domains must be an array');
      api.setAcceptedDomains(body.domains as (string | AcceptedDomain)[]);
      return ok({ value: api.acceptedDomains() });
    }),
    route('GET', /^\/faults$/, () => ok({ value: api.faults() })),
    route('POST', /^\/faults$/, (req) => {
      api.injectFault(json(req) as unknown as FaultSpec);
      return ok({ value: api.faults() }, 201);
    }),
    route('DELETE', /^\/faults$/, () => {
      api.clearFaults();
      return ok({});
    }),
    route('GET', /^\/requests$/, (req) =>
      ok({ value: api.requests((req.url.searchParams.get('service') as ServiceName | null) ?? undefined) }),
    ),
    route('DELETE', /^\/requests$/, () => {
      api.clearRequests();
      return ok({});
    }),
    route('GET', /^\/emails$/, () => ok({ value: api.emails() })),
    route('DELETE', /^\/emails$/, () => {
      api.clearEmails();
      return ok({});
    }),
    route('POST', /^\/acs\/limits$/, (req) => {
      const body = json(req);
      api.acs.setLimits({
        perMinute: body.perMinute === undefined ? undefined : num(body, 'perMinute'),
        perHour: body.perHour === undefined ? undefined : num(body, 'perHour'),
      });
      return ok({});
    }),
    route('POST', /^\/acs\/senders$/, (req) => {
      const body = json(req);
      if (!Array.isArray(body.addresses)) throw new Error('addresses must be an array');
      api.acs.setSenderAddresses(body.addresses.map(String));
      return ok({});
    }),
    route('POST', /^\/acs\/fail$/, (req) => {
      const body = json(req);
      api.acs.failNext(num(body, 'status'), body.count === undefined ? undefined : num(body, 'count'));
      return ok({});
    }),
    route('POST', /^\/acs\/lose-answers$/, (req) => {
      const body = json(req);
      api.acs.loseNextAnswers(body.count === undefined ? undefined : num(body, 'count'));
      return ok({});
    }),
    route('POST', /^\/acs\/operation-location$/, (req) => {
      const body = json(req);
      api.acs.setOperationLocationOrigin(typeof body.origin === 'string' ? body.origin : undefined);
      return ok({});
    }),
    route('GET', /^\/acs\/operations$/, () => ok({ value: api.acs.operations() })),
    route('GET', /^\/exchange\/quirks$/, () => ok(api.exchangeQuirks())),
    route('POST', /^\/exchange\/quirks$/, (req) =>
      ok(api.setExchangeQuirks(json(req) as Partial<ExchangeQuirks>)),
    ),
    route('GET', /^\/graph\/quirks$/, () => ok(api.graphQuirks())),
    route('POST', /^\/graph\/quirks$/, (req) => ok(api.setGraphQuirks(json(req) as Partial<GraphQuirks>))),
    route('POST', /^\/acs\/quirks$/, (req) => ok(api.acs.setQuirks(json(req) as Partial<AcsQuirks>))),
    route('POST', /^\/acs\/reset$/, () => {
      api.acs.reset();
      return ok({});
    }),
  ];
}
