import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** Azurite's well-known development account (public, documented by Microsoft). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteTablesConnectionString(port: number): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_ACCOUNT_KEY};` +
    `TableEndpoint=http://127.0.0.1:${port}/${DEV_ACCOUNT};`
  );
}

export function azuriteQueuesConnectionString(port: number): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_ACCOUNT_KEY};` +
    `QueueEndpoint=http://127.0.0.1:${port}/${DEV_ACCOUNT};`
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface RunningAzurite {
  port: number;
  connectionString: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts Azurite's table service (the npm package) on loopback. With `location` the data persists
 * there; without it Azurite keeps everything in memory (tests).
 */
export function startAzuriteTables(
  options: { port?: number; location?: string } = {},
): Promise<RunningAzurite> {
  return startAzuriteService('table', options);
}

/** Starts Azurite's queue service: where each tenant's run waits when the deployment serves many. */
export function startAzuriteQueues(
  options: { port?: number; location?: string } = {},
): Promise<RunningAzurite> {
  return startAzuriteService('queue', options);
}

async function startAzuriteService(
  service: 'table' | 'queue',
  options: { port?: number; location?: string },
): Promise<RunningAzurite> {
  const port = options.port ?? (await freePort());
  const entry = require.resolve(`azurite/dist/src/${service}/main.js`);
  const args = [
    entry,
    `--${service}Host`,
    '127.0.0.1',
    `--${service}Port`,
    String(port),
    '--skipApiVersionCheck',
    '--silent',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push(
      '--location',
      options.location,
      '--debug',
      path.join(options.location, service === 'table' ? 'debug.log' : 'queue-debug.log'),
    );
  } else {
    args.push('--inMemoryPersistence');
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  const deadline = Date.now() + 20_000;
  while (!(await isListening(port))) {
    if (child.exitCode !== null)
      throw new Error(`Azurite exited with code ${child.exitCode}: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`Azurite did not listen on port ${port} within 20 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    connectionString:
      service === 'table' ? azuriteTablesConnectionString(port) : azuriteQueuesConnectionString(port),
    process: child,
    // SIGINT is Azurite's graceful stop: it saves its database, then exits. It has no SIGTERM handler:
    // SIGTERM kills it at once, losing what it wrote since its last autosave (up to 5 s, tables included).
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGINT');
      }),
  };
}
