import type { TableClient } from '@azure/data-tables';
import type { Clock } from '../core/clock';
import { getEntityOrUndefined, isStatus } from '../store/tables';
import { tenantIdOf } from './tenant-settings';

/** One customer tenant of the deployment (docs/architecture.md#many-tenants). */
export interface TenantRecord {
  tenantId: string;
  displayName: string;
  enabled: boolean;
  /** Per-tenant settings by app setting name (lib/fleet/tenant-settings.ts), over the app settings. */
  settings: Record<string, string>;
  addedAt: string;
  changedAt: string;
  /** What its last run left for the fleet page; absent until it first runs. */
  status?: TenantStatus;
}

/**
 * What the console's fleet page shows of a tenant, kept by each of its runs in its own row, so the page
 * reads every tenant with the one query that lists them (docs/architecture.md#many-tenants).
 */
export interface TenantStatus {
  recordedAt: string;
  /** When each job last completed a run. */
  lastRuns: { snapshot: string | null; notify: string | null };
  /** Problems other than the jobs' ages, which are judged when read: the audit query's, the run's failures. */
  problems: string[];
  /** Releases, senders told and failed releases over each of the console's periods, by days. */
  periods: Record<string, { releases: number; sendersTold: number; failed: number }>;
}

interface TenantEntity {
  displayName: string;
  enabled: boolean;
  /** JSON object of setting name to value. */
  settings: string;
  addedAt: string;
  changedAt: string;
  /** JSON of TenantStatus, written by the tenant's runs only. */
  status?: string;
}

/** Every tenant row lives in one partition: the fleet is listed with one query. */
const PARTITION = 'tenant';

/** The fleet's tenants table (TABLE_NAME_PREFIX + `Tenants`): one row per customer tenant. */
export class TenantsStore {
  constructor(
    readonly table: TableClient,
    private readonly clock: Clock,
  ) {}

  async ensure(): Promise<void> {
    await this.table.createTable();
  }

  async list(): Promise<TenantRecord[]> {
    const tenants: TenantRecord[] = [];
    const rows = this.table.listEntities<TenantEntity>({
      queryOptions: { filter: `PartitionKey eq '${PARTITION}'` },
    });
    try {
      for await (const row of rows) tenants.push(toRecord(row.rowKey as string, row));
    } catch (error) {
      // No tenants table yet: nobody ever added a customer tenant, the deployment serves its own only.
      if (!isStatus(error, 404)) throw error;
    }
    return tenants.sort(
      (a, b) => a.displayName.localeCompare(b.displayName) || a.tenantId.localeCompare(b.tenantId),
    );
  }

  async get(tenantId: string): Promise<TenantRecord | undefined> {
    const row = await getEntityOrUndefined<TenantEntity>(this.table, PARTITION, tenantIdOf(tenantId));
    return row ? toRecord(row.rowKey as string, row) : undefined;
  }

  /** Adds a tenant; refuses one already there (its settings are changed with `set`, never overwritten). */
  async add(tenant: {
    tenantId: string;
    displayName: string;
    settings: Record<string, string>;
  }): Promise<TenantRecord> {
    const now = this.clock.now().toISOString();
    const record: TenantRecord = {
      tenantId: tenantIdOf(tenant.tenantId),
      displayName: tenant.displayName,
      enabled: true,
      settings: tenant.settings,
      addedAt: now,
      changedAt: now,
    };
    await this.table.createEntity({ partitionKey: PARTITION, rowKey: record.tenantId, ...toEntity(record) });
    return record;
  }

  /**
   * Writes a changed tenant, guarded by nothing but its key: the last administrator's change wins. Merged,
   * so the status its runs keep stays.
   */
  async save(record: TenantRecord): Promise<TenantRecord> {
    const saved = { ...record, changedAt: this.clock.now().toISOString() };
    await this.table.upsertEntity(
      { partitionKey: PARTITION, rowKey: tenantIdOf(record.tenantId), ...toEntity(saved) },
      'Merge',
    );
    return saved;
  }

  /**
   * Keeps a tenant's status in its row. Only an existing row is updated: a tenant removed while its run
   * was under way stays removed (false).
   */
  async recordStatus(tenantId: string, status: TenantStatus): Promise<boolean> {
    try {
      await this.table.updateEntity(
        { partitionKey: PARTITION, rowKey: tenantIdOf(tenantId), status: JSON.stringify(status) },
        'Merge',
        { etag: '*' },
      );
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  async remove(tenantId: string): Promise<void> {
    await this.table.deleteEntity(PARTITION, tenantIdOf(tenantId));
  }
}

function toEntity(record: TenantRecord): TenantEntity {
  return {
    displayName: record.displayName,
    enabled: record.enabled,
    settings: JSON.stringify(record.settings),
    addedAt: record.addedAt,
    changedAt: record.changedAt,
  };
}

function toRecord(tenantId: string, entity: TenantEntity): TenantRecord {
  let settings: Record<string, string> = {};
  try {
    const parsed = JSON.parse(entity.settings ?? '{}') as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      settings = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    }
  } catch {
    // A row edited by hand into bad JSON keeps its tenant; its settings then fail validation loudly.
    settings = { settings: String(entity.settings) };
  }
  const status = statusOf(entity.status);
  return {
    tenantId,
    displayName: entity.displayName ?? '',
    enabled: entity.enabled !== false,
    settings,
    addedAt: entity.addedAt ?? '',
    changedAt: entity.changedAt ?? '',
    ...(status ? { status } : {}),
  };
}

/** A status that cannot be read is as none: the next run writes it again. */
function statusOf(text: string | undefined): TenantStatus | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<TenantStatus> | null;
    const valid =
      typeof parsed?.recordedAt === 'string' &&
      typeof parsed.lastRuns === 'object' &&
      parsed.lastRuns !== null &&
      Array.isArray(parsed.problems) &&
      typeof parsed.periods === 'object' &&
      parsed.periods !== null;
    return valid ? (parsed as TenantStatus) : undefined;
  } catch {
    return undefined;
  }
}
