#!/usr/bin/env node
/**
 * The administrator's command line (`qrn`, the package's bin). Exit codes scripts can trust:
 *   0  done                         2  settings invalid or bad usage
 *   1  the job failed                3  another run holds the job's lease (nothing was done)
 */
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { loadSettings, readEnvironment, SettingsError } from '../../config/settings';
import { createApplication, type Application } from '../../composition';

export const EXIT = { ok: 0, failed: 1, usage: 2, busy: 3 } as const;

async function openApplication(): Promise<Application> {
  const env = readEnvironment({ localSettingsPath: path.join(process.cwd(), 'local.settings.json') });
  return createApplication(loadSettings(env));
}

function exitCodeOf(outcome: string): number {
  if (outcome === 'another run in progress') return EXIT.busy;
  return outcome === 'failed' ? EXIT.failed : EXIT.ok;
}

export function buildProgram(): Command {
  const program = new Command('qrn')
    .description(
      'Quarantine release notifier: tells senders when their quarantined outbound mail is released.',
    )
    .showHelpAfterError()
    .exitOverride();

  program
    .command('snapshot')
    .description('Run the snapshot job once: store quarantined-message metadata from Exchange Online.')
    .action(async () => {
      const summary = await (await openApplication()).runSnapshot();
      console.log(JSON.stringify(summary, null, 2));
      process.exitCode = exitCodeOf(summary.outcome);
    });

  program
    .command('notify')
    .description('Run the notify job once: read releases from the audit log and email the senders.')
    .action(async () => {
      const summary = await (await openApplication()).runNotify();
      console.log(JSON.stringify(summary, null, 2));
      process.exitCode = exitCodeOf(summary.outcome);
    });

  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof SettingsError) {
      console.error(error.message);
      return EXIT.usage;
    }
    console.error(`Failed: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
