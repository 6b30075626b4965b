/**
 * Outcomes and reasons as short codes, each with the sentence a person reads beside it. Entry points (CLI
 * exit codes, HTTP statuses, a timer's failed invocation, alerts) decide from the code; the sentence is
 * only ever shown.
 */

/** How one run of a job (snapshot or notify) ended, as its summary says. */
export const JOB_OUTCOMES = ['completed', 'busy', 'failed'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

const JOB_OUTCOME_TEXT: Record<JobOutcome, string> = {
  completed: 'completed',
  busy: 'another run in progress',
  failed: 'failed',
};

/** The sentence for a job outcome ("another run in progress" for `busy`). */
export function describeJobOutcome(code: JobOutcome): string {
  return JOB_OUTCOME_TEXT[code];
}

/** How a run ended, as its run event says (what an alert and the doctor decide on). */
export const RUN_OUTCOMES = [
  /** The run did all its work. */
  'completed',
  /** The run finished, but a part of it failed and is carried to the next run (e.g. the audit log). */
  'partial',
  /** The run stopped: nothing after the failure was done. */
  'failed',
  /** Another run held the lease: this one did nothing. */
  'skipped',
] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];
