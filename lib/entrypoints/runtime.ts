import type { InvocationContext } from '@azure/functions';
import { loadSettings, readEnvironment } from '../config/settings';
import { createLogger, type Logger } from '../core/log';
import { createApplication, type Application } from '../composition';
import type { HealthSource } from '../health/health';

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
