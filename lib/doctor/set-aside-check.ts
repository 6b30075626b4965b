import type { Clock } from '../core/clock';
import { listSetAside } from '../store/set-aside';
import { StateStore } from '../store/state-store';
import type { Tables } from '../store/tables';
import type { Check } from './check';

/** The doctor's view of what the runs set aside (docs/architecture.md#set-aside): a warning naming each kind. */
export async function checkSetAside(tables: Tables, clock: Clock): Promise<Check> {
  const name = 'runs: nothing set aside';
  let entries;
  try {
    entries = await listSetAside(new StateStore(tables.state, clock));
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 404) return { name, status: 'pass', detail: 'no run has stored anything yet' };
    return { name, status: 'skip', detail: 'the state table could not be read (see storage above)' };
  }
  if (entries.length === 0) return { name, status: 'pass', detail: 'no record, row or batch was set aside' };
  const byKind = new Map<string, number>();
  for (const e of entries) byKind.set(e.kind, (byKind.get(e.kind) ?? 0) + 1);
  return {
    name,
    status: 'warn',
    detail:
      `${entries.length} set aside (${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')}); latest: ` +
      `${entries[0].kind} ${entries[0].ref}: ${entries[0].reason}`,
    fix: 'List them with `qrn report --set-aside`: each failed on its own while the runs went on. Releases still pending are tried again every run, and an audit record again while the look-back covers it.',
  };
}
