#!/usr/bin/env node
/**
 * The administrator's command line (`qrn`, the package's bin). One file per command beside this one;
 * `qrn <command> --help` describes each.
 *
 *   snapshot      run the snapshot job once
 *   notify        run the notify job once
 *   report        who released what, for whom (table, CSV for Excel, JSON)
 *   doctor        check settings, sign-in, permissions and every API, with the fix for each failure
 *   permissions   grant the managed identity its permissions through Microsoft Graph (as an admin)
 *   preview       write the notification senders will get as .eml and .html files, in any language
 *   tenants       the customer tenants one deployment serves besides its own (many tenants)
 *
 * Exit codes scripts can trust:
 *   0  done: the job ran, the report was written, every doctor check passed, the permissions are in place
 *      (or --what-if printed the plan)
 *   1  failed: the job failed, storage or Graph could not be read, a doctor check failed, a permission
 *      could not be granted
 *   2  settings invalid or bad usage (unknown option, malformed --since, --status, --format, --principal-id)
 *   3  another run holds the job's lease: nothing was done (snapshot, notify)
 */
import { Command, CommanderError } from 'commander';
import { SettingsError } from '../../config/settings';
import { ReportUsageError } from '../../report/report';
import { CliRun, EXIT, type CliIo } from './context';
import { registerDoctor } from './doctor';
import { registerJobs } from './jobs';
import { registerPermissions } from './permissions';
import { registerPreview } from './preview';
import { registerReport } from './report';
import { registerTenants } from './tenants';

export { EXIT } from './context';
export type { CliIo } from './context';

export function buildProgram(run: CliRun): Command {
  const program = new Command('qrn')
    .description(
      'Quarantine release notifier: tells senders when their quarantined outbound mail is released.',
    )
    .configureOutput({
      writeOut: (text) => run.out(text),
      writeErr: (text) => run.err(text),
    })
    .showHelpAfterError()
    .exitOverride();
  registerJobs(program, run);
  registerReport(program, run);
  registerDoctor(program, run);
  registerPermissions(program, run);
  registerPreview(program, run);
  registerTenants(program, run);
  program.addHelpText(
    'after',
    `
Exit codes: 0 done, 1 failed, 2 settings invalid or bad usage, 3 another run holds the job's lease.`,
  );
  return program;
}

/** Runs one command line (without the node and script arguments) and returns its exit code. */
export async function runCli(argv: string[], io: CliIo = {}): Promise<number> {
  const run = new CliRun(io);
  try {
    await buildProgram(run).parseAsync(argv, { from: 'user' });
    return run.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof SettingsError || error instanceof ReportUsageError) {
      run.err(`${error.message}\n`);
      return EXIT.usage;
    }
    run.err(`Failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  // Exit once stdout has flushed: a large report piped to a file must not be cut short.
  runCli(process.argv.slice(2)).then((code) => process.stdout.write('', () => process.exit(code)));
}
