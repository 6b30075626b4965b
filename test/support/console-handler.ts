import { loopbackAccess } from '../../lib/console/access';
import { loadSettings } from '../../lib/config/settings';
import {
  consoleAssetsDir,
  createConsoleHandler,
  type ConsoleDeps,
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
