import type { Command } from 'commander';
import { EXIT, type CliRun } from './context';

function exitCodeOf(outcome: string): number {
  if (outcome === 'another run in progress') return EXIT.busy;
  return outcome === 'failed' ? EXIT.failed : EXIT.ok;
}

/** `snapshot` and `notify`: one run of a job, its summary as JSON on stdout. */
export function registerJobs(program: Command, run: CliRun): void {
  program
    .command('snapshot')
    .description('Run the snapshot job once: store quarantined-message metadata from Exchange Online.')
    .action(async () => {
      const summary = await (await run.openApplication()).runSnapshot(run.logger());
      run.out(JSON.stringify(summary, null, 2) + '\n');
      run.exitCode = exitCodeOf(summary.outcome);
    });

  program
    .command('notify')
    .description('Run the notify job once: read releases from the audit log and email the senders.')
    .action(async () => {
      const summary = await (await run.openApplication()).runNotify(run.logger());
      run.out(JSON.stringify(summary, null, 2) + '\n');
      run.exitCode = exitCodeOf(summary.outcome);
    });
}
