/**
 * What the benchmark's parent (simulator, Azurite, data) and its child processes (the app, the baselines)
 * share: the job messages, the results, and a request counter for Azure Table Storage.
 */
import { readFileSync } from 'node:fs';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TableClient } from '@azure/data-tables';
import type { Logger } from '../../lib/core/log';
import type { Simulator } from '../../lib/simulator';
import type { StoredByNotify } from './floors';

/** Table Storage requests by kind, counted at the HTTP pipeline of each TableClient. */
export interface TableCounts {
  /** Entity-group transactions ($batch). */
  transactions: number;
  /** Operations inside those transactions. */
  transactionOps: number;
  /** Single-entity writes (insert, upsert, update, delete outside a transaction). */
  singleWrites: number;
  /** Point reads (PartitionKey and RowKey given). */
  pointReads: number;
  /** Query requests, each continuation page counted. */
  queryRequests: number;
  /** Queries started (continuation pages not counted). */
  queries: number;
  /** Queries by table (continuation pages not counted). */
  queriesByTable: Record<string, number>;
  /** Write requests by table: transactions and single writes. */
  writesByTable: Record<string, number>;
  /** Queries of one partition (`PartitionKey eq …`): the per-message joins. */
  partitionQueries: number;
  /** Queries over a whole table (a property filter, e.g. status): once per run, not per message. */
  tableScans: number;
  other: number;
  total: number;
  /** Milliseconds during which at least one request was in flight: the table work's share of a run. */
  busyMs: number;
  /** When the first request started and the last one ended (`performance.now()`), for what lies outside. */
  firstAt?: number;
  lastAt?: number;
  /** When the last query of each table ended (`performance.now()`): what a run does after its lookups. */
  lastQueryEndByTable: Record<string, number>;
}

export function emptyCounts(): TableCounts {
  return {
    transactions: 0,
    transactionOps: 0,
    singleWrites: 0,
    pointReads: 0,
    queryRequests: 0,
    queries: 0,
    queriesByTable: {},
    writesByTable: {},
    partitionQueries: 0,
    tableScans: 0,
    other: 0,
    total: 0,
    busyMs: 0,
    lastQueryEndByTable: {},
  };
}

/** A pipeline policy that classifies every request a TableClient sends (retries included). */
export function countingPolicy(counts: TableCounts, inFlight = { requests: 0, since: 0 }): PipelinePolicy {
  return {
    name: 'benchTableCounter',
    sendRequest: async (request, next) => {
      if (inFlight.requests++ === 0) inFlight.since = performance.now();
      counts.firstAt ??= inFlight.since;
      try {
        return await countedRequest(request, next);
      } finally {
        counts.lastAt = performance.now();
        if (--inFlight.requests === 0) counts.busyMs += counts.lastAt - inFlight.since;
      }
    },
  };

  async function countedRequest(
    request: Parameters<PipelinePolicy['sendRequest']>[0],
    next: Parameters<PipelinePolicy['sendRequest']>[1],
  ) {
    const url = new URL(request.url);
    const path = decodeURIComponent(url.pathname);
    // A query (a table name followed by `()`): the table it asks, for the counts and for when it ended.
    const queried =
      request.method === 'GET' && /\(\)$/.test(path) ? (/\/([^/(]+)\(\)$/.exec(path)?.[1] ?? '?') : undefined;
    counts.total += 1;
    const wrote = (table: string | undefined) =>
      (counts.writesByTable[table ?? '?'] = (counts.writesByTable[table ?? '?'] ?? 0) + 1);
    if (path.endsWith('/$batch')) {
      counts.transactions += 1;
      const body = typeof request.body === 'string' ? request.body : '';
      counts.transactionOps += (body.match(/^(POST|PUT|PATCH|MERGE|DELETE) /gm) ?? []).length;
      wrote(/^(?:POST|PUT|PATCH|MERGE|DELETE) \S*\/([^/(\s]+)[(\s]/m.exec(body)?.[1]);
    } else if (request.method === 'GET' && /\(PartitionKey='.*',RowKey='.*'\)$/.test(path)) {
      counts.pointReads += 1;
    } else if (queried !== undefined) {
      counts.queryRequests += 1;
      if (!url.searchParams.has('NextPartitionKey') && !url.searchParams.has('NextRowKey')) {
        counts.queries += 1;
        counts.queriesByTable[queried] = (counts.queriesByTable[queried] ?? 0) + 1;
        if (/^PartitionKey eq /.test(url.searchParams.get('$filter') ?? '')) counts.partitionQueries += 1;
        else counts.tableScans += 1;
      }
    } else if (['PUT', 'PATCH', 'MERGE', 'DELETE'].includes(request.method) || /\)$/.test(path)) {
      counts.singleWrites += 1;
      wrote(/\/([^/(]+)\([^/]*\)$/.exec(path)?.[1]);
    } else if (request.method === 'POST' && !/\/Tables$/.test(path)) {
      counts.singleWrites += 1; // insert into a table
      wrote(/\/([^/]+)$/.exec(path)?.[1]);
    } else {
      counts.other += 1;
    }
    const response = await next(request);
    if (queried !== undefined) counts.lastQueryEndByTable[queried] = performance.now();
    return response;
  }
}

/**
 * A run's time with no table request in flight, in three parts: before its first request, between its
 * requests, and after its last one. What the run does then (reading other services, composing, its own
 * code) is what a floor that only talks to the tables never pays.
 */
export function tableIdle(counts: TableCounts, startedAt: number, wallMs: number) {
  const beforeFirstMs = counts.firstAt === undefined ? wallMs : Math.max(0, counts.firstAt - startedAt);
  const afterLastMs = counts.lastAt === undefined ? 0 : Math.max(0, startedAt + wallMs - counts.lastAt);
  const betweenMs = Math.max(0, wallMs - counts.busyMs - beforeFirstMs - afterLastMs);
  return { beforeFirstMs, betweenMs, afterLastMs };
}

/** A run's time after the last query of `table` ended (all of it when it queried none). */
export function afterLastQuery(
  counts: TableCounts,
  table: string,
  startedAt: number,
  wallMs: number,
): number {
  const end = counts.lastQueryEndByTable[table];
  return end === undefined ? wallMs : Math.max(0, startedAt + wallMs - end);
}

/**
 * CPU time a process has used so far, in milliseconds, from Linux's /proc (user and system, counted in
 * the kernel's 100 ticks a second); undefined where /proc cannot be read. For the table server, which
 * runs in a process of its own.
 */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Counts every request of these clients into `counts`; one in-flight tally across them, for `busyMs`. */
export function countRequests(clients: TableClient[], counts: TableCounts): void {
  const inFlight = { requests: 0, since: 0 };
  for (const client of clients)
    client.pipeline.addPolicy(countingPolicy(counts, inFlight), { afterPhase: 'Retry' });
}

/**
 * What a run holds while it runs, not only after it: the heap in use just after each full collection
 * during the run (at most what was allocated between the collection and its report on top), the largest
 * of them. Observing collections costs the run nothing; 0 when none happened.
 */
export function watchRetainedHeap(): () => number {
  let largest = 0;
  const observer = new PerformanceObserver((list) => {
    const full = list
      .getEntries()
      .some(
        (entry) =>
          (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ===
          constants.NODE_PERFORMANCE_GC_MAJOR,
      );
    if (full) largest = Math.max(largest, process.memoryUsage().heapUsed);
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    return largest;
  };
}

/** The app's settings environment against the bench's simulator and Azurite (dry run unless `extra` says). */
export function appEnvironment(endpoints: Endpoints, prefix: string, extra: Record<string, string> = {}) {
  return {
    AZURE_TENANT_ID: endpoints.tenantId,
    AZURE_CLIENT_ID: endpoints.clientId,
    AZURE_CLIENT_SECRET: endpoints.clientSecret,
    AZURE_AUTHORITY_HOST: endpoints.loginUrl,
    EXCHANGE_ADMIN_API_URL: endpoints.exchangeUrl,
    GRAPH_API_URL: endpoints.graphUrl,
    ACS_CONNECTION_STRING: endpoints.acsConnectionString,
    EMAIL_SENDER_ADDRESS: endpoints.senderAddress,
    TABLES_CONNECTION_STRING: endpoints.tablesConnectionString,
    TABLE_NAME_PREFIX: prefix,
    NOTIFY_DRY_RUN: 'true',
    AUDIT_QUERY_POLL_SECONDS: '60',
    ...extra,
  };
}

export const quietLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The simulator and storage a child talks to. */
export interface Endpoints {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  loginUrl: string;
  exchangeUrl: string;
  graphUrl: string;
  acsConnectionString: string;
  senderAddress: string;
  tablesConnectionString: string;
  /** The table server's process, whose CPU time a job measures over its run (Linux only). */
  tableServerPid?: number;
}

/** What the measured jobs are pointed at: the simulator's tenant and a table service. */
export function simulatorEndpoints(
  sim: Simulator,
  tablesConnectionString: string,
  tableServerPid?: number,
): Endpoints {
  return {
    tenantId: sim.tenantId,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    loginUrl: sim.urls.login,
    exchangeUrl: sim.urls.exchange,
    graphUrl: sim.urls.graph,
    acsConnectionString: sim.acsConnectionString,
    senderAddress: sim.senderAddress,
    tablesConnectionString,
    tableServerPid,
  };
}

/** The audit log's release records, as the seed method and notify's floor read them. */
export function auditReleasesOf(sim: Simulator): AuditRelease[] {
  return sim.scenario.auditRecords().map(({ record, eventTime }) => {
    const audit = (record as { auditData?: Record<string, unknown> }).auditData ?? {};
    return {
      networkMessageId: String(audit.NetworkMessageId ?? ''),
      releaseTo: String(audit.ReleaseTo ?? ''),
      userId: String((record as { userPrincipalName?: unknown }).userPrincipalName ?? audit.UserId ?? ''),
      creationDate: eventTime,
    };
  });
}

/** A released unit as the audit log reports it (the seed method's input). */
export interface AuditRelease {
  networkMessageId: string;
  releaseTo: string;
  userId: string;
  creationDate: string;
}

export type ChildJob =
  | { kind: 'app-snapshot'; endpoints: Endpoints; prefix: string; settings?: Record<string, string> }
  | { kind: 'app-notify'; endpoints: Endpoints; prefix: string; settings?: Record<string, string> }
  | { kind: 'minimum'; endpoints: Endpoints; prefix: string; start: string; end: string }
  | { kind: 'seed'; endpoints: Endpoints; start: string; end: string; releases: AuditRelease[] }
  | {
      kind: 'notify-minimum';
      endpoints: Endpoints;
      /** The prefix of the snapshot the app wrote (read only) and of the baseline's own two tables. */
      snapshotPrefix: string;
      prefix: string;
      /** What the app's run stored for the same releases: the floor stores the same. */
      stored: StoredByNotify;
      inFlight: number;
    }
  /** The catch-up's job process: the app built once, each run at the time the parent names (catch-up.ts). */
  | { kind: 'scheduled-runs'; endpoints: Endpoints; prefix: string; settings?: Record<string, string> };

export interface ChildResult {
  kind: ChildJob['kind'];
  wallMs: number;
  /** Peak resident set size of the child process, in bytes (the kernel's high-water mark). */
  peakRssBytes: number;
  /** Heap in use at the end, after a GC when available. */
  heapUsedBytes: number;
  tables: TableCounts;
  /** Job-specific figures: the job's own summary, rows, matches. */
  details: Record<string, unknown>;
  error?: string;
}
