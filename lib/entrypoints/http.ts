import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Application } from '../composition';
import {
  checkHealth,
  forEachTenantHealth,
  type FleetHealthSource,
  type HealthReport,
  type HealthSource,
} from '../health/health';
import {
  formatReport,
  parseFormat,
  parseReportQuery,
  ReportUsageError,
  type ReportLine,
} from '../report/report';
import { apiNaming, FILTER_HEADER, personalInUrlProblem, requestFilters } from '../report/filters';
import {
  decodeContinuation,
  MAX_ROWS_PER_RESPONSE,
  reportPage,
  type ReportPage,
} from '../report/report-page';
import type { SignInCheck } from '../console/sign-in-check';
import { createSignInCheck } from './sign-in';

/**
 * The HTTP functions' logic, apart from their registration in functions/ (outside the Functions host,
 * `app.http` registers nothing; these handlers run anywhere).
 */

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

const NO_STORE = { 'cache-control': 'no-store' };

/** The health endpoint's HTTP status, from the report's status code. */
export const HEALTH_HTTP_STATUS: Record<HealthReport['status'], number> = { healthy: 200, unhealthy: 503 };

/** One enabled customer tenant's health in the deployment's: its id, state and reasons only. */
export interface TenantHealth {
  tenantId: string;
  status: HealthReport['status'];
  problems: string[];
}

/**
 * GET /api/health: 200 healthy, 503 unhealthy, with a body of states, ages and counts only. Where the
 * deployment serves many tenants, `tenants` holds each enabled customer tenant's status and reasons; the
 * HTTP status stays the home tenant's, since a customer tenant's trouble is its own and raises its own
 * alert (docs/architecture.md#many-tenants).
 */
export function createHealthHandler(
  source: HealthSource,
  fleet?: () => FleetHealthSource | undefined,
): Handler {
  return async (_request, context) => {
    let report: HealthReport & { tenants?: TenantHealth[] };
    try {
      report = await checkHealth(source);
      const customers = fleet?.();
      if (customers) {
        const enabled = {
          ...customers,
          tenants: { list: async () => (await customers.tenants.list()).filter((t) => t.enabled) },
        };
        report.tenants = await forEachTenantHealth(enabled, source.clock, (record, tenant) => ({
          tenantId: record.tenantId,
          status: tenant.status,
          problems: tenant.problems,
        }));
        for (const tenant of report.tenants.filter((t) => t.status === 'unhealthy'))
          context.warn(`health: tenant ${tenant.tenantId} unhealthy: ${tenant.problems.join('; ')}`);
      }
    } catch (error) {
      context.error(`health: the check itself failed: ${(error as Error).message}`);
      return {
        status: 503,
        headers: NO_STORE,
        jsonBody: { status: 'unhealthy', problems: ['the health check failed; see the function log'] },
      };
    }
    if (report.status === 'unhealthy') context.warn(`health: unhealthy: ${report.problems.join('; ')}`);
    return { status: HEALTH_HTTP_STATUS[report.status], headers: NO_STORE, jsonBody: report };
  };
}

/**
 * GET /api/releases?since=7d&until=…&status=…&format=json|csv&top=…&continuation=…: the report, personal
 * data, so only for a caller signed in with Entra ID and holding the app role (sign-in.ts). Any filter may
 * come in the `x-filters` header instead (encoded like a query string); `sender` only there, since a URL is
 * recorded whole by request telemetry (a `sender` in the URL is a 400 saying so).
 * At most `top` (default and cap 1000) rows per response; when more follow, the `x-continuation-token`
 * header carries the token to pass back as `continuation`. 400 with the reason for a malformed
 * parameter; 401/403 without a valid token or role; 503 when the releases table cannot be read.
 */
export function createReleasesHandler(
  application: () => Promise<Application>,
  options: { signIn?: SignInCheck } = {},
): Handler {
  let check: SignInCheck | undefined = options.signIn;
  return async (request, context) => {
    let app: Application;
    try {
      app = await application();
    } catch (error) {
      context.error(`releases: the app could not start: ${(error as Error).message}`);
      return {
        status: 503,
        headers: NO_STORE,
        jsonBody: { error: 'the app cannot start; see GET /api/health' },
      };
    }
    check ??= createSignInCheck(app.settings.api, { now: () => app.clock.now() });
    const signedIn = await check(request);
    if (!signedIn.ok) {
      context.warn(`releases: refused (${signedIn.status}): ${signedIn.reason}`);
      return {
        status: signedIn.status,
        headers: {
          ...NO_STORE,
          ...(signedIn.status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {}),
        },
        jsonBody: { error: signedIn.reason },
      };
    }
    let format: 'csv' | 'json';
    let read: () => Promise<ReportPage>;
    try {
      const filters = requestFilters(request.query, request.headers.get(FILTER_HEADER), ['sender']);
      if ('personalInUrl' in filters) throw new ReportUsageError(personalInUrlProblem('{sender}'), 'sender');
      const params = filters.params;
      const query = parseReportQuery(
        {
          since: params.get('since') ?? undefined,
          until: params.get('until') ?? undefined,
          status: params.get('status') ?? undefined,
          sender: params.get('sender') ?? undefined,
        },
        app.clock.now(),
      );
      const chosen = parseFormat(params.get('format') ?? undefined, 'json');
      if (chosen === 'table')
        throw new ReportUsageError('{format} "table" is for the command line: use json or csv.', 'format');
      format = chosen;
      const max = parseTop(params.get('top'));
      const token = params.get('continuation');
      const continuation = token ? decodeContinuation(token) : undefined;
      if (token && !continuation)
        throw new ReportUsageError('{continuation} is not a token this API gave.', 'continuation');
      read = () => reportPage(app.releases, query, { max, continuation });
    } catch (error) {
      if (!(error instanceof ReportUsageError)) throw error;
      return {
        status: 400,
        headers: NO_STORE,
        jsonBody: { error: error.wordedFor(apiNaming), field: error.field },
      };
    }

    // The page is read before answering (at most 1000 rows), so an unreadable table is a 503, not a cut-off 200.
    let page: ReportPage;
    try {
      page = await read();
    } catch (error) {
      context.error(`releases: the releases table could not be read: ${(error as Error).message}`);
      return { status: 503, headers: NO_STORE, jsonBody: { error: 'the releases table could not be read' } };
    }
    const chunks = formatReport(linesOf(page.lines), format);
    const day = app.clock.now().toISOString().slice(0, 10);
    return {
      status: 200,
      headers: {
        ...NO_STORE,
        'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
        ...(format === 'csv' ? { 'content-disposition': `attachment; filename="releases-${day}.csv"` } : {}),
        ...(page.continuation ? { 'x-continuation-token': page.continuation } : {}),
      },
      body: Readable.from(toBuffers(chunks)),
    };
  };
}

/** `top`: a whole number of rows from 1 to the cap; the cap when absent. */
function parseTop(text: string | null): number {
  if (text === null || text === '') return MAX_ROWS_PER_RESPONSE;
  if (!/^\d{1,7}$/.test(text.trim()) || Number(text) < 1 || Number(text) > MAX_ROWS_PER_RESPONSE) {
    throw new ReportUsageError(
      `{top} "${text.slice(0, 40)}" must be a whole number from 1 to ${MAX_ROWS_PER_RESPONSE}.`,
      'top',
    );
  }
  return Number(text);
}

async function* linesOf(lines: ReportLine[]): AsyncIterable<ReportLine> {
  yield* lines;
}

async function* toBuffers(chunks: AsyncIterable<string>): AsyncIterable<Buffer> {
  for await (const chunk of chunks) yield Buffer.from(chunk, 'utf8');
}
