/**
 * The simulated tenant: its quarantine, its audit log, its accepted domains and the permissions granted to
 * the app, all read against the simulator's clock (expiry, audit latency, query progress).
 */
import type { Clock } from '../core/clock';
import { MINUTE } from '../core/clock';
import {
  AuditQueryBook,
  buildReleaseRecord,
  eventTimeOf,
  type GraphAuditRecord,
  type StoredAuditRecord,
} from './audit';
import {
  buildRows,
  isVisible,
  markReleased,
  networkMessageIdOf,
  parseWireDate,
  recipientsOf,
  type NewMessage,
  type QuarantineRow,
  type StoredRow,
} from './quarantine';
import { Directory } from './directory';

export interface Permissions {
  /** App role Exchange.ManageAsApp on Office 365 Exchange Online (else Exchange answers 401). */
  exchangeManageAsApp: boolean;
  /** Entra directory role Security Reader (else Exchange answers 403 with NUL bytes). */
  securityReader: boolean;
  /** Graph AuditLogsQuery.Read.All. */
  auditLogsQuery: boolean;
  /** Graph Domain.Read.All. */
  domainRead: boolean;
  /** Graph Mail.Send. */
  mailSend: boolean;
  /** Graph MailboxSettings.Read (optional for the app: without it, mailboxSettings answers 403). */
  mailboxSettingsRead: boolean;
}

export interface AcceptedDomain {
  domainName: string;
  domainType?: 'Authoritative' | 'InternalRelay' | 'ExternalRelay';
  default?: boolean;
  initial?: boolean;
  matchSubDomains?: boolean;
}

export const DEFAULT_ACCEPTED_DOMAINS: AcceptedDomain[] = [
  { domainName: 'contoso.com', domainType: 'Authoritative', default: true },
  { domainName: 'contoso.onmicrosoft.com', domainType: 'Authoritative', initial: true },
  { domainName: 'eu.contoso.com', domainType: 'InternalRelay', matchSubDomains: true },
];

/** A mailbox's regional settings as Graph's mailboxSettings shows them. */
export interface MailboxRegionalSettings {
  /** e.g. en-US, de-DE, ar-SA. */
  locale: string;
  /** A Windows time zone name as Exchange stores it (or any text: Exchange does not check it for us). */
  timeZone: string;
  dateFormat?: string;
  timeFormat?: string;
}

/**
 * The tenant's mailboxes with their languages and zones. Senders not listed have no mailbox (404); one has
 * a zone name no mapping knows, as a mailbox set through an old client can.
 */
export const DEFAULT_MAILBOXES: Record<string, MailboxRegionalSettings> = {
  'megan.bowen@contoso.com': {
    locale: 'en-US',
    timeZone: 'Pacific Standard Time',
    dateFormat: 'M/d/yyyy',
    timeFormat: 'h:mm tt',
  },
  'johanna.lorenz@contoso.com': {
    locale: 'de-DE',
    timeZone: 'W. Europe Standard Time',
    dateFormat: 'dd.MM.yyyy',
    timeFormat: 'HH:mm',
  },
  'rania.haddad@contoso.com': { locale: 'ar-SA', timeZone: 'Arab Standard Time' },
  'yuki.tanaka@contoso.com': {
    locale: 'ja-JP',
    timeZone: 'Tokyo Standard Time',
    dateFormat: 'yyyy/MM/dd',
    timeFormat: 'H:mm',
  },
  'pradeep.gupta@contoso.com': { locale: 'en-GB', timeZone: 'Middle Earth Standard Time' },
};

export const DEFAULT_AUDIT_LATENCY_MS = 75 * MINUTE;

/**
 * The mailbox the admin API runs cmdlets as: what a release through it shows in ReleasedBy (a real row,
 * docs/wire-contract.md). Its audit record is simulated with the same actor (no public capture shows one).
 */
export const ADMIN_API_MAILBOX = 'SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}';

/**
 * Ways the real Exchange may be less convenient than the documentation suggests (docs/wire-contract.md,
 * Exchange admin API and Get-QuarantineMessage): each a switch a test, the demo or the chaos run flips.
 */
export interface GraphQuirks {
  /** POST /{version}/$batch answers 404 (no JSON batching): the app reads mailbox settings one by one. */
  batchRefused: boolean;
}

export interface ExchangeQuirks {
  /**
   * Rows per server-driven page (with an `@odata.nextLink` and a "more results" warning) when the request
   * has no `Prefer: odata.maxpagesize`; undefined: the whole PageSize in one answer.
   */
  serverPageSize?: number;
  /** Whether `Prefer: odata.maxpagesize=<n>` sets the server page size (true by default). */
  honourPrefer: boolean;
  /** Every answer is cut at this many rows, even when Prefer asks for more; undefined: no such cut. */
  cutPagesAt?: number;
  /** Every nextLink answers 400 "Expired or Invalid pagination request", as for a real app-only client. */
  refuseNextLinks: boolean;
  /** How an answer without rows carries `value`: `[]` (default), null, or not at all. */
  emptyValue: 'list' | 'null' | 'absent';
  /** How long a nextLink stays valid (30 minutes by default). */
  continuationLifetimeMs: number;
  /** The next this many continuations answer 400 "Expired or Invalid pagination request" whatever their age. */
  expireNextContinuations: number;
  /** The paged list shows released rows with empty ReleasedUser and ReleasedBy; `-Identity` shows them. */
  listHidesReleaseFields: boolean;
}

export function defaultExchangeQuirks(): ExchangeQuirks {
  return {
    honourPrefer: true,
    refuseNextLinks: false,
    emptyValue: 'list',
    continuationLifetimeMs: 30 * MINUTE,
    expireNextContinuations: 0,
    listHidesReleaseFields: false,
  };
}

export interface ReleaseInput {
  networkMessageId: string;
  /** Default: every recipient of the message. */
  recipients?: string[];
  /**
   * A UPN; 'system' for a release by Microsoft 365 itself; 'admin-api' for an app or script releasing through
   * the admin API (the rows show `ReleasedBy: SystemMailbox{…}@domain`, `SystemReleased: false`). Default: an
   * admin of the tenant.
   */
  by?: string;
  /** When the release happened (default now): the audit event time. */
  at?: Date | string;
  /** 0 portal (default), 1 cmdlet, 2 URL link. */
  requestSource?: number;
  /**
   * The application that called the admin API (with `by: 'admin-api'`): its audit records carry
   * `AppAccessContext` with its client id, and its name where given.
   */
  app?: { id: string; name?: string };
}

export class Tenant {
  private rows: StoredRow[] = [];
  /** The rows of each message (lower-case NetworkMessageId), so a release need not scan the quarantine. */
  private byMessage = new Map<string, StoredRow[]>();
  private audit: StoredAuditRecord[] = [];
  private seq = 0;
  auditLatencyMs = DEFAULT_AUDIT_LATENCY_MS;
  acceptedDomains: AcceptedDomain[] = DEFAULT_ACCEPTED_DOMAINS.map((d) => ({ ...d }));
  exchangeQuirks: ExchangeQuirks = defaultExchangeQuirks();
  /** Graph's inconvenient behaviours: `batchRefused` answers POST /$batch 404, as a host without JSON batching. */
  graphQuirks: GraphQuirks = { batchRefused: false };
  readonly queries = new AuditQueryBook(() => this.audit);
  /** Mailboxes by lower-case address; an address not here has no mailbox. */
  readonly mailboxes = new Map<string, MailboxRegionalSettings>(Object.entries(DEFAULT_MAILBOXES));

  /** Service principals and their assignments: where the app's permissions live (see directory.ts). */
  readonly directory: Directory;

  constructor(
    readonly tenantId: string,
    private readonly clock: Clock,
    identities: { appClientId: string; appPrincipalId: string; adminClientId: string } = {
      appClientId: '5a1e0c1d-0000-4000-8000-00000000a99e',
      appPrincipalId: '7d3a9b1e-0000-4000-8000-00000000a99e',
      adminClientId: '5a1e0c1d-0000-4000-8000-00000000ad31',
    },
  ) {
    this.directory = new Directory(
      clock,
      tenantId,
      identities.appClientId,
      identities.appPrincipalId,
      identities.adminClientId,
    );
    this.directory.setPermissions(allPermissions());
  }

  /** The app's permissions, read from (and written as) its service principal's assignments. */
  get permissions(): Permissions {
    return this.directory.permissions();
  }

  set permissions(value: Permissions) {
    this.directory.setPermissions(value);
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  // ---------------------------------------------------------------- quarantine

  addMessage(message: NewMessage): { networkMessageId: string; identities: string[] } {
    if (typeof message.sender !== 'string') throw new Error('sender is required (it may be empty)');
    const recipients = Array.isArray(message.recipients) ? message.recipients.map(String) : [];
    const rows = buildRows({
      ...message,
      recipients,
      organization: this.tenantId,
      now: this.nowMs(),
      direction: message.direction ?? (this.isAccepted(message.sender) ? 'Outbound' : 'Inbound'),
    });
    for (const row of rows) this.addRawRow(row);
    return { networkMessageId: networkMessageIdOf(rows[0]), identities: rows.map((r) => String(r.Identity)) };
  }

  /** Adds a row verbatim (a fixture row, or a deliberately malformed one). */
  addRawRow(row: QuarantineRow): void {
    const stored: StoredRow = {
      row: structuredClone(row),
      receivedMs: parseWireDate(row.ReceivedTime),
      expiresMs: parseWireDate(row.Expires),
      deleted: false,
      seq: this.seq++,
    };
    this.rows.push(stored);
    const key = networkMessageIdOf(stored.row).toLowerCase();
    const same = this.byMessage.get(key);
    if (same) same.push(stored);
    else this.byMessage.set(key, [stored]);
  }

  /** Rows Get-QuarantineMessage can still see (neither deleted nor expired). */
  visibleRows(): StoredRow[] {
    const now = this.nowMs();
    return this.rows.filter((r) => isVisible(r, now));
  }

  /** Every row ever added, with its state (for a person looking at the simulator). */
  allRows(): StoredRow[] {
    return [...this.rows];
  }

  /** Empties the quarantine (rows are gone, as if every message expired). */
  clearQuarantine(): void {
    this.rows = [];
    this.byMessage.clear();
  }

  deleteMessage(networkMessageId: string): number {
    let count = 0;
    for (const r of this.rows) {
      if (!r.deleted && networkMessageIdOf(r.row).toLowerCase() === networkMessageId.toLowerCase()) {
        r.deleted = true;
        count++;
      }
    }
    return count;
  }

  /**
   * Releases a message: its rows turn RELEASED and one audit record per recipient is written, visible
   * after the audit latency.
   */
  release(input: ReleaseInput): GraphAuditRecord[] {
    const now = this.nowMs();
    const rows = (this.byMessage.get(input.networkMessageId.toLowerCase()) ?? []).filter((r) =>
      isVisible(r, now),
    );
    if (rows.length === 0) throw new Error(`no quarantined message ${input.networkMessageId}`);
    const all = [...new Set(rows.flatMap((r) => recipientsOf(r.row)))];
    const wanted = (input.recipients ?? all).map(String);
    // Release-QuarantineMessage -User may name anyone in the organization, not only the recipients (a copy
    // to a reviewer): every row of the message then lists them in ReleasedUser.
    const strangers = wanted.filter((w) => !all.some((a) => a.toLowerCase() === w.toLowerCase()));
    const system = input.by?.toLowerCase() === 'system';
    const viaAdminApi = input.by?.toLowerCase() === 'admin-api';
    const by = system
      ? undefined
      : viaAdminApi
        ? `${ADMIN_API_MAILBOX}@${this.defaultDomain()}`
        : (input.by ?? this.defaultAdmin());
    const atMs = input.at !== undefined ? parseWireDate(input.at) : this.nowMs();
    if (Number.isNaN(atMs)) throw new Error(`at is not a date: ${String(input.at)}`);

    const lower = new Set(wanted.map((w) => w.toLowerCase()));
    for (const r of rows) {
      const to = [...recipientsOf(r.row).filter((x) => lower.has(x.toLowerCase())), ...strangers];
      // A row with no recipient (as seen in the field) is released with the message as a whole.
      if (to.length > 0 || recipientsOf(r.row).length === 0) {
        markReleased(r.row, to, system ? 'System released' : (by as string), system);
      }
    }
    // One record per recipient; a message with none still leaves one record, with an empty ReleaseTo.
    const targets = wanted.length > 0 ? wanted : [''];
    const records = targets.map((releaseTo) =>
      buildReleaseRecord({
        tenantId: this.tenantId,
        networkMessageId: networkMessageIdOf(rows[0].row),
        releaseTo,
        by,
        atMs,
        requestSource: input.requestSource ?? (viaAdminApi ? 1 : undefined),
        app: viaAdminApi ? input.app : undefined,
      }),
    );
    for (const record of records) this.addAuditRecord(record, atMs, atMs + this.auditLatencyMs);
    return records;
  }

  // ---------------------------------------------------------------- audit log

  /** Adds a Graph-shaped record verbatim; visible at `visibleAt`, by default event time + latency. */
  addRawAuditRecord(record: GraphAuditRecord, visibleAt?: Date | string): void {
    const event = eventTimeOf(record);
    // A record without a readable time (a malformed one) counts as happening now, so queries can find it.
    const eventMs = Number.isNaN(event) ? this.nowMs() : event;
    const visibleMs = visibleAt !== undefined ? parseWireDate(visibleAt) : eventMs + this.auditLatencyMs;
    this.addAuditRecord(structuredClone(record), eventMs, Number.isNaN(visibleMs) ? eventMs : visibleMs);
  }

  private addAuditRecord(record: GraphAuditRecord, eventMs: number, visibleMs: number): void {
    this.audit.push({ record, eventMs, visibleMs, seq: this.seq++ });
  }

  auditRecords(): StoredAuditRecord[] {
    return [...this.audit];
  }

  // ---------------------------------------------------------------- domains

  defaultDomain(): string {
    return (
      (this.acceptedDomains.find((d) => d.default) ?? this.acceptedDomains[0])?.domainName ?? 'contoso.com'
    );
  }

  defaultAdmin(): string {
    return `admin@${this.defaultDomain()}`;
  }

  isAccepted(address: string): boolean {
    const domain = address.split('@')[1]?.toLowerCase();
    if (!domain) return false;
    return this.acceptedDomains.some((d) => {
      const name = d.domainName.toLowerCase();
      return domain === name || (d.matchSubDomains === true && domain.endsWith(`.${name}`));
    });
  }

  setAcceptedDomains(domains: (string | AcceptedDomain)[]): void {
    const list = domains.map((d) => (typeof d === 'string' ? { domainName: d } : { ...d }));
    if (list.length > 0 && !list.some((d) => d.default)) list[0].default = true;
    this.acceptedDomains = list;
  }
}

export function allPermissions(): Permissions {
  return {
    exchangeManageAsApp: true,
    securityReader: true,
    auditLogsQuery: true,
    domainRead: true,
    mailSend: true,
    mailboxSettingsRead: true,
  };
}
