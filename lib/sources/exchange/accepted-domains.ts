import type { Client } from '@microsoft/microsoft-graph-client';
import { canonicalDomain, parseAddress } from '../../core/address';
import { DAY, type Clock } from '../../core/clock';
import type { Logger } from '../../core/log';
import type { StateStore } from '../../store/state-store';
import type { ExchangeAdminApi } from './admin-api';
import { newPagingStats, readWholeListing, type ExchangePagingStats } from './paging';

/**
 * The tenant's own domains: the notifier emails a sender only when the sender's domain is one of them
 * (docs/architecture.md#outbound). Sources, in order: the ACCEPTED_DOMAINS setting (overrides both others), a
 * cache in the state table younger than a day, Exchange's Get-AcceptedDomain (honouring MatchSubDomains), and
 * Graph's verified domains when Exchange refuses (Get-AcceptedDomain under Security Reader alone is
 * unverified: docs/wire-contract.md, Exchange admin API).
 */

export interface AcceptedDomain {
  /** Lower-case domain name, without a leading "*.". */
  domain: string;
  /** Subdomains match too (Exchange's MatchSubDomains, or a "*.contoso.com" entry in the setting). */
  matchSubDomains: boolean;
}

export type AcceptedDomainsSource = 'setting' | 'exchange' | 'graph';

export class AcceptedDomains {
  constructor(
    private readonly domains: readonly AcceptedDomain[],
    readonly source: AcceptedDomainsSource,
    /** When the list was fetched (undefined for the setting). */
    readonly fetchedAt?: string,
  ) {}

  /** True when the address (or bare domain) belongs to one of the tenant's accepted domains. */
  isAccepted(address: string): boolean {
    const domain = domainOf(address);
    if (!domain) return false;
    return this.domains.some(
      (d) => domain === d.domain || (d.matchSubDomains && domain.endsWith(`.${d.domain}`)),
    );
  }

  list(): AcceptedDomain[] {
    return this.domains.map((d) => ({ ...d }));
  }
}

/**
 * The canonical domain (IDNA ASCII, lower-case) of an address, or of a bare domain name; undefined when
 * the text is neither. An address is parsed strictly by lib/core/address.ts: a display name, angle
 * brackets or a quoted local part make it unusable, so `"<ceo@contoso.com>"@evil.example` has no domain
 * the tenant accepts.
 */
export function domainOf(address: string): string | undefined {
  if (address.includes('@')) {
    const parsed = parseAddress(address);
    return parsed.ok ? parsed.domain : undefined;
  }
  return canonicalDomain(address.trim().replace(/\.$/, ''));
}

/** Parses the ACCEPTED_DOMAINS entries: "contoso.com" or "*.contoso.com" (that domain and its subdomains). */
export function parseDomainList(entries: readonly string[]): AcceptedDomain[] {
  const domains: AcceptedDomain[] = [];
  for (const entry of entries) {
    const text = entry.trim().toLowerCase();
    const wildcard = text.startsWith('*.');
    const domain = domainOf(wildcard ? text.slice(2) : text);
    if (domain) domains.push({ domain, matchSubDomains: wildcard });
  }
  return domains;
}

export interface AcceptedDomainsDeps {
  exchange: Pick<ExchangeAdminApi, 'invoke'>;
  /** Graph client for the /domains fallback; without it only Exchange is asked. */
  graph?: Pick<Client, 'api'>;
  state: Pick<StateStore, 'read' | 'write'>;
  clock: Clock;
  logger: Logger;
  settings: { acceptedDomains?: string[] };
}

export interface LoadAcceptedDomainsOptions {
  /** A cached list older than this is fetched again (default one day). */
  maxAgeMs?: number;
  /** Fetch even when the cache is fresh. */
  refresh?: boolean;
}

interface CachedDomains {
  fetchedAt: string;
  source: 'exchange' | 'graph';
  domains: AcceptedDomain[];
}

const STATE_JOB = 'accepted-domains';
const STATE_KEY = 'cache';

/**
 * The accepted domains, from the setting, the cache or the services. A failed fetch falls back to a
 * stale cache (with a warning); it throws only when there is no list at all.
 */
export async function loadAcceptedDomains(
  deps: AcceptedDomainsDeps,
  options: LoadAcceptedDomainsOptions = {},
): Promise<AcceptedDomains> {
  const fromSetting = deps.settings.acceptedDomains;
  if (fromSetting && fromSetting.length > 0)
    return new AcceptedDomains(parseDomainList(fromSetting), 'setting');

  const maxAge = options.maxAgeMs ?? DAY;
  const cached = await deps.state.read<CachedDomains>(STATE_JOB, STATE_KEY);
  const age = cached ? deps.clock.now().getTime() - Date.parse(cached.fetchedAt) : Infinity;
  if (cached && !options.refresh && age < maxAge) {
    return new AcceptedDomains(cached.domains, cached.source, cached.fetchedAt);
  }

  try {
    const paging = newPagingStats();
    const fetched = await fetchAcceptedDomains(deps, paging);
    const entry: CachedDomains = { fetchedAt: deps.clock.now().toISOString(), ...fetched };
    await deps.state.write(STATE_JOB, STATE_KEY, entry);
    deps.logger.info('Accepted domains refreshed', {
      source: entry.source,
      domains: entry.domains.length,
      truncations: paging.truncations,
      linksRefused: paging.linksRefused,
    });
    return new AcceptedDomains(entry.domains, entry.source, entry.fetchedAt);
  } catch (error) {
    if (cached) {
      deps.logger.warn('Accepted domains could not be refreshed; using the cached list', {
        cachedAt: cached.fetchedAt,
        error: (error as Error).message,
      });
      return new AcceptedDomains(cached.domains, cached.source, cached.fetchedAt);
    }
    throw error;
  }
}

async function fetchAcceptedDomains(
  deps: AcceptedDomainsDeps,
  paging: ExchangePagingStats,
): Promise<{ source: 'exchange' | 'graph'; domains: AcceptedDomain[] }> {
  let exchangeError: Error;
  try {
    // Completed through its nextLinks while they answer; cut short with a refused link, it has no smaller
    // page to ask, and Graph is asked instead (docs/wire-contract.md, Exchange admin API: paging).
    const rows = await readWholeListing(deps.exchange, 'Get-AcceptedDomain', {}, paging, deps.logger);
    const domains = mapAcceptedDomainRows(rows);
    if (domains.length > 0) return { source: 'exchange', domains };
    exchangeError = new Error('Get-AcceptedDomain listed no domains');
  } catch (error) {
    exchangeError = error as Error;
  }
  if (!deps.graph) throw exchangeError;
  deps.logger.warn('Get-AcceptedDomain failed; asking Graph /domains instead', {
    error: exchangeError.message,
  });
  try {
    const domains = await fetchGraphDomains(deps.graph);
    if (domains.length === 0) throw new Error('Graph /domains listed no verified domains');
    return { source: 'graph', domains };
  } catch (graphError) {
    throw new Error(
      `The accepted domains could not be read. Exchange: ${exchangeError.message} Graph /domains: ` +
        `${(graphError as Error).message} (the app needs Domain.Read.All, or set ACCEPTED_DOMAINS).`,
      { cause: graphError },
    );
  }
}

/** Get-AcceptedDomain rows to domains. Exported for tests. */
export function mapAcceptedDomainRows(rows: readonly unknown[]): AcceptedDomain[] {
  const domains: AcceptedDomain[] = [];
  for (const row of rows) {
    if (typeof row !== 'object' || row === null) continue;
    const r = row as Record<string, unknown>;
    const name = [r.DomainName, r.Name, r.Identity].find(
      (v): v is string => typeof v === 'string' && v !== '',
    );
    const domain = name ? domainOf(name) : undefined;
    if (!domain) continue;
    domains.push({ domain, matchSubDomains: r.MatchSubDomains === true || r.MatchSubDomains === 'True' });
  }
  return domains;
}

async function fetchGraphDomains(graph: Pick<Client, 'api'>): Promise<AcceptedDomain[]> {
  const domains: AcceptedDomain[] = [];
  let page = (await graph.api('/domains').version('v1.0').get()) as GraphPage;
  for (let i = 0; i < 100; i++) {
    for (const d of page.value ?? []) {
      const domain = typeof d.id === 'string' ? domainOf(d.id) : undefined;
      if (domain && d.isVerified !== false) domains.push({ domain, matchSubDomains: false });
    }
    if (!page['@odata.nextLink']) break;
    page = (await graph.api(page['@odata.nextLink']).get()) as GraphPage;
  }
  return domains;
}

interface GraphPage {
  value?: { id?: unknown; isVerified?: boolean }[];
  '@odata.nextLink'?: string;
}
