/**
 * `npm run chaos [-- --seed N --days N --quick --period MINUTES]`: the chaos run. Prints the
 * figures and exits non-zero when an invariant fails. See test/chaos/driver.ts.
 */
import { formatFigures, runChaos } from './driver';

function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const index = args.indexOf(`--${name}`);
  if (index >= 0) return args[index + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
}

function number(name: string, fallback: number): number {
  const text = option(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const figures = await runChaos({
    seed: number('seed', 8),
    days: number('days', quick ? 3 : 30),
    periodMinutes: number('period', 60),
    faultRate: option('fault-rate') === undefined ? undefined : number('fault-rate', 0.4),
    killRate: option('kill-rate') === undefined ? undefined : number('kill-rate', 0.12),
    azuriteRestartRate: option('azurite-rate') === undefined ? undefined : Number(option('azurite-rate')),
    messagesPerDay: option('per-day') === undefined ? undefined : number('per-day', 14),
    log: (line) => console.log(line),
  });
  console.log(formatFigures(figures));
  process.exit(figures.violations.length === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
