import type { Command } from 'commander';
import { observeJob } from '../../ops/observe-run';
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
      // Recorded like a timer's run, so that `qrn doctor` sees it; the run event itself is not printed.
      const observed = await observeJob(
        await run.openApplication(),
        'snapshot',
        run.logger(),
        () => undefined,
      );
      const summary = observed.summary!;
      run.out(JSON.stringify(summary, null, 2) + '\n');
      run.exitCode = exitCodeOf(summary.outcome);
    });

  program
    .command('notify')
    .description('Run the notify job once: read releases from the audit log and email the senders.')
    .action(async () => {
      // Recorded like a timer's run, so that `qrn doctor` sees it; the run event itself is not printed.
      const observed = await observeJob(await run.openApplication(), 'notify', run.logger(), () => undefined);
      const summary = observed.summary!;
      run.out(JSON.stringify(summary, null, 2) + '\n');
      run.exitCode = exitCodeOf(summary.outcome);
    });
}
