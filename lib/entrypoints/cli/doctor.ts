import type { Command } from 'commander';
import { loadSettings, SettingsError } from '../../config/settings';
import { systemClock } from '../../core/clock';
import { createDiagnosticClients } from '../../composition';
import type { Check } from '../../doctor/check';
import { runDoctor, UnknownTenantError } from '../../doctor/doctor';
import { probeWire } from '../../doctor/wire-probe';
import { EXIT, type CliRun } from './context';

interface DoctorOptions {
  sendTest?: string;
  wire?: boolean;
  tenant?: string;
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
    .option(
      '--tenant <tenant-id>',
      'check a customer tenant this deployment serves (qrn tenants list), through its own settings and sign-in',
    )
    .option(
      '--wire',
      'instead of the checklist, ask the tenant the open wire questions (read-only) and print one JSON document, ' +
        'free of addresses and subjects, to attach to a support request',
    )
    .addHelpText(
      'after',
      `
Runs as the app (its settings and credential) and only reads: it never creates an audit log query
(the tenant may create about 200 a day) and sends no email unless --send-test is given.
With --tenant: the customer tenant's checks, as its runs sign in (the multi-tenant app, with the
deployment's identity); a refusal's fix is its administrator's consent link or the directory role line.
Exit code 0 when every check passed (warnings allowed), 1 when one failed, 2 for bad usage.
With --wire: about 8 Exchange, 7 Graph (one a JSON batch of a read) and 1 ACS read-only calls; exit 0 once the JSON is printed.`,
    )
    .action(async (options: DoctorOptions) => {
      if (options.wire) {
        if (options.tenant !== undefined) {
          run.err("--wire asks the deployment's own tenant; --tenant does not go with it.\n");
          run.exitCode = EXIT.usage;
          return;
        }
        if (options.sendTest !== undefined) {
          run.err('--wire and --send-test do not go together: --wire only reads.\n');
          run.exitCode = EXIT.usage;
          return;
        }
        await printWireProbe(run);
        return;
      }
      if (options.sendTest !== undefined && !EMAIL.test(options.sendTest.trim())) {
        run.err(`--send-test needs an email address, not "${options.sendTest}".\n`);
        run.exitCode = EXIT.usage;
        return;
      }
      let result;
      try {
        result = await runDoctor({
          env: run.env(),
          overrides: { ...run.io.overrides, logger: run.logger() },
          sendTestTo: options.sendTest?.trim(),
          onCheck: (check) => run.out(formatCheck(check)),
          tenantId: options.tenant,
        });
      } catch (error) {
        if (!(error instanceof UnknownTenantError)) throw error;
        run.err(`${error.message}\n`);
        run.exitCode = EXIT.failed;
        return;
      }
      const count = (status: Check['status']) => result.checks.filter((c) => c.status === status).length;
      run.out(
        `${count('pass')} passed, ${count('fail')} failed, ${count('warn')} warning(s), ${count('skip')} skipped.\n`,
      );
      run.exitCode = result.ok ? EXIT.ok : EXIT.failed;
    });
}

/** `doctor --wire`: the wire probe's JSON on stdout (lib/doctor/wire-probe.ts), nothing else. */
async function printWireProbe(run: CliRun): Promise<void> {
  let settings;
  try {
    settings = loadSettings(run.env());
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    run.err(`${error.message}\nRun \`qrn doctor\` for each setting's fix.\n`);
    run.exitCode = EXIT.failed;
    return;
  }
  const overrides = { ...run.io.overrides, logger: run.logger() };
  const clients = createDiagnosticClients(settings, overrides);
  const report = await probeWire(clients, settings, overrides.clock ?? systemClock);
  run.out(`${JSON.stringify(report, null, 2)}\n`);
  run.exitCode = EXIT.ok;
}
