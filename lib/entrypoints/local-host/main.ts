#!/usr/bin/env node
/**
 * `npm start`: runs the function app's two timers on this machine, on their schedules.
 *
 * - No AZURE_TENANT_ID configured: starts the bundled Microsoft 365 simulator with a demo scenario, and a
 *   fresh in-memory Azurite, and points the app at them. Emails land in .local/outbox as .eml files. The
 *   demo serves a customer tenant too, with auditing turned off, run as the fleet runs each tenant.
 * - A tenant configured and development storage (UseDevelopmentStorage=true): starts Azurite (the npm
 *   package) on its usual port with its data in .local/azurite, unless one is already listening.
 *
 * - FLEET_APP_CLIENT_ID set: also the customer tenants' runs (lib/entrypoints/local-host/fleet.ts), on
 *   Azurite's queue service.
 *
 * `npm start -- --once` runs each job once, in order (then each customer tenant's, where there are any),
 * prints their summaries and exits.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Cron } from 'croner';
import { loadSettings, readEnvironment, SettingsError, usesDevelopmentStorage } from '../../config/settings';
import { consoleLogger } from '../../core/log';
import { createApplication, type Application } from '../../composition';
import {
  isListening,
  startAzuriteQueues,
  startAzuriteTables,
  type RunningAzurite,
} from '../../local/azurite';
import { observeJob } from '../../ops/observe-run';
import { ensureCertificate } from '../../simulator/certificate';
import { DEMO_CUSTOMER_TENANT, startSimulator, type Simulator, SIMULATED_API } from '../../simulator';
import { startLocalConsole } from '../console/local';
import { addTenantOnce, runTenantsNow, startLocalFleet } from './fleet';

const AZURITE_TABLE_PORT = 10002;
const AZURITE_QUEUE_PORT = 10001;

interface Running {
  azurite?: RunningAzurite;
  /** Azurite's queue service, where customer tenants' runs wait (FLEET_APP_CLIENT_ID set). */
  azuriteQueues?: RunningAzurite;
  simulator?: Simulator;
}

async function main(argv: string[]): Promise<number> {
  const once = argv.includes('--once');
  const root = process.cwd();
  const env = readEnvironment({ localSettingsPath: path.join(root, 'local.settings.json') });
  const useSimulator = !env.AZURE_TENANT_ID?.trim();
  const running: Running = {};

  if (useSimulator) {
    // The simulator serves https with its own certificate; Node trusts extra CAs only from process start.
    const certificate = await ensureCertificate(path.join(root, '.local', 'certs'));
    if (env.NODE_EXTRA_CA_CERTS !== certificate.certPath) {
      return relaunch({ ...env, NODE_EXTRA_CA_CERTS: certificate.certPath }, argv);
    }
    running.azurite = await startAzuriteTables();
    // The demo's customer tenant runs from the queue on the fleet's schedule; --once runs it directly.
    if (!once) running.azuriteQueues = await startAzuriteQueues();
    running.simulator = await startSimulator({
      certificate,
      outboxDir: path.join(root, '.local', 'outbox'),
      seed: 'demo',
    });
    // Audit queries finish in seconds in the demo, instead of minutes as in a real tenant.
    running.simulator.scenario.configureAuditQueries({ notStartedMs: 2_000, runningMs: 3_000 });
  } else if (usesDevelopmentStorage(env) && !(await isListening(AZURITE_TABLE_PORT))) {
    running.azurite = await startAzuriteTables({
      port: AZURITE_TABLE_PORT,
      location: path.join(root, '.local', 'azurite'),
    });
  }
  if (!useSimulator && env.FLEET_APP_CLIENT_ID?.trim() && usesDevelopmentStorage(env)) {
    if (!(await isListening(AZURITE_QUEUE_PORT))) {
      running.azuriteQueues = await startAzuriteQueues({
        port: AZURITE_QUEUE_PORT,
        location: path.join(root, '.local', 'azurite'),
      });
    }
  }

  const simulator = running.simulator;
  const settingsEnv = {
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    ...env,
    ...(simulator && running.azurite
      ? {
          AZURE_TENANT_ID: simulator.tenantId,
          AZURE_CLIENT_ID: simulator.clientId,
          AZURE_CLIENT_SECRET: simulator.clientSecret,
          AZURE_CLIENT_CERTIFICATE_PATH: '',
          AZURE_AUTHORITY_HOST: simulator.urls.login,
          EXCHANGE_ADMIN_API_URL: simulator.urls.exchange,
          GRAPH_API_URL: simulator.urls.graph,
          EMAIL_CHANNEL: 'acs',
          ACS_CONNECTION_STRING: simulator.acsConnectionString,
          ACS_ENDPOINT: '',
          EMAIL_SENDER_ADDRESS: simulator.senderAddress,
          TABLES_CONNECTION_STRING: running.azurite.connectionString,
          TABLES_ACCOUNT_URL: '',
          AUDIT_QUERY_POLL_SECONDS: env.AUDIT_QUERY_POLL_SECONDS || '60',
          // The releases API signs in against the simulator's login service (its JWKS, its app role).
          API_AUDIENCE: env.API_AUDIENCE || SIMULATED_API.audience,
          FLEET_APP_CLIENT_ID: simulator.fleet.appClientId,
          ...(running.azuriteQueues ? { AzureWebJobsStorage: running.azuriteQueues.connectionString } : {}),
        }
      : {}),
  };

  let application: Application;
  try {
    application = await createApplication(loadSettings(settingsEnv));
  } catch (error) {
    await stop(running);
    if (error instanceof SettingsError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }

  if (simulator) {
    console.log(`Microsoft 365 simulator: scenario API at ${simulator.urls.scenario}`);
    console.log(`Emails are written to ${path.join(root, '.local', 'outbox')}`);
    await addTenantOnce(settingsEnv, DEMO_CUSTOMER_TENANT);
  }
  const servesMany = Boolean(application.settings.fleet.appClientId);
  const runCustomerTenants = () => runTenantsNow(settingsEnv, consoleLogger, printRunEvent);

  if (once) {
    try {
      const snapshot = await observeJob(application, 'snapshot', consoleLogger, printRunEvent);
      console.log(`snapshot: ${JSON.stringify(snapshot.summary)}`);
      const notify = await observeJob(application, 'notify', consoleLogger, printRunEvent);
      console.log(`notify: ${JSON.stringify(notify.summary)}`);
      if (servesMany) {
        for (const { tenantId, outcome } of await runCustomerTenants())
          console.log(`tenant ${tenantId}: ${outcome}`);
      }
      if (simulator) {
        const emails = simulator.scenario.emails();
        console.log(`${emails.length} email(s) in the outbox:`);
        for (const email of emails)
          console.log(`  ${email.emlPath ?? email.id}  to ${email.to[0]?.address}: ${email.subject}`);
      }
      return 0;
    } finally {
      await stop(running);
    }
  }

  const jobs: [string, string, () => Promise<unknown>][] = [
    [
      'snapshot',
      application.settings.schedules.snapshot,
      () => observeJob(application, 'snapshot', consoleLogger, printRunEvent),
    ],
    [
      'notify',
      application.settings.schedules.notify,
      () => observeJob(application, 'notify', consoleLogger, printRunEvent),
    ],
  ];
  // Once at start, snapshot then notify (then the customer tenants'), so the releases show within a
  // minute; then on their schedules.
  void jobs
    .reduce((previous, [name, , run]) => previous.then(() => runLogged(name, run)), Promise.resolve())
    .then(() => (servesMany ? runLogged('fleet', runCustomerTenants) : undefined));
  const localConsole = await startLocalConsole(application, settingsEnv);
  const localFleet = application.settings.fleet.appClientId
    ? await startLocalFleet(settingsEnv, consoleLogger, printRunEvent)
    : undefined;
  console.log(`Console: ${localConsole.url}`);
  const timers = jobs.map(
    ([name, schedule, run]) =>
      new Cron(schedule, { timezone: 'UTC', protect: true }, async () => {
        try {
          await run();
        } catch (error) {
          consoleLogger.error(`${name}: run failed`, { error: (error as Error).message });
        }
      }),
  );
  for (const [i, [name, schedule]] of jobs.entries()) {
    console.log(`${name}: schedule "${schedule}" (UTC), next run ${timers[i].nextRun()?.toISOString()}`);
  }
  console.log('Running; press Ctrl+C to stop. (npm start -- --once runs each job once and exits.)');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  for (const timer of timers) timer.stop();
  await localFleet?.stop();
  await localConsole.close();
  await stop(running);
  return 0;
}

/** The same run event the host sends to Application Insights, one line per run. */
function printRunEvent(line: string): void {
  console.log(line);
}

async function runLogged(name: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    consoleLogger.error(`${name}: run failed`, { error: (error as Error).message });
  }
}

async function stop(running: Running): Promise<void> {
  await running.simulator?.close();
  await running.azurite?.stop();
  await running.azuriteQueues?.stop();
}

/** Starts this same program again with the given environment and passes its exit code on. */
function relaunch(env: Record<string, string | undefined>, argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [__filename, ...argv], { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
