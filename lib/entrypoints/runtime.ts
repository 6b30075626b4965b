import type { InvocationContext } from '@azure/functions';
import { loadSettings, readEnvironment, SettingsError } from '../config/settings';
import { systemClock } from '../core/clock';
import { createLogger, type Logger } from '../core/log';
import { createApplication, createFleet, type Application, type Fleet } from '../composition';
import {
  fleetRunDeps,
  queueTenantRuns,
  raisePoisonedTenantRun,
  runTenant,
  type FleetPeriodSummary,
} from '../ops/tenant-runs';
import type { HealthSource } from '../health/health';
import { observeJob, startFailureEvent, type ObservedRun } from '../ops/observe-run';
import { runEventLine, type JobName, type RunEvent } from '../ops/run-event';
import { signedInAccess } from '../console/access';
import type { SignInCheck } from '../console/sign-in-check';
import { createSignInCheck } from './sign-in';
import { createPlatformPrincipalCheck } from './platform-sign-in';
import { runDoctor } from '../doctor/doctor';
import { probeOnFirstSnapshot } from '../doctor/wire-probe';
import {
  consoleAssetsDir,
  consoleFleetOf,
  createConsoleHandler,
  type ConsoleFleet,
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

/**
 * One run of a job in the host, observed: its run event goes to the invocation's log, which the host
 * forwards to Application Insights `traces`, where the alerts read it (lib/ops/run-event.ts says why this
 * route). A run that cannot even start (invalid settings, storage down) still emits a failed event.
 */
export async function runHostedJob(job: JobName, context: InvocationContext): Promise<ObservedRun<unknown>> {
  const emit = runEventEmitter(context);
  let application: Application;
  try {
    application = await hostedApplication();
  } catch (error) {
    const event = startFailureEvent(job, error, systemClock.now());
    emit(runEventLine(event), event);
    throw error;
  }
  const logger = invocationLogger(context);
  const run = await observeJob(application, job, logger, emit);
  // A new deployment's first snapshot asks Exchange the wire probe's questions once, and logs the answers.
  if (job === 'snapshot' && run.event.outcome === 'completed')
    await probeOnFirstSnapshot(application, logger);
  return run;
}

/** Run events go to the invocation's log at the level their outcome deserves (the alerts read them). */
function runEventEmitter(context: InvocationContext) {
  return (line: string, event: RunEvent) => {
    if (event.outcome === 'failed') context.error(line);
    else if (event.outcome === 'partial') context.warn(line);
    else context.info(line);
  };
}

/** The fleet (docs/architecture.md#many-tenants), built on first use and reused by the worker's invocations. */
let fleet: Fleet | undefined;
function hostedFleet(): Fleet {
  fleet ??= createFleet(readEnvironment());
  return fleet;
}

/** The fleet timer: one queued run per enabled customer tenant, spread over the period. */
export async function queueHostedTenantRuns(context: InvocationContext): Promise<FleetPeriodSummary> {
  const hosted = hostedFleet();
  const { runs } = hosted.queues();
  await runs.createIfNotExists();
  return queueTenantRuns({
    tenants: hosted.tenants,
    queue: runs,
    clock: systemClock,
    logger: invocationLogger(context),
  });
}

/** One customer tenant's run, from its queue message; a failure fails the message (the host retries it). */
export async function runHostedTenant(message: unknown, context: InvocationContext): Promise<void> {
  const hosted = hostedFleet();
  const logger = invocationLogger(context);
  await runTenant(
    message,
    fleetRunDeps(hosted, { clock: systemClock, logger, emit: runEventEmitter(context) }),
  );
}

/** A tenant run that failed every attempt: the tenant's alert. */
export function raiseHostedPoisonedRun(message: unknown, context: InvocationContext): void {
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount);
  raisePoisonedTenantRun(message, {
    clock: systemClock,
    emit: runEventEmitter(context),
    dequeueCount: Number.isFinite(dequeueCount) ? dequeueCount : undefined,
  });
}

let consoleHandler: ((request: ConsoleRequest) => Promise<ConsoleResponse>) | undefined;

/** The releases API's Entra ID check, built once from the app's settings; the console shares it. */
let signIn: Promise<SignInCheck> | undefined;
function hostedSignIn(): Promise<SignInCheck> {
  signIn ??= hostedApplication().then((app) =>
    createSignInCheck(app.settings.api, { now: () => app.clock.now() }),
  );
  signIn.catch(() => (signIn = undefined));
  return signIn;
}

/** The customer tenants, for the console's fleet page and switcher and the health's tenants, where served. */
export function hostedCustomerTenants(): ConsoleFleet | undefined {
  try {
    return loadSettings(readEnvironment()).fleet.appClientId ? consoleFleetOf(hostedFleet()) : undefined;
  } catch (error) {
    // Invalid settings: the console's health says which; there is no fleet to show.
    if (error instanceof SettingsError) return undefined;
    throw error;
  }
}

/** The console in the function app: every request carries the Entra ID sign-in and app role of the releases API. */
export function hostedConsole(request: ConsoleRequest): Promise<ConsoleResponse> {
  consoleHandler ??= createConsoleHandler({
    access: signedInAccess(hostedSignIn, () =>
      hostedApplication().then((app) => createPlatformPrincipalCheck(app.settings.api)),
    ),
    application: hostedApplication,
    health: hostedHealthSource,
    fleet: hostedCustomerTenants(),
    setupChecks: async () => (await runDoctor({ env: readEnvironment() })).checks,
    assetsDir: consoleAssetsDir(),
  });
  return consoleHandler(request);
}
