import { loopbackAccess } from '../../lib/console/access';
import { loadSettings } from '../../lib/config/settings';
import {
  consoleAssetsDir,
  createConsoleHandler,
  type ConsoleDeps,
  type ConsoleRequest,
} from '../../lib/entrypoints/console/handlers';
import type { World } from './world';

/**
 * The console's handler over a test world: its application, its health from the world's settings and
 * clock, the built assets, and loopback access unless a test names another. Tests add what they vary.
 */
export function worldConsoleHandler(world: World, deps: Partial<ConsoleDeps> = {}) {
  return createConsoleHandler({
    access: loopbackAccess(),
    application: async () => world.app,
    health: {
      settings: () => loadSettings(world.env()),
      application: async () => world.app,
      clock: world.clock,
    },
    assetsDir: consoleAssetsDir(),
    ...deps,
  });
}

/** A GET of the local console from loopback, with the view's filters (a tenant, a period) in x-filters. */
export function consoleRequest(path: string, filters?: Record<string, string>): ConsoleRequest {
  const headers: Record<string, string> = {
    host: 'localhost:7071',
    ...(filters ? { 'x-filters': new URLSearchParams(filters).toString() } : {}),
  };
  return {
    method: 'GET',
    url: new URL(`http://localhost:7071/api/console${path}`),
    header: (name) => headers[name.toLowerCase()] ?? null,
    remoteAddress: '127.0.0.1',
    localPort: 7071,
  };
}
