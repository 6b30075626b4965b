/**
 * The simulator's plumbing: one https listener per service on its own loopback port (so a token's audience
 * names one service), a router that matches `Route`s, checks bearer tokens, records every request and
 * answers injected faults instead of the real response.
 */
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../core/clock';
import type {
  FaultSpec,
  LoggedRequest,
  Route,
  ServiceName,
  SimRequest,
  SimResponse,
  TokenVerifier,
} from './contract';
import { faultResponse, graphError, notFound, unauthorized } from './errors';

/** Graph's JSON batch endpoint, and the most requests one batch may hold. */
const GRAPH_BATCH = /^\/(?<version>v1\.0|beta)\/\$batch$/;
const MAX_BATCH = 20;

export const LOOPBACK = '127.0.0.1';

// ---------------------------------------------------------------- request log

export class RequestLog {
  private entries: LoggedRequest[] = [];

  /** A long-running local simulator must not grow without bound; a bench of many tenants needs more. */
  constructor(private readonly limit = 5000) {}

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  list(service?: ServiceName): LoggedRequest[] {
    return this.entries.filter((e) => !service || e.service === service);
  }

  clear(): void {
    this.entries = [];
  }
}

// ---------------------------------------------------------------- faults

interface ArmedFault {
  spec: FaultSpec;
  remaining: number;
}

/** Faults are consumed in the order they were injected; each answers `count` matching requests. */
export class FaultBook {
  private armed: ArmedFault[] = [];

  inject(spec: FaultSpec): void {
    this.armed.push({ spec: { ...spec }, remaining: Math.max(1, spec.count ?? 1) });
  }

  clear(): void {
    this.armed = [];
  }

  pending(): (FaultSpec & { remaining: number })[] {
    return this.armed.map((a) => ({ ...a.spec, remaining: a.remaining }));
  }

  take(
    service: ServiceName,
    path: string,
    cmdlet: string | undefined,
    tenantId?: string,
  ): FaultSpec | undefined {
    const index = this.armed.findIndex(
      (a) =>
        a.spec.service === service &&
        (a.spec.tenant === undefined || a.spec.tenant.toLowerCase() === tenantId?.toLowerCase()) &&
        (a.spec.match === undefined ||
          path.includes(a.spec.match) ||
          (cmdlet !== undefined && cmdlet.toLowerCase() === a.spec.match.toLowerCase())),
    );
    if (index < 0) return undefined;
    const fault = this.armed[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.armed.splice(index, 1);
    return fault.spec;
  }
}

// ---------------------------------------------------------------- router

export interface RouterDeps {
  service: ServiceName;
  clock: Clock;
  tenantId: string;
  tokens: TokenVerifier;
  log: RequestLog;
  faults: FaultBook;
  /** Graph only: true while the tenant's Graph refuses JSON batches (a scenario switch). */
  graphBatchRefused?: () => boolean;
}

/** What the log shows of an Exchange InvokeCommand body. */
function describeCmdlet(body: unknown): { cmdlet?: string; parameters?: Record<string, unknown> } {
  const input = (body as { CmdletInput?: { CmdletName?: unknown; Parameters?: unknown } } | undefined)
    ?.CmdletInput;
  if (!input || typeof input !== 'object') return {};
  return {
    cmdlet: typeof input.CmdletName === 'string' ? input.CmdletName : undefined,
    parameters:
      input.Parameters && typeof input.Parameters === 'object'
        ? (input.Parameters as Record<string, unknown>)
        : undefined,
  };
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export class Router {
  private routes: Route[] = [];
  /** The customer tenants' own routes, chosen by the tenant of the request's token. */
  private tenantRoutes = new Map<string, Route[]>();

  constructor(private readonly deps: RouterDeps) {}

  setRoutes(routes: Route[]): void {
    this.routes = routes;
  }

  /** Another tenant served by the same host (docs/architecture.md#many-tenants): its token picks its routes. */
  setTenantRoutes(tenantId: string, routes: Route[]): void {
    this.tenantRoutes.set(tenantId.toLowerCase(), routes);
  }

  async dispatch(req: SimRequest): Promise<SimResponse | 'reset'> {
    const { service, faults, tokens } = this.deps;
    const json = parseJson(req.body);
    const { cmdlet } = service === 'exchange' ? describeCmdlet(json) : {};

    const fault =
      service === 'scenario'
        ? undefined
        : faults.take(service, req.url.pathname, cmdlet, tokens.verify(req)?.tenantId);
    if (fault?.kind === 'reset') return 'reset';
    if (fault?.kind === 'timeout') return { status: 0, hang: true };
    if (fault) return faultResponse(fault);

    const batch = service === 'graph' ? GRAPH_BATCH.exec(req.url.pathname) : null;
    if (batch && req.method === 'POST')
      return this.deps.graphBatchRefused?.()
        ? graphError(404, 'BadRequest', "Resource not found for the segment '$batch'.")
        : this.graphBatch(req, batch.groups!.version);

    const tokenTenant = tokens.verify(req)?.tenantId.toLowerCase();
    const routes =
      tokenTenant !== undefined && this.tenantRoutes.has(tokenTenant)
        ? (this.tenantRoutes.get(tokenTenant) as Route[])
        : this.routes;
    const candidates = routes
      .map((route) => ({ route, match: route.path.exec(req.url.pathname) }))
      .filter((c) => c.match !== null);
    if (candidates.length === 0) return notFound(service, req.url.pathname);
    const chosen = candidates.find((c) => c.route.method === req.method);
    if (!chosen) {
      return {
        status: 405,
        headers: { allow: [...new Set(candidates.map((c) => c.route.method))].join(', ') },
        body: { error: { code: 'MethodNotAllowed', message: `${req.method} is not allowed here.` } },
      };
    }

    if (chosen.route.auth === 'bearer') {
      const hasHeader = /^bearer\s+\S/i.test(req.headers.authorization ?? '');
      const token = tokens.verify(req);
      if (!hasHeader) return unauthorized(service, 'missing');
      const served =
        token !== undefined &&
        (token.tenantId.toLowerCase() === this.deps.tenantId.toLowerCase() ||
          this.tenantRoutes.has(token.tenantId.toLowerCase()));
      if (!token || !served) {
        return unauthorized(service, 'invalid');
      }
      if (token.audience !== service) return unauthorized(service, 'audience');
    }

    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(chosen.match?.groups ?? {})) {
      if (v !== undefined) params[k] = decodeURIComponent(v);
    }
    return chosen.route.handle(req, params);
  }

  /**
   * Graph's JSON batching (POST /{version}/$batch): each of at most 20 requests is dispatched as if it had
   * come on its own (faults, routes, the outer request's token) and logged as such; the answers come back
   * in one body, in reverse order (Graph promises no order).
   */
  private async graphBatch(req: SimRequest, version: string): Promise<SimResponse> {
    if (!/^bearer\s+\S/i.test(req.headers.authorization ?? '')) return unauthorized('graph', 'missing');
    if (this.deps.tokens.verify(req)?.audience !== 'graph') return unauthorized('graph', 'invalid');
    const requests = (parseJson(req.body) as { requests?: unknown } | undefined)?.requests;
    const valid = (
      r: unknown,
    ): r is { id: string; method: string; url: string; headers?: unknown; body?: unknown } =>
      !!r &&
      typeof (r as { id?: unknown }).id === 'string' &&
      typeof (r as { method?: unknown }).method === 'string' &&
      typeof (r as { url?: unknown }).url === 'string' &&
      !(r as { url: string }).url.includes('$batch');
    if (!Array.isArray(requests) || requests.length === 0 || !requests.every(valid))
      return graphError(400, 'BadRequest', 'Invalid batch payload format.');
    if (requests.length > MAX_BATCH)
      return graphError(400, 'BadRequest', `The number of batch requests exceeds ${MAX_BATCH}.`);
    if (new Set(requests.map((r) => r.id.toLowerCase())).size !== requests.length)
      return graphError(400, 'BadRequest', 'Batch request ids must be unique.');
    const responses = [];
    for (const inner of requests) {
      const headers: Record<string, string | undefined> = { host: req.headers.host };
      if (inner.headers && typeof inner.headers === 'object')
        for (const [k, v] of Object.entries(inner.headers)) headers[k.toLowerCase()] = String(v);
      headers.authorization = req.headers.authorization;
      const innerReq: SimRequest = {
        method: inner.method.toUpperCase(),
        url: new URL(`/${version}/${inner.url.replace(/^\//, '')}`, req.url),
        headers,
        body: inner.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(inner.body), 'utf8'),
      };
      let answer = await this.dispatch(innerReq);
      this.logRequest(innerReq, answer);
      if (answer === 'reset' || answer.hang)
        answer = graphError(504, 'GatewayTimeout', 'The request timed out.');
      responses.push({
        id: inner.id,
        status: answer.status,
        headers: answer.headers ?? {},
        body: answer.body,
      });
    }
    return { status: 200, body: { responses: responses.reverse() } };
  }

  private logRequest(req: SimRequest, answer: SimResponse | 'reset'): void {
    const { service, clock, log } = this.deps;
    const json = parseJson(req.body);
    log.add({
      service,
      method: req.method,
      path: req.url.pathname,
      query: Object.fromEntries(req.url.searchParams),
      body: json,
      ...(service === 'exchange' ? describeCmdlet(json) : {}),
      status: answer === 'reset' || answer.hang ? 0 : answer.status,
      at: clock.now().toISOString(),
      authorized: req.headers.authorization !== undefined,
    });
  }

  /** The node:https request listener: reads the body, dispatches, writes the answer, logs it. */
  listener = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const chunks: Buffer[] = [];
    incoming.on('data', (c: Buffer) => chunks.push(c));
    incoming.on('end', () => {
      void this.handle(incoming, outgoing, Buffer.concat(chunks));
    });
  };

  private async handle(incoming: IncomingMessage, outgoing: ServerResponse, body: Buffer): Promise<void> {
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(incoming.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const host = headers.host ?? `${LOOPBACK}:${(incoming.socket.localPort ?? 0).toString()}`;
    const url = new URL(incoming.url ?? '/', `https://${host}`);
    const req: SimRequest = { method: (incoming.method ?? 'GET').toUpperCase(), url, headers, body };

    let answer: SimResponse | 'reset';
    try {
      answer = await this.dispatch(req);
    } catch (error) {
      answer = {
        status: 500,
        body: {
          error: { code: 'SimulatorError', message: error instanceof Error ? error.message : String(error) },
        },
      };
    }

    this.logRequest(req, answer);
    if (answer === 'reset') {
      incoming.socket.destroy();
      return;
    }
    if (answer.hang) return; // never answers; close() destroys the connection
    writeResponse(outgoing, answer);
  }
}

function writeResponse(outgoing: ServerResponse, answer: SimResponse): void {
  const headers: Record<string, string> = { ...answer.headers };
  let payload: Buffer;
  if (answer.body === undefined) payload = Buffer.alloc(0);
  else if (Buffer.isBuffer(answer.body)) payload = answer.body;
  else if (typeof answer.body === 'string') {
    payload = Buffer.from(answer.body, 'utf8');
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else {
    payload = Buffer.from(JSON.stringify(answer.body), 'utf8');
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(payload.length);
  outgoing.writeHead(answer.status, headers);
  outgoing.end(payload);
}

// ---------------------------------------------------------------- listeners

export interface ServiceListener {
  service: ServiceName;
  port: number;
  /** https://127.0.0.1:PORT, no trailing slash. */
  url: string;
  router: Router;
  close(): Promise<void>;
}

export async function listen(
  deps: RouterDeps,
  tls: { cert: string; key: string },
  port = 0,
): Promise<ServiceListener> {
  const router = new Router(deps);
  const server = https.createServer({ cert: tls.cert, key: tls.key }, router.listener);
  // Node's 5-second default races clients that reuse an idle socket just as the server drops it (ECONNRESET).
  // Azure front ends keep idle connections for minutes; close() ends them anyway.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    service: deps.service,
    port: actual,
    url: `https://${LOOPBACK}:${actual}`,
    router,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung requests (timeout faults) and keep-alive sockets would hold close() forever.
        server.closeAllConnections();
      }),
  };
}
