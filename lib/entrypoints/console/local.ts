import { createFleet, type Application } from '../../composition';
import type { Environment } from '../../config/settings';
import { loopbackAccess } from '../../console/access';
import { runDoctor } from '../../doctor/doctor';
import { consoleAssetsDir, consoleFleetOf, createConsoleHandler } from './handlers';
import { serveConsoleLocally, type LocalConsoleServer } from './hosts';

/** The port `func start` would use, so the console's address is the same as under Core Tools. */
export const LOCAL_CONSOLE_PORT = 7071;

/**
 * `npm start`'s console: on loopback only, without sign-in, over the running application. Takes the usual
 * port, or any free one when it is taken.
 */
export async function startLocalConsole(
  application: Application,
  env: Environment,
): Promise<LocalConsoleServer> {
  const handle = createConsoleHandler({
    access: loopbackAccess(),
    application: async () => application,
    health: { settings: () => application.settings, application: async () => application },
    fleet: application.settings.fleet.appClientId ? consoleFleetOf(createFleet(env)) : undefined,
    setupChecks: async () => (await runDoctor({ env })).checks,
    assetsDir: consoleAssetsDir(),
    log: (level, line) => console[level](line),
  });
  try {
    return await serveConsoleLocally(handle, { port: LOCAL_CONSOLE_PORT });
  } catch {
    return serveConsoleLocally(handle);
  }
}
