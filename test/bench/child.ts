/**
 * One measured job in a process of its own, so that its peak RSS is the app's (or the baseline's) alone,
 * never the simulator's or Azurite's. The parent sends one ChildJob over IPC and gets one ChildResult.
 */
import { TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
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
} from './shared';

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
  const started = performance.now();
  const summary = job.kind === 'app-snapshot' ? await app.runSnapshot() : await app.runNotify();
  const wallMs = performance.now() - started;
  return result(job.kind, wallMs, tables, { summary });
}

/** Plain HTTP: the same InvokeCommand call as the app, with fetch and a bearer token, nothing else. */
async function fetchPage(endpoints: Endpoints, token: string, parameters: Record<string, unknown>) {
  const url = `${endpoints.exchangeUrl}/adminapi/beta/${endpoints.tenantId}/InvokeCommand`;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'x-anchormailbox': `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${endpoints.tenantId}`,
    },
    body: JSON.stringify({ CmdletInput: { CmdletName: 'Get-QuarantineMessage', Parameters: parameters } }),
  });
  if (!response.ok) throw new Error(`Get-QuarantineMessage answered ${response.status}`);
  return ((await response.json()) as { value: Record<string, unknown>[] }).value;
}

/** Every page of the window, one at a time. */
async function* pages(endpoints: Endpoints, token: string, start: string, end: string) {
  for (let page = 1; ; page++) {
    const rows = await fetchPage(endpoints, token, {
      StartReceivedDate: start,
      EndReceivedDate: end,
      PageSize: 1000,
      Page: page,
    });
    yield rows;
    if (rows.length < 1000) return;
  }
}

const exchangeDate = (iso: string) => iso.replace(/\.(\d{3})Z$/, '.$10000Z');
const iso = (value: unknown) =>
  typeof value === 'string' ? new Date(Date.parse(value)).toISOString() : undefined;
const list = (value: unknown) => JSON.stringify(Array.isArray(value) ? value : []);

/** The same properties the snapshot stores, copied without checks. */
function minimalEntity(row: Record<string, unknown>): TableEntity<Record<string, unknown>> {
  const [pk, rk] = String(row.Identity).split('\\');
  return {
    partitionKey: pk.toLowerCase(),
    rowKey: rk.toLowerCase(),
    identity: row.Identity,
    senderAddress: row.SenderAddress,
    recipientCount: row.RecipientCount,
    subject: row.Subject,
    type: row.Type,
    releasedCount: row.ReleasedCount,
    retainUntil: iso(row.Expires),
    receivedAt: iso(row.ReceivedTime),
    expiresAt: iso(row.Expires),
    quarantineType: row.QuarantineTypes,
    policyType: row.PolicyType,
    policyName: row.PolicyName,
    direction: row.Direction,
    releaseStatus: row.ReleaseStatus,
    released: row.Released,
    systemReleased: row.SystemReleased,
    internetMessageId: row.MessageId,
    size: row.Size,
    recipients: list(row.RecipientAddress),
    releasedBy: list(row.ReleasedBy),
    releasedUsers: list(row.ReleasedUser),
  };
}

async function runMinimum(job: Extract<ChildJob, { kind: 'minimum' }>): Promise<ChildResult> {
  const table = TableClient.fromConnectionString(
    job.endpoints.tablesConnectionString,
    `${job.prefix}Quarantine`,
    {
      allowInsecureConnection: true,
    },
  );
  await table.createTable();
  const tables = emptyCounts();
  countRequests([table], tables);
  const token = (
    await credentialFor(job.endpoints).getToken(`${new URL(job.endpoints.exchangeUrl).origin}/.default`)
  ).token;
  let rows = 0;
  let exchangeCalls = 0;
  const started = performance.now();
  for await (const page of pages(job.endpoints, token, exchangeDate(job.start), exchangeDate(job.end))) {
    exchangeCalls += 1;
    rows += page.length;
    const partitions = new Map<string, TableEntity<Record<string, unknown>>[]>();
    for (const row of page) {
      const entity = minimalEntity(row);
      const group = partitions.get(entity.partitionKey) ?? [];
      group.push(entity);
      partitions.set(entity.partitionKey, group);
    }
    // The same shape of work as the app: one transaction per partition (a plain upsert for one entity),
    // eight in flight.
    const groups = [...partitions.values()];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < groups.length) {
          const group = groups[next++];
          if (group.length === 1) await table.upsertEntity(group[0], 'Replace');
          else await table.submitTransaction(group.map((e): TransactionAction => ['upsert', e, 'Replace']));
        }
      }),
    );
  }
  const wallMs = performance.now() - started;
  return result('minimum', wallMs, tables, { rows, exchangeCalls });
}

/**
 * Notify's least table work for the same releases, with raw `@azure/data-tables` calls at the app's
 * concurrency: one partition query per released message to join it to the snapshot, one write per release
 * unit to record its outcome, one write per email. No audit reading, no composing, no state: the floor.
 */
async function runNotifyMinimum(job: Extract<ChildJob, { kind: 'notify-minimum' }>): Promise<ChildResult> {
  const open = (name: string) =>
    TableClient.fromConnectionString(job.endpoints.tablesConnectionString, name, {
      allowInsecureConnection: true,
    });
  const snapshot = open(`${job.snapshotPrefix}Quarantine`);
  const outcomes = open(`${job.prefix}Outcomes`);
  const emails = open(`${job.prefix}Emails`);
  await Promise.all([outcomes.createTable(), emails.createTable()]);
  const tables = emptyCounts();
  countRequests([snapshot, outcomes, emails], tables);
  const inParallel = async <T>(items: readonly T[], work: (item: T) => Promise<void>) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(job.inFlight, items.length) }, async () => {
        while (next < items.length) await work(items[next++]);
      }),
    );
  };
  const started = performance.now();
  const units: { partitionKey: string; rowKey: string; sender: string }[] = [];
  await inParallel(job.networkMessageIds, async (networkMessageId) => {
    const key = networkMessageId.replace(/^\{|\}$/g, '').toLowerCase();
    const rows = snapshot.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${key.replace(/'/g, "''")}'` },
    });
    for await (const row of rows) {
      units.push({ partitionKey: row.partitionKey!, rowKey: row.rowKey!, sender: String(row.senderAddress) });
    }
  });
  await inParallel(units, async (unit) => {
    await outcomes.upsertEntity(
      { partitionKey: unit.partitionKey, rowKey: unit.rowKey, outcome: 'notified' },
      'Replace',
    );
  });
  const senders = units.slice(0, job.emails).map((unit, i) => ({ sender: unit.sender, i }));
  await inParallel(senders, async ({ sender, i }) => {
    await emails.upsertEntity(
      { partitionKey: sender.toLowerCase(), rowKey: String(i).padStart(6, '0'), status: 'sent' },
      'Replace',
    );
  });
  const wallMs = performance.now() - started;
  return result('notify-minimum', wallMs, tables, {
    releasedMessages: job.networkMessageIds.length,
    units: units.length,
    emails: senders.length,
  });
}

/**
 * The seed article's method: fetch the whole quarantine into a list every run, then for each audit record
 * scan the whole list for its NetworkMessageId (`$QMData | Where-Object {$_.Id -eq …}`).
 */
async function runSeed(job: Extract<ChildJob, { kind: 'seed' }>): Promise<ChildResult> {
  const token = (
    await credentialFor(job.endpoints).getToken(`${new URL(job.endpoints.exchangeUrl).origin}/.default`)
  ).token;
  const started = performance.now();
  const qmData: Record<string, unknown>[] = [];
  let exchangeCalls = 0;
  for await (const page of pages(job.endpoints, token, exchangeDate(job.start), exchangeDate(job.end))) {
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
