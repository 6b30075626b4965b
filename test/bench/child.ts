/**
 * One measured job in a process of its own, so that its peak RSS is the app's (or the baseline's) alone,
 * never the simulator's or Azurite's. The parent sends one ChildJob over IPC and gets one ChildResult.
 */
import { TableClient } from '@azure/data-tables';
import { ClientSecretCredential } from '@azure/identity';
import { loadSettings } from '../../lib/config/settings';
import { createApplication } from '../../lib/composition';
import {
  appEnvironment,
  emptyCounts,
  countRequests,
  quietLogger,
  type ChildJob,
  type ChildResult,
  type Endpoints,
  afterLastQuery,
  processCpuMs,
  tableIdle,
  watchRetainedHeap,
} from './shared';
import { backfillFloor, notifyFloor, windowPages } from './floors';

/**
 * Runs the measured part of a job: its wall time, and the CPU time it took of this process and of the
 * table server (the two that share the machine's cores while it runs).
 */
async function measured<T>(endpoints: Endpoints, work: () => Promise<T>) {
  const serverBefore = processCpuMs(endpoints.tableServerPid);
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const value = await work();
  const wallMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = processCpuMs(endpoints.tableServerPid);
  return {
    value,
    startedAt,
    wallMs,
    cpu: {
      processMs: Math.round((cpu.user + cpu.system) / 1000),
      tableServerMs:
        serverBefore === undefined || serverAfter === undefined ? undefined : serverAfter - serverBefore,
    },
  };
}

function credentialFor(endpoints: Endpoints) {
  return new ClientSecretCredential(endpoints.tenantId, endpoints.clientId, endpoints.clientSecret, {
    authorityHost: endpoints.loginUrl,
    disableInstanceDiscovery: true,
  });
}

async function runApp(job: Extract<ChildJob, { kind: 'app-snapshot' | 'app-notify' }>): Promise<ChildResult> {
  const settings = loadSettings(appEnvironment(job.endpoints, job.prefix, job.settings));
  const app = await createApplication(settings, { logger: quietLogger });
  const tables = emptyCounts();
  countRequests(Object.values(app.tables), tables);
  // Tokens are fetched before the clock starts (the minimum baseline gets its token untimed too).
  await app.credential.getToken(`${new URL(job.endpoints.exchangeUrl).origin}/.default`);
  await app.credential.getToken(`${new URL(job.endpoints.graphUrl).origin}/.default`);
  const retained = watchRetainedHeap();
  const run = await measured(job.endpoints, (): Promise<unknown> =>
    job.kind === 'app-snapshot' ? app.runSnapshot() : app.runNotify(),
  );
  return result(job.kind, run.wallMs, tables, {
    summary: run.value,
    retainedHeapDuringRunBytes: retained(),
    tableIdle: tableIdle(tables, run.startedAt, run.wallMs),
    cpu: run.cpu,
    afterLastLookupMs: afterLastQuery(tables, `${job.prefix}Quarantine`, run.startedAt, run.wallMs),
  });
}

const openTable = (endpoints: Endpoints, name: string) =>
  TableClient.fromConnectionString(endpoints.tablesConnectionString, name, { allowInsecureConnection: true });

const exchangeToken = async (endpoints: Endpoints) =>
  (await credentialFor(endpoints).getToken(`${new URL(endpoints.exchangeUrl).origin}/.default`)).token;

async function runMinimum(job: Extract<ChildJob, { kind: 'minimum' }>): Promise<ChildResult> {
  const table = openTable(job.endpoints, `${job.prefix}Quarantine`);
  await table.createTable();
  const tables = emptyCounts();
  countRequests([table], tables);
  const token = await exchangeToken(job.endpoints);
  const run = await measured(job.endpoints, () => backfillFloor(job.endpoints, token, table, job));
  return result('minimum', run.wallMs, tables, { ...run.value, cpu: run.cpu });
}

async function runNotifyMinimum(job: Extract<ChildJob, { kind: 'notify-minimum' }>): Promise<ChildResult> {
  const floorTables = {
    snapshot: openTable(job.endpoints, `${job.snapshotPrefix}Quarantine`),
    releases: openTable(job.endpoints, `${job.prefix}Releases`),
    emails: openTable(job.endpoints, `${job.prefix}Emails`),
  };
  await Promise.all([floorTables.releases.createTable(), floorTables.emails.createTable()]);
  const tables = emptyCounts();
  countRequests(Object.values(floorTables), tables);
  const run = await measured(job.endpoints, () => notifyFloor(floorTables, job.stored, job.inFlight));
  return result('notify-minimum', run.wallMs, tables, {
    releasedMessages: new Set(job.stored.releases.map((row) => row.partitionKey)).size,
    ...run.value,
    cpu: run.cpu,
    afterLastLookupMs: afterLastQuery(tables, `${job.snapshotPrefix}Quarantine`, run.startedAt, run.wallMs),
  });
}

/**
 * The seed article's method: fetch the whole quarantine into a list every run, then for each audit record
 * scan the whole list for its NetworkMessageId (`$QMData | Where-Object {$_.Id -eq …}`).
 */
async function runSeed(job: Extract<ChildJob, { kind: 'seed' }>): Promise<ChildResult> {
  const token = await exchangeToken(job.endpoints);
  const started = performance.now();
  const qmData: Record<string, unknown>[] = [];
  let exchangeCalls = 0;
  for await (const page of windowPages(job.endpoints, token, job)) {
    exchangeCalls += 1;
    for (const item of page) {
      qmData.push({
        Received: item.ReceivedTime,
        MessageId: item.MessageId,
        Direction: item.Direction,
        Sender: item.SenderAddress,
        Recipients: (Array.isArray(item.RecipientAddress) ? item.RecipientAddress : []).join(', '),
        Subject: item.Subject,
        Type: item.Type,
        Expires: item.Expires,
        Identity: item.Identity,
        Id: String(item.Identity).split('\\')[0],
      });
    }
  }
  const fetchMs = performance.now() - started;
  const qmInfo: Record<string, unknown>[] = [];
  let comparisons = 0;
  for (const rec of job.releases) {
    const found = qmData.filter((item) => {
      comparisons += 1;
      return item.Id === rec.networkMessageId;
    });
    for (const item of found) {
      qmInfo.push({
        MessageId: rec.networkMessageId,
        Received: item.Received,
        Sender: item.Sender,
        Recipients: item.Recipients,
        Subject: item.Subject,
        Type: item.Type,
        Expires: item.Expires,
        Releasedby: rec.userId,
        ReleasedAt: rec.creationDate,
      });
    }
  }
  const wallMs = performance.now() - started;
  return result('seed', wallMs, emptyCounts(), {
    rows: qmData.length,
    exchangeCalls,
    fetchMs,
    joinMs: wallMs - fetchMs,
    comparisons,
    compositeLines: qmInfo.length,
  });
}

function result(
  kind: ChildJob['kind'],
  wallMs: number,
  tables: ReturnType<typeof emptyCounts>,
  details: Record<string, unknown>,
): ChildResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return {
    kind,
    wallMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: process.memoryUsage().heapUsed,
    tables,
    details,
  };
}

async function run(job: Exclude<ChildJob, { kind: 'scheduled-runs' }>): Promise<ChildResult> {
  switch (job.kind) {
    case 'app-snapshot':
    case 'app-notify':
      return runApp(job);
    case 'minimum':
      return runMinimum(job);
    case 'seed':
      return runSeed(job);
    case 'notify-minimum':
      return runNotifyMinimum(job);
  }
}

process.once('message', (job: ChildJob) => {
  if (job.kind === 'scheduled-runs') {
    // Many runs in one process, as a Functions instance keeps the app between timer ticks.
    void import('./catch-up-worker').then(({ serveScheduledRuns }) => serveScheduledRuns(job));
    return;
  }
  run(job)
    .catch((error: unknown): ChildResult => ({
      kind: job.kind,
      wallMs: 0,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      heapUsedBytes: 0,
      tables: emptyCounts(),
      details: {},
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    }))
    .then((message) => process.send?.(message, () => process.exit(0)));
});
