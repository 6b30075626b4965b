import { SETTINGS_CATALOGUE } from '../config/settings';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/log';
import type { NotifySummary } from '../jobs/notify';
import type { SnapshotSummary } from '../jobs/snapshot';
import type { StateStore } from '../store/state-store';
import { readLastRun, recordLastRun, type LastRunRecord } from './last-run-record';
import { buildRunEvent, runEventLine, type JobName, type RunEvent, type RunEventInput } from './run-event';

/** What observing a run needs: the application's state, clock and settings, and its two jobs. */
export interface ObservedApplication {
  state: StateStore;
  clock: Clock;
  settings: RunEventInput['settings'];
  runSnapshot(logger?: Logger): Promise<SnapshotSummary>;
  runNotify(logger?: Logger): Promise<NotifySummary>;
}

export interface ObservedRun<S> {
  event: RunEvent;
  /** Undefined when the job threw (the error is rethrown after the event is emitted). */
  summary?: S;
}

/**
 * Runs one job and, whatever happens, records it in the state table and emits its run event (one line,
 * see lib/ops/run-event.ts). A job that throws still gets its event; the error is then rethrown, so the
 * host marks the invocation failed. Recording is best effort: a state table that cannot be written (often
 * the very failure being reported) never hides the run's own outcome.
 */
export async function observeJob(
  app: ObservedApplication,
  job: JobName,
  logger: Logger,
  emit: (line: string, event: RunEvent) => void,
): Promise<ObservedRun<SnapshotSummary | NotifySummary>> {
  const startedAt = app.clock.now();
  let previous: LastRunRecord | undefined;
  let previousKnown = true;
  try {
    previous = await readLastRun(app.state, job);
  } catch {
    previousKnown = false;
  }
  let result: RunEventInput['result'];
  let thrown: { error: unknown } | undefined;
  try {
    result =
      job === 'snapshot'
        ? { job, summary: await app.runSnapshot(logger) }
        : { job, summary: await app.runNotify(logger) };
  } catch (error) {
    thrown = { error };
    result = { job, error };
  }
  const finishedAt = app.clock.now();
  const event = buildRunEvent({
    result,
    startedAt,
    finishedAt,
    previousFailures: previousKnown ? (previous?.consecutiveFailures ?? 0) : null,
    settings: app.settings,
  });
  try {
    if (event.outcome !== 'skipped') await recordLastRun(app.state, event, finishedAt, previous);
  } catch (error) {
    logger.warn(`${job}: the run could not be recorded in the state table`, {
      error: error instanceof Error ? error.message : String(error),
    });
  }
  emit(runEventLine(event), event);
  if (thrown) throw thrown.error;
  return { event, summary: 'summary' in result ? result.summary : undefined };
}

/** The event of a run that could not even start (invalid settings, storage unreachable at start). */
export function startFailureEvent(
  job: JobName,
  error: unknown,
  at: Date,
  settings: RunEventInput['settings'] = {
    logPersonalData: false,
    audit: {
      stuckMinutes: Number(SETTINGS_CATALOGUE.find((s) => s.name === 'AUDIT_QUERY_STUCK_MINUTES')?.default),
    },
  },
): RunEvent {
  return buildRunEvent({
    result: { job, error },
    startedAt: at,
    finishedAt: at,
    previousFailures: null,
    settings,
  });
}
