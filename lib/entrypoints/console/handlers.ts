import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Application, Fleet } from '../../composition';
import { SettingsError, type Settings } from '../../config/settings';
import { systemClock } from '../../core/clock';
import { tenantIdOf } from '../../fleet/tenant-settings';
import type { TenantRecord } from '../../fleet/tenants-store';
import type { AccessRequest, ConsoleAccess } from '../../console/access';
import {
  ConsoleUsageError,
  failuresFirst,
  filteredRows,
  FLEET_PERIOD_DAYS,
  fleetTenantView,
  messageHistory,
  parseConsoleQuery,
  releasesPage,
  scannedRows,
  summarize,
  type ConsoleRow,
} from '../../console/view';
import type { Check } from '../../doctor/check';
import {
  checkHealth,
  settingsInvalidProblem,
  type FleetHealthSource,
  type HealthSource,
} from '../../health/health';
import { FILTER_HEADER, personalInUrlProblem, requestFilters } from '../../report/filters';
import { formatReport, type ReportLine } from '../../report/report';
import { CONSOLE_PAGE } from './page';

/**
 * The console's HTTP handling, for both hosts: the function app (functions/console.ts) and `npm start`
 * (local-server.ts) turn their requests into a ConsoleRequest and write the ConsoleResponse back.
 *
 *   GET …/console                      the page
 *   GET …/console/assets/app.{js,css}  its bundle (dist/console, built by `npm run build`)
 *   GET …/console/data/summary         tiles and chart            (the filters below)
 *   GET …/console/data/releases        one page of the table      (…&sort=&direction=&continuation=)
 *   GET …/console/data/releases.csv    what the filter shows, as `qrn report --format csv`
 *   GET …/console/data/message?id=     one message's history
 *   GET …/console/data/health          last runs, open audit query
 *   GET …/console/data/setup           what the doctor reports as failing or worth a look
 *   GET …/console/data/tenants         the customer tenants an administrator can switch to
 *   GET …/console/data/fleet           each customer tenant's health, last runs and period, failures first
 * Filters: period (days, default 30), sender, releasedBy, policy, status; the page sends them, and every
 * other parameter, in the `x-filters` header, so no address ever sits in a URL the request log records.
 * `sender` and `releasedBy` in a URL are refused. `tenant` (a customer tenant's id) turns every view but
 * the fleet's to that tenant, read from its own tables only (docs/architecture.md#many-tenants); without
 * it the view is the deployment's home tenant.
 */

export interface ConsoleRequest extends AccessRequest {
  method: string;
  url: URL;
}

export interface ConsoleResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** The deployment's customer tenants, for the fleet page and the tenant switcher. */
export interface ConsoleFleet extends FleetHealthSource {
  tenants: { list(): Promise<TenantRecord[]>; get(tenantId: string): Promise<TenantRecord | undefined> };
}

/** The console's view of a fleet: each tenant opened through the fleet, never the home application. */
export function consoleFleetOf(fleet: Fleet): ConsoleFleet {
  return {
    tenants: fleet.tenants,
    tenant: (record) => ({
      settings: () => fleet.tenantSettings(record),
      // A row the settings refuse rejects here, so the health answers with its reason.
      application: () => Promise.resolve().then(() => fleet.openTenant(record)),
    }),
  };
}

export interface ConsoleDeps {
  access: ConsoleAccess;
  application(): Promise<Application>;
  health: HealthSource;
  /** Set where the deployment serves many tenants (FLEET_APP_CLIENT_ID). */
  fleet?: ConsoleFleet;
  /** The doctor's checks (only called when asked; the handler caches the answer for a while). */
  setupChecks?(): Promise<Check[]>;
  /** Where the bundle lies: dist/console. */
  assetsDir: string;
  log?(level: 'warn' | 'error', line: string): void;
}

/** The page may only be framed by nobody and load only from its own origin (no inline script at all). */
export const CONSOLE_CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
const SETUP_CACHE_MS = 10 * 60_000;
/** The console's filters that name a person: never read from a URL. */
const PERSONAL_FILTERS = ['sender', 'releasedBy'];

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** dist/console, whether this file runs compiled (dist/lib/…) or from source under ts-jest (lib/…). */
export function consoleAssetsDir(): string {
  const candidates = [
    path.resolve(__dirname, 'console'), // the deployment package: one bundle with console/ beside it
    path.resolve(__dirname, '..', '..', '..', 'console'), // dist/lib/entrypoints/console → dist/console
    path.resolve(__dirname, '..', '..', '..', 'dist', 'console'), // the sources under ts-jest
  ];
  return candidates.find((dir) => existsSync(path.join(dir, 'app.js'))) ?? candidates[candidates.length - 1];
}

/** A tenant's "no successful run" threshold, or why its settings cannot run it. */
function alertThreshold(settings: () => Settings): { noSuccessMinutes: number } | { invalid: string } {
  try {
    return { noSuccessMinutes: settings().alerts.noSuccessMinutes };
  } catch (error) {
    if (error instanceof SettingsError) return { invalid: settingsInvalidProblem(error) };
    throw error;
  }
}

function json(status: number, body: unknown, extra: Record<string, string> = {}): ConsoleResponse {
  return {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', ...extra },
    body: JSON.stringify(body),
  };
}

export function createConsoleHandler(
  deps: ConsoleDeps,
): (request: ConsoleRequest) => Promise<ConsoleResponse> {
  const assets = new Map<string, Buffer>();
  let setup: { at: number; checks: Check[] } | undefined;

  const asset = (name: string): ConsoleResponse => {
    const type = ASSETS[name];
    if (!type) return json(404, { error: 'no such asset' });
    let content = assets.get(name);
    if (!content) {
      try {
        content = readFileSync(path.join(deps.assetsDir, name));
      } catch {
        deps.log?.('error', `console: ${name} is missing from ${deps.assetsDir}; run npm run build`);
        return json(500, { error: 'the console was not built' });
      }
      assets.set(name, content);
    }
    return { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': type }, body: content };
  };

  /** The tenant a request is about: the home tenant without `tenant`, else that customer tenant's own. */
  const viewOf = async (params: URLSearchParams): Promise<HealthSource | undefined> => {
    const asked = params.get('tenant')?.trim();
    if (!asked) return undefined;
    if (!deps.fleet)
      throw new ConsoleUsageError('tenant: this deployment serves its own tenant only.', 'tenant');
    let tenantId: string;
    try {
      tenantId = tenantIdOf(asked);
    } catch (error) {
      if (error instanceof SettingsError) throw new ConsoleUsageError(error.problems.join('; '), 'tenant');
      throw error;
    }
    const record = await deps.fleet.tenants.get(tenantId);
    if (!record) {
      throw new ConsoleUsageError(`tenant ${tenantId} is not one of this deployment's tenants.`, 'tenant');
    }
    return { ...deps.fleet.tenant(record), clock: deps.health.clock };
  };

  const data = async (name: string, params: URLSearchParams): Promise<ConsoleResponse> => {
    if (name === 'tenants') {
      const tenants = deps.fleet ? await deps.fleet.tenants.list() : [];
      return json(200, {
        fleet: deps.fleet !== undefined,
        tenants: tenants.map((t) => ({
          tenantId: t.tenantId,
          displayName: t.displayName,
          enabled: t.enabled,
        })),
      });
    }
    if (name === 'fleet') {
      if (!deps.fleet) return json(200, { fleet: false, tenants: [] });
      // A bad period is the request's fault, said once, not once per tenant.
      const { periodDays } = parseConsoleQuery(params);
      if (!(FLEET_PERIOD_DAYS as readonly number[]).includes(periodDays)) {
        throw new ConsoleUsageError(
          `period: the fleet page counts ${FLEET_PERIOD_DAYS.join(', ')} days, not ${periodDays}.`,
          'period',
        );
      }
      // One query: each tenant's row carries the status its last run kept (lib/ops/tenant-status.ts).
      const fleet = deps.fleet;
      const now = (deps.health.clock ?? systemClock).now();
      const tenants = (await fleet.tenants.list()).map((record) =>
        fleetTenantView(
          record,
          alertThreshold(() => fleet.tenant(record).settings()),
          now,
          periodDays,
        ),
      );
      return json(200, { fleet: true, tenants: tenants.sort(failuresFirst) });
    }
    const tenant = await viewOf(params);
    if (name === 'health') {
      const report = await checkHealth(tenant ?? deps.health);
      // The console shows runs and the audit query; the counts are the tiles' business.
      return json(200, {
        status: report.status,
        checkedAt: report.checkedAt,
        problems: report.problems,
        jobs: report.jobs ?? null,
        auditQuery: report.auditQuery ?? null,
      });
    }
    if (name === 'setup') {
      // The doctor checks the deployment, not a customer tenant: its answer belongs to the home view.
      if (!deps.setupChecks || tenant) return json(200, { checked: false, checks: [] });
      const now = Date.now();
      if (!setup || now - setup.at > SETUP_CACHE_MS || params.get('refresh') === '1') {
        setup = { at: now, checks: await deps.setupChecks() };
      }
      return json(200, {
        checked: true,
        checkedAt: new Date(setup.at).toISOString(),
        checks: setup.checks.filter((c) => c.status === 'fail' || c.status === 'warn'),
      });
    }
    const app = await (tenant ?? deps).application();
    const now = app.clock.now();
    if (name === 'message') {
      const id = params.get('id')?.trim() ?? '';
      if (!/^[0-9a-f-]{1,64}$/i.test(id)) return json(400, { error: 'id must be a NetworkMessageId.' });
      return json(200, await messageHistory(app.releases, app.notifications, id.toLowerCase()));
    }
    const query = parseConsoleQuery(params);
    if (name === 'releases') return json(200, await releasesPage(app.releases, query, now));
    if (name === 'summary') {
      const rows = await scannedRows(app.releases, query, now);
      return json(200, summarize(rows, query, now, app.settings.schedules.notify));
    }
    if (name === 'releases.csv') {
      const rows = await filteredRows(app.releases, query, now, query);
      let csv = '';
      for await (const chunk of formatReport(asLines(rows), 'csv')) csv += chunk;
      const day = now.toISOString().slice(0, 10);
      return {
        status: 200,
        headers: {
          ...SECURITY_HEADERS,
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="releases-${day}.csv"`,
        },
        body: csv,
      };
    }
    return json(404, { error: 'no such data' });
  };

  return async (request) => {
    const decision = await deps.access.authorize(request);
    if (!decision.allowed) {
      // Only the page itself is redirected; its data and assets answer 401 to the page's scripts.
      if (decision.signIn && /\/console$/.test(request.url.pathname) && request.method !== 'OPTIONS') {
        return { status: 302, headers: { ...SECURITY_HEADERS, location: decision.signIn }, body: '' };
      }
      return json(
        decision.status,
        { error: decision.reason },
        decision.status === 401 ? { 'www-authenticate': 'Bearer' } : {},
      );
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return json(405, { error: 'only GET' }, { allow: 'GET, HEAD' });
    }
    const match = /\/console(\/.*)?$/.exec(request.url.pathname);
    const rest = match?.[1] ?? '';
    if (rest === '/') {
      // The page's relative addresses resolve from …/console, not …/console/.
      const location = request.url.pathname.replace(/\/+$/, '');
      return { status: 308, headers: { ...SECURITY_HEADERS, location }, body: '' };
    }
    if (rest === '') {
      return {
        status: 200,
        headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' },
        body: CONSOLE_PAGE,
      };
    }
    const assetName = /^\/assets\/([a-z.]+)$/.exec(rest);
    if (assetName) return asset(assetName[1]);
    const dataName = /^\/data\/([a-z.]+)$/.exec(rest);
    if (!dataName) return json(404, { error: 'not found' });
    const filters = requestFilters(request.url.searchParams, request.header(FILTER_HEADER), PERSONAL_FILTERS);
    if ('personalInUrl' in filters) {
      const field = filters.personalInUrl;
      return json(400, { error: personalInUrlProblem(field), field });
    }
    try {
      return await data(dataName[1], filters.params);
    } catch (error) {
      if (error instanceof ConsoleUsageError)
        return json(
          400,
          error.field ? { error: error.message, field: error.field } : { error: error.message },
        );
      deps.log?.('error', `console: ${dataName[1]} failed: ${(error as Error).message}`);
      return json(503, { error: 'the data could not be read; see the function log' });
    }
  };
}

async function* asLines(rows: readonly ConsoleRow[]): AsyncIterable<ReportLine> {
  for (const row of rows) {
    yield {
      releasedAt: row.releasedAt,
      releasedBy: row.releasedBy,
      sender: row.sender,
      originalRecipients: row.originalRecipients,
      releasedTo: row.releasedTo,
      subject: row.subject,
      type: row.type,
      policy: row.policy,
      status: row.status,
      reason: row.reason,
      reasonCode: row.reasonCode,
      notifiedAt: row.notifiedAt,
      networkMessageId: row.networkMessageId,
    };
  }
}
