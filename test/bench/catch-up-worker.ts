/**
 * The catch-up's job process (test/bench/catch-up.ts): the app built once with `createApplication`, as a
 * Functions instance keeps it between timer ticks, running each job at the simulated time the parent
 * names, on the chaos run's clock (lib/core/clock.ts DrivenClock). One run at a time, over IPC:
 *   parent -> { job: 'snapshot' | 'notify', now: ISO }   child -> ScheduledRunResult
 */
import { loadSettings } from '../../lib/config/settings';
import { createApplication } from '../../lib/composition';
import { DrivenClock } from '../../lib/core/clock';
import {
  appEnvironment,
  countRequests,
  emptyCounts,
  quietLogger,
  type ChildJob,
  type TableCounts,
  watchRetainedHeap,
} from './shared';

export interface ScheduledRun {
  job: 'snapshot' | 'notify';
  /** The simulated time the run starts at. */
  now: string;
}

export interface ScheduledRunResult {
  job: ScheduledRun['job'];
  /** Real time the run took. */
  wallMs: number;
  /** The run's own measure, by its clock: real time plus what it slept (the audit poll). */
  durationMs: number;
  summary: Record<string, unknown>;
  tables: TableCounts;
  /** Peak RSS of this process so far. */
  peakRssBytes: number;
  /** Heap in use after the run and a full GC: what the app keeps between runs. */
  heapAfterGcBytes: number;
  /** The largest heap in use just after a full collection during the run (shared.ts watchRetainedHeap). */
  heapDuringRunBytes: number;
  error?: string;
}

export async function serveScheduledRuns(job: Extract<ChildJob, { kind: 'scheduled-runs' }>): Promise<void> {
  const clock = new DrivenClock();
  const settings = loadSettings(appEnvironment(job.endpoints, job.prefix, job.settings));
  const app = await createApplication(settings, { clock, logger: quietLogger });
  const tables = emptyCounts();
  countRequests(Object.values(app.tables), tables);
  const reply = (message: ScheduledRunResult | { ready: true }) =>
    new Promise<void>((resolve) => process.send?.(message, () => resolve()));

  process.on('message', (message: ScheduledRun | { stop: true }) => {
    if ('stop' in message) process.exit(0);
    clock.moveTo(message.now);
    Object.assign(tables, emptyCounts());
    const retained = watchRetainedHeap();
    const started = performance.now();
    const run = message.job === 'snapshot' ? app.runSnapshot() : app.runNotify();
    void run
      .then(
        (summary) => ({ summary: summary as unknown as Record<string, unknown> }),
        (error: unknown) => ({
          summary: {},
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
      )
      .then(({ summary, error }: { summary: Record<string, unknown>; error?: string }) => {
        const wallMs = performance.now() - started;
        const heapDuringRunBytes = retained();
        (globalThis as { gc?: () => void }).gc?.();
        return reply({
          job: message.job,
          wallMs,
          durationMs: typeof summary.durationMs === 'number' ? summary.durationMs : 0,
          summary,
          tables: {
            ...tables,
            queriesByTable: { ...tables.queriesByTable },
            writesByTable: { ...tables.writesByTable },
          },
          peakRssBytes: process.resourceUsage().maxRSS * 1024,
          heapAfterGcBytes: process.memoryUsage().heapUsed,
          heapDuringRunBytes,
          ...(error ? { error } : {}),
        });
      });
  });
  await reply({ ready: true });
}
