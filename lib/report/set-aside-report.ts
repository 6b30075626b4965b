import type { SetAsideEntry } from '../store/set-aside';
import { csvRecord, type ReportFormat } from './report';

/**
 * What the runs set aside (docs/architecture.md#set-aside), in the report's formats: `qrn report
 * --set-aside`. Entries carry ids and reasons only, never subjects or addresses.
 */
export async function* formatSetAside(
  entries: readonly SetAsideEntry[],
  format: ReportFormat,
): AsyncIterable<string> {
  const columns: (keyof SetAsideEntry)[] = ['lastAt', 'kind', 'ref', 'times', 'firstAt', 'reason'];
  if (format === 'json') {
    yield `${JSON.stringify(entries, columns, 2)}\n`;
    return;
  }
  if (format === 'csv') {
    yield '\ufeff' + csvRecord(columns);
    for (const e of entries) yield csvRecord(columns.map((c) => String(e[c])));
    return;
  }
  for (const e of entries)
    yield `${e.lastAt}  ${e.kind}  ${e.ref}  (${e.times}×, since ${e.firstAt}): ${e.reason}\n`;
  yield `${entries.length} set aside\n`;
}
