import type { Command } from 'commander';
import { describeJobOutcome, type JobOutcome } from '../../core/outcomes';
import { observeJob } from '../../ops/observe-run';
import { EXIT, type CliRun } from './context';

/** The exit code of `qrn snapshot` and `qrn notify`, from the run's outcome code. */
export const EXIT_CODE_OF_OUTCOME: Record<JobOutcome, number> = {
  completed: EXIT.ok,
  busy: EXIT.busy,
  failed: EXIT.failed,
};

/** The summary as printed: the outcome's code, and its sentence beside it. */
function printable(summary: { outcome: JobOutcome }): string {
  return JSON.stringify({ ...summary, outcomeText: describeJobOutcome(summary.outcome) }, null, 2) + '\n';
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
      run.out(printable(summary));
      run.exitCode = EXIT_CODE_OF_OUTCOME[summary.outcome];
    });

  program
    .command('notify')
    .description('Run the notify job once: read releases from the audit log and email the senders.')
    .action(async () => {
      // Recorded like a timer's run, so that `qrn doctor` sees it; the run event itself is not printed.
      const observed = await observeJob(await run.openApplication(), 'notify', run.logger(), () => undefined);
      const summary = observed.summary!;
      run.out(printable(summary));
      run.exitCode = EXIT_CODE_OF_OUTCOME[summary.outcome];
    });
}
