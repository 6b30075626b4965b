import type { Command } from 'commander';
import { systemClock } from '../../core/clock';
import { formatReport, parseFormat, parseReportQuery, reportLines } from '../../report/report';
import { formatSetAside } from '../../report/set-aside-report';
import { forTerminal } from '../../report/terminal-text';
import { listSetAside } from '../../store/set-aside';
import type { CliRun } from './context';

interface ReportOptions {
  since?: string;
  until?: string;
  status?: string;
  sender?: string;
  format?: string;
  setAside?: boolean;
  tenant?: string;
}

/** `report`: who released what, for whom, streamed from the releases table. */
export function registerReport(program: Command, run: CliRun): void {
  program
    .command('report')
    .description('Print who released what, for whom (the releases table), as a table, CSV or JSON.')
    .option(
      '--since <when>',
      'releases at or after this time: a duration back from now (30m, 12h, 7d, 2w) or an ISO date',
    )
    .option('--until <when>', 'releases before this time (same forms as --since)')
    .option('--status <status>', 'only this status: pending, notified, skipped, unmatched or failed')
    .option(
      '--sender <address>',
      'only this sender: an address, or a domain (contoso.com) with its subdomains',
    )
    .option('--format <format>', 'table, csv (UTF-8 with BOM, for Excel) or json', 'table')
    .option('--set-aside', 'list what the runs set aside (a record, row or batch that failed on its own)')
    .option('--tenant <id>', 'a customer tenant of this deployment (qrn tenants list), instead of its own')
    .addHelpText(
      'after',
      `
Examples:
  qrn report --since 7d
  qrn report --since 2026-03-01 --until 2026-04-01 --format csv > releases-march.csv
  qrn report --status failed --format json
  qrn report --sender contoso.com --since 24h

Rows come in the table's order (by message), not by time. Times are UTC.`,
    )
    .action(async (options: ReportOptions) => {
      const now = (run.io.overrides?.clock ?? systemClock).now();
      // Filters are checked before anything is opened: a typo exits 2 at once.
      const query = parseReportQuery(options, now);
      const format = parseFormat(options.format, 'table');
      const app = options.tenant
        ? await run.openTenantApplication(options.tenant)
        : await run.openApplication();
      const toTerminal = (run.stdout as { isTTY?: boolean }).isTTY === true;
      if (options.setAside) {
        await run.pipe(forTerminal(formatSetAside(await listSetAside(app.state), format), toTerminal));
        return;
      }
      await run.pipe(forTerminal(formatReport(reportLines(app.releases, query), format), toTerminal));
    });
}
