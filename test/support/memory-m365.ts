import type { Clock } from '../../lib/core/clock';
import type { AuditCollectResult, AuditSource } from '../../lib/sources/audit/audit-source';
import type { ExchangeAdminApi, InvokeResult } from '../../lib/sources/exchange/admin-api';
import { parseWireDate } from '../../lib/simulator/quarantine';
import { Tenant } from '../../lib/simulator/state';

/**
 * Microsoft 365 in process, for the in-memory job scenarios: the simulator's own tenant model (rows in the
 * live row's shape, releases that turn rows RELEASED and write one audit record per recipient, visible
 * after the audit latency), read without HTTP, tokens or retries. What only the wire shows (paging links,
 * errors, throttling, query life cycles) stays with the simulator suites.
 */
export function inProcessTenant(clock: Clock): Tenant {
  return new Tenant('00000000-0000-4000-8000-000000000001', clock);
}

/** Get-QuarantineMessage over the tenant model: received-date window, ReleaseStatus, Identity, Page. */
export class InProcessExchange implements Pick<ExchangeAdminApi, 'invoke'> {
  readonly calls: { cmdlet: string; parameters: Record<string, unknown> }[] = [];
  /** The snapshot's listing dies when asked for this Page (as a stopped function host would), once. */
  crashOnPage?: number;

  constructor(readonly tenant: Tenant) {}

  async invoke(cmdlet: string, parameters: Record<string, unknown> = {}): Promise<InvokeResult> {
    this.calls.push({ cmdlet, parameters });
    if (cmdlet !== 'Get-QuarantineMessage') throw new Error(`no ${cmdlet} in process: set ACCEPTED_DOMAINS`);
    const page = Number(parameters.Page ?? 1);
    if (page === this.crashOnPage && parameters.ReleaseStatus === undefined) {
      this.crashOnPage = undefined;
      throw new Error('the function host was stopped');
    }
    const pageSize = Number(parameters.PageSize ?? 100);
    let rows = this.tenant.visibleRows();
    if (typeof parameters.Identity === 'string') {
      const identity = parameters.Identity.toLowerCase();
      rows = rows.filter((r) => String(r.row.Identity).toLowerCase() === identity);
    } else {
      const start = parseWireDate(parameters.StartReceivedDate);
      const end = parseWireDate(parameters.EndReceivedDate);
      rows = rows.filter((r) => r.receivedMs >= start && r.receivedMs <= end);
    }
    const status = parameters.ReleaseStatus;
    if (typeof status === 'string')
      rows = rows.filter((r) => String(r.row.ReleaseStatus).toLowerCase() === status.toLowerCase());
    rows.sort((a, b) => b.receivedMs - a.receivedMs || a.seq - b.seq); // newest first, as Exchange lists
    const listed = rows.slice((page - 1) * pageSize, page * pageSize).map((r) => structuredClone(r.row));
    return { rows: listed, warnings: [] };
  }

  /** Calls of the snapshot's own listing (not the released rows, not by Identity). */
  listingPages(): number[] {
    return this.calls
      .filter((c) => c.parameters.ReleaseStatus === undefined && c.parameters.Identity === undefined)
      .map((c) => Number(c.parameters.Page));
  }
}

/** The audit log over the tenant model: each run hands over the records visible by then, each once. */
export class InProcessAuditSource implements AuditSource {
  private readonly handed = new Set<string>();

  constructor(
    readonly tenant: Tenant,
    private readonly clock: Clock,
  ) {}

  async collect(onRecords: (records: unknown[]) => Promise<void>): Promise<AuditCollectResult> {
    const now = this.clock.now().getTime();
    const visible = this.tenant
      .auditRecords()
      .filter((r) => r.visibleMs <= now && !this.handed.has(String(r.record.id)))
      .map((r) => structuredClone(r.record));
    // Handed over before they count as read: a run that dies here reads them again.
    if (visible.length > 0) await onRecords(visible);
    for (const record of visible) this.handed.add(String(record.id));
    return {
      state: 'succeeded',
      recordsRead: visible.length,
      pages: visible.length > 0 ? 1 : 0,
      carriedOver: false,
      queriesCreated: 0,
      pendingWindows: 0,
      notes: [],
    };
  }
}
