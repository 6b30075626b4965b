import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Application } from '../composition';
import { checkHealth, type HealthReport, type HealthSource } from '../health/health';
import {
  formatReport,
  parseFormat,
  parseReportQuery,
  reportLines,
  ReportUsageError,
  type ReportLine,
} from '../report/report';

/**
 * The HTTP functions' logic, apart from their registration in functions/ (outside the Functions host,
 * `app.http` registers nothing; these handlers run anywhere).
 */

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

const NO_STORE = { 'cache-control': 'no-store' };

/** GET /api/health: 200 healthy, 503 unhealthy, with a body of states, ages and counts only. */
export function createHealthHandler(source: HealthSource): Handler {
  return async (_request, context) => {
    let report: HealthReport;
    try {
      report = await checkHealth(source);
    } catch (error) {
      context.error(`health: the check itself failed: ${(error as Error).message}`);
      return {
        status: 503,
        headers: NO_STORE,
        jsonBody: { status: 'unhealthy', problems: ['the health check failed; see the function log'] },
      };
    }
    if (report.status === 'unhealthy') context.warn(`health: unhealthy: ${report.problems.join('; ')}`);
    return { status: report.status === 'healthy' ? 200 : 503, headers: NO_STORE, jsonBody: report };
  };
}

/**
 * GET /api/releases?since=7d&until=…&status=…&sender=…&format=json|csv: the report, streamed.
 * 400 for malformed filters; 503 when the releases table cannot be read.
 */
export function createReleasesHandler(application: () => Promise<Application>): Handler {
  return async (request, context) => {
    const params = request.query;
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
    let format: 'csv' | 'json';
    let lines: AsyncIterator<ReportLine>;
    try {
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
        throw new ReportUsageError('format "table" is for the command line: use json or csv.');
      format = chosen;
      lines = reportLines(app.releases, query)[Symbol.asyncIterator]();
    } catch (error) {
      if (!(error instanceof ReportUsageError)) throw error;
      return {
        status: 400,
        headers: NO_STORE,
        jsonBody: { error: error.message.replace(/--(since|until|status|format|sender)/g, '$1') },
      };
    }

    // Read the first row before answering, so that an unreadable table is a 503, not a cut-off 200.
    let first: IteratorResult<ReportLine>;
    try {
      first = await lines.next();
    } catch (error) {
      context.error(`releases: the releases table could not be read: ${(error as Error).message}`);
      return { status: 503, headers: NO_STORE, jsonBody: { error: 'the releases table could not be read' } };
    }
    const rest: AsyncIterable<ReportLine> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (!first.done) {
            const value = first;
            first = { done: true, value: undefined };
            return value;
          }
          return lines.next();
        },
      }),
    };
    const chunks = formatReport(rest, format);
    const day = app.clock.now().toISOString().slice(0, 10);
    return {
      status: 200,
      headers: {
        ...NO_STORE,
        'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
        ...(format === 'csv' ? { 'content-disposition': `attachment; filename="releases-${day}.csv"` } : {}),
      },
      body: Readable.from(toBuffers(chunks)),
    };
  };
}

async function* toBuffers(chunks: AsyncIterable<string>): AsyncIterable<Buffer> {
  for await (const chunk of chunks) yield Buffer.from(chunk, 'utf8');
}
