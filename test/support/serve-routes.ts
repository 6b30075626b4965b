/**
 * Test-only: serves a `Route[]` over https on a free loopback port with the simulator's certificate, so a
 * service's routes can be driven by the real SDK clients without the full simulator. The test process must
 * trust the certificate (NODE_EXTRA_CA_CERTS=.local/certs/simulator-cert.pem, as `npm test` sets it).
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Route, SimRequest, SimResponse } from '../../lib/simulator/contract';
import { testCertificate } from './simulator';

export interface ServedRoutes {
  /** `https://127.0.0.1:PORT` */
  origin: string;
  port: number;
  /** Requests as the routes saw them, in order. */
  requests: SimRequest[];
  close(): Promise<void>;
}

export async function serveRoutes(routes: Route[]): Promise<ServedRoutes> {
  const certificate = await testCertificate();
  const requests: SimRequest[] = [];
  const server = https.createServer(
    { cert: certificate.cert, key: certificate.key },
    (incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        void (async () => {
          const headers: Record<string, string | undefined> = {};
          for (const [name, value] of Object.entries(incoming.headers)) {
            headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
          }
          const req: SimRequest = {
            method: incoming.method ?? 'GET',
            url: new URL(incoming.url ?? '/', `https://${incoming.headers.host ?? '127.0.0.1'}`),
            headers,
            body: Buffer.concat(chunks),
          };
          requests.push(req);
          let response: SimResponse;
          try {
            response = await dispatch(routes, req);
          } catch (error) {
            response = { status: 500, body: { error: { code: 'TestServerError', message: String(error) } } };
          }
          if (response.hang) return;
          const body =
            response.body === undefined
              ? undefined
              : Buffer.isBuffer(response.body) || typeof response.body === 'string'
                ? response.body
                : JSON.stringify(response.body);
          const responseHeaders: Record<string, string> = { ...response.headers };
          if (body !== undefined && typeof response.body === 'object' && !Buffer.isBuffer(response.body)) {
            const hasType = Object.keys(responseHeaders).some((h) => h.toLowerCase() === 'content-type');
            if (!hasType) responseHeaders['content-type'] = 'application/json; charset=utf-8';
          }
          outgoing.writeHead(response.status, responseHeaders);
          outgoing.end(body);
        })();
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `https://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function dispatch(routes: Route[], req: SimRequest): Promise<SimResponse> {
  for (const route of routes) {
    if (route.method !== req.method) continue;
    const match = route.path.exec(req.url.pathname);
    if (!match) continue;
    if (route.auth === 'bearer') {
      return {
        status: 500,
        body: { error: { code: 'TestServerError', message: 'bearer routes are not served here' } },
      };
    }
    return route.handle(req, { ...match.groups });
  }
  return {
    status: 404,
    body: { error: { code: 'NotFound', message: `No route for ${req.method} ${req.url.pathname}` } },
  };
}
