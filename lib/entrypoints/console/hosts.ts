import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { ConsoleRequest, ConsoleResponse } from './handlers';

/** The Functions host's request as the console sees it (the host does not tell the peer's address). */
export function fromFunctionsRequest(request: HttpRequest): ConsoleRequest {
  return {
    method: request.method,
    url: new URL(request.url),
    header: (name) => request.headers.get(name),
  };
}

export function toFunctionsResponse(response: ConsoleResponse): HttpResponseInit {
  return { status: response.status, headers: response.headers, body: response.body };
}

export interface LocalConsoleServer {
  /** The page's address, e.g. http://127.0.0.1:7072/api/console */
  url: string;
  close(): Promise<void>;
}

/** `npm start`: serves the console on loopback only (the local access port refuses anyone else anyway). */
export async function serveConsoleLocally(
  handle: (request: ConsoleRequest) => Promise<ConsoleResponse>,
  options: { port?: number } = {},
): Promise<LocalConsoleServer> {
  const server = http.createServer((incoming, outgoing) => {
    const request: ConsoleRequest = {
      method: incoming.method ?? 'GET',
      url: new URL(incoming.url ?? '/', 'http://127.0.0.1'),
      header: (name) => {
        const value = incoming.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
      remoteAddress: incoming.socket.remoteAddress,
      localPort: incoming.socket.localPort,
    };
    handle(request).then(
      (response) => {
        outgoing.writeHead(response.status, response.headers);
        outgoing.end(request.method === 'HEAD' ? undefined : response.body);
      },
      () => {
        outgoing.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        outgoing.end('the console failed; see the log');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/console`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
