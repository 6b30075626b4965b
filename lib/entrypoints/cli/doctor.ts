import type { Command } from 'commander';
import type { Check } from '../../doctor/check';
import { runDoctor } from '../../doctor/doctor';
import { EXIT, type CliRun } from './context';

interface DoctorOptions {
  sendTest?: string;
}

const MARK: Record<Check['status'], string> = {
  pass: '[ ok ]',
  warn: '[warn]',
  fail: '[FAIL]',
  skip: '[skip]',
};
const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

export function formatCheck(check: Check): string {
  const lines = [`${MARK[check.status]} ${check.name.padEnd(28)} ${check.detail}`];
  if (check.fix) lines.push(`       ${' '.repeat(28)} fix: ${check.fix}`);
  return lines.join('\n') + '\n';
}

/** `doctor`: the checklist, printed as each check completes; exit 0 only when nothing failed. */
export function registerDoctor(program: Command, run: CliRun): void {
  program
    .command('doctor')
    .description(
      'Check every setting, the sign-in, the permissions and each API the app calls, with the fix for each failure.',
    )
    .option('--send-test <address>', 'also send one real test email to this address')
    .addHelpText(
      'after',
      `
Runs as the app (its settings and credential) and only reads: it never creates an audit log query
(the tenant may create about 200 a day) and sends no email unless --send-test is given.
Exit code 0 when every check passed (warnings allowed), 1 when one failed, 2 for bad usage.`,
    )
    .action(async (options: DoctorOptions) => {
      if (options.sendTest !== undefined && !EMAIL.test(options.sendTest.trim())) {
        run.err(`--send-test needs an email address, not "${options.sendTest}".\n`);
        run.exitCode = EXIT.usage;
        return;
      }
      const result = await runDoctor({
        env: run.env(),
        overrides: { ...run.io.overrides, logger: run.logger() },
        sendTestTo: options.sendTest?.trim(),
        onCheck: (check) => run.out(formatCheck(check)),
      });
      const count = (status: Check['status']) => result.checks.filter((c) => c.status === status).length;
      run.out(
        `${count('pass')} passed, ${count('fail')} failed, ${count('warn')} warning(s), ${count('skip')} skipped.\n`,
      );
      run.exitCode = result.ok ? EXIT.ok : EXIT.failed;
    });
}
