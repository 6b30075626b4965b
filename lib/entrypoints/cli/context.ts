import { once } from 'node:events';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { TokenCredential } from '@azure/identity';
import { loadSettings, readEnvironment, type Environment, type Settings } from '../../config/settings';
import { createLogger, type Logger } from '../../core/log';
import {
  createApplication,
  createFleet,
  type Application,
  type ApplicationOverrides,
} from '../../composition';
import { tenantIdOf } from '../../fleet/tenant-settings';

/** Exit codes scripts can trust (documented in main.ts and the README). */
export const EXIT = { ok: 0, failed: 1, usage: 2, busy: 3 } as const;

/**
 * What a command runs with. Everything has a default for the real command line; tests inject output
 * streams, the environment, and clients (the simulator's clock and credentials).
 */
export interface CliIo {
  stdout?: Writable;
  stderr?: Writable;
  /** Default: the process environment over ./local.settings.json (Values), as the Functions host reads it. */
  env?: Environment;
  /** Passed to createApplication (tests: clock, credential, logger). */
  overrides?: ApplicationOverrides;
  /** `permissions`: the administrator's credential (default: Azure CLI, then Azure Developer CLI). */
  adminCredential?: TokenCredential;
  /** Waits (permissions waits for a new identity to replicate); tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
}

/** One invocation's state: its streams, its environment, and the exit code its action settles on. */
export class CliRun {
  exitCode: number = EXIT.ok;
  readonly stdout: Writable;
  readonly stderr: Writable;
  private environment?: Environment;

  constructor(readonly io: CliIo) {
    this.stdout = io.stdout ?? process.stdout;
    this.stderr = io.stderr ?? process.stderr;
  }

  env(): Environment {
    this.environment ??=
      this.io.env ?? readEnvironment({ localSettingsPath: path.join(process.cwd(), 'local.settings.json') });
    return this.environment;
  }

  settings(): Settings {
    return loadSettings(this.env());
  }

  /** Log lines go to stderr, so that stdout carries only the command's output (CSV, JSON). */
  logger(): Logger {
    return (
      this.io.overrides?.logger ??
      createLogger((level, line) => {
        this.stderr.write(`${level === 'info' ? 'INFO ' : level.toUpperCase()} ${line}\n`);
      })
    );
  }

  openApplication(): Promise<Application> {
    return createApplication(this.settings(), { ...this.io.overrides, logger: this.logger() });
  }

  /** A customer tenant's application (docs/architecture.md#many-tenants): its own tables and sign-in. */
  async openTenantApplication(tenantId: string): Promise<Application> {
    const fleet = createFleet(this.env(), { ...this.io.overrides, logger: this.logger() });
    const tenant = await fleet.tenants.get(tenantIdOf(tenantId));
    if (!tenant)
      throw new Error(`no tenant ${tenantId} is served by this deployment (qrn tenants list shows them)`);
    return fleet.openTenant(tenant, this.logger());
  }

  out(text: string): void {
    this.stdout.write(text);
  }

  err(text: string): void {
    this.stderr.write(text);
  }

  /** Writes a stream of chunks to stdout, waiting whenever stdout asks to (a slow pipe, a large report). */
  async pipe(chunks: AsyncIterable<string>): Promise<void> {
    for await (const chunk of chunks) {
      if (!this.stdout.write(chunk)) await once(this.stdout, 'drain');
    }
  }
}
