import type { InvocationContext } from '@azure/functions';
import { loadSettings, readEnvironment } from '../config/settings';
import { createLogger, type Logger } from '../core/log';
import { createApplication, type Application } from '../composition';
import type { HealthSource } from '../health/health';
import { bearerAccess, noSignInConfigured, type BearerVerifier } from '../console/access';
import { runDoctor } from '../doctor/doctor';
import {
  consoleAssetsDir,
  createConsoleHandler,
  type ConsoleRequest,
  type ConsoleResponse,
} from './console/handlers';

/**
 * The Functions host's one application: settings validated and clients built on first use, then
 * reused by every invocation of every function in this worker. Nothing is built at import time.
 */
let application: Promise<Application> | undefined;

export function hostedApplication(): Promise<Application> {
  application ??= Promise.resolve().then(() => createApplication(loadSettings(readEnvironment())));
  // A failed start is not cached: the next invocation tries again (and fails with the same clear message).
  application.catch(() => (application = undefined));
  return application;
}

/** A Logger writing to the invocation's log (and so to Application Insights). */
export function invocationLogger(context: InvocationContext): Logger {
  return createLogger((level, line) => {
    if (level === 'error') context.error(line);
    else if (level === 'warn') context.warn(line);
    else context.log(line);
  });
}

/** What the health endpoint reads in the host: the settings on their own (they may be invalid), and the app. */
export const hostedHealthSource: HealthSource = {
  settings: () => loadSettings(readEnvironment()),
  application: hostedApplication,
};

let consoleHandler: ((request: ConsoleRequest) => Promise<ConsoleResponse>) | undefined;

/**
 * The console in the function app. Every request must carry the Entra ID sign-in: `verifyConsoleBearer`
 * is where the app's token check (signature, issuer, audience, lifetime; it returns the user and their app
 * roles) plugs in. Until then it accepts no token, and the console answers 401.
 */
export const verifyConsoleBearer: BearerVerifier = noSignInConfigured;

export function hostedConsole(request: ConsoleRequest): Promise<ConsoleResponse> {
  consoleHandler ??= createConsoleHandler({
    access: bearerAccess(verifyConsoleBearer),
    application: hostedApplication,
    health: hostedHealthSource,
    setupChecks: async () => (await runDoctor({ env: readEnvironment() })).checks,
    assetsDir: consoleAssetsDir(),
  });
  return consoleHandler(request);
}
