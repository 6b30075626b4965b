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

/**
 * Why a release was not (or not yet) told, or how its telling went: the `reasonCode` of a releases row, with
 * the sentence (`reason`) beside it. The sentence may carry details (an attempt count, the service's own
 * words); the code never does.
 */
export const RELEASE_REASONS = [
  // Not to be told (status skipped).
  'no-sender',
  'sender-unusable',
  'sender-outside',
  'sender-outside-graph',
  'inbound',
  'direction-unknown',
  'system-release',
  'not-in-scope',
  'dry-run',
  'released-to-someone-else',
  // Waiting (status pending).
  'waiting-for-snapshot',
  'waiting-to-send',
  'sending',
  'send-unconfirmed',
  'send-retry',
  'delivery-retry',
  // Ended.
  'not-in-snapshot',
  'send-failed',
  'delivery-failed',
  'redirected',
  'delivered',
  /** A sentence none of the above (a row written by a version that said something else). */
  'other',
] as const;
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

/** The reasons whose sentence is fixed: the sentence is exactly this. */
const FIXED_REASON_TEXT = {
  'no-sender': 'no sender',
  'sender-unusable': 'sender address not usable',
  'sender-outside': 'sender outside the tenant',
  'sender-outside-graph': 'sender outside the tenant (domains from Graph)',
  inbound: 'inbound',
  'direction-unknown': 'direction unknown',
  'system-release': 'system release',
  'not-in-scope': 'not in scope',
  'dry-run': 'dry run',
  'released-to-someone-else': 'released to someone else',
  'waiting-for-snapshot': 'waiting for the message in the snapshot',
  sending: 'sending',
} as const satisfies Partial<Record<ReleaseReason, string>>;

/** A reason whose sentence is fixed. */
export type FixedReleaseReason = keyof typeof FIXED_REASON_TEXT;

/** The sentence of a reason whose sentence is fixed ("dry run" for `dry-run`). */
export function describeReleaseReason(code: FixedReleaseReason): string {
  return FIXED_REASON_TEXT[code];
}

/** A reason as a releases row stores it: the code it was decided with, and the sentence a person reads. */
export interface DecidedReason {
  reason: string;
  reasonCode: ReleaseReason;
}

/** A reason given where it is decided: a fixed one by its code, one with details by its code and sentence. */
export function releaseReason(code: FixedReleaseReason): DecidedReason;
export function releaseReason(code: ReleaseReason, sentence: string): DecidedReason;
export function releaseReason(code: ReleaseReason, sentence?: string): DecidedReason {
  return { reason: sentence ?? FIXED_REASON_TEXT[code as FixedReleaseReason], reasonCode: code };
}

/** The reasons whose sentence carries details, by how the sentence starts. */
const REASON_PATTERNS: [RegExp, ReleaseReason][] = [
  [/^waiting to be sent\b/, 'waiting-to-send'],
  [/^send failed \(attempt \d+\); the next run asks\b/, 'send-unconfirmed'],
  [/^send failed \(attempt \d+\), will retry\b/, 'send-retry'],
  [/^send failed after \d+ attempts?\b/, 'send-failed'],
  [/^ACS could not deliver the email \(attempt \d+\)/, 'delivery-retry'],
  [/^ACS could not deliver the email\b/, 'delivery-failed'],
  [/^the message was not found in the quarantine snapshot\b/, 'not-in-snapshot'],
  [/^redirected to\b/, 'redirected'],
  [/^delivered\b/, 'delivered'],
];

const FIXED_BY_TEXT = new Map<string, ReleaseReason>(
  Object.entries(FIXED_REASON_TEXT).map(([code, text]) => [text, code as ReleaseReason]),
);

/**
 * The code of a reason's sentence: how a row is given its `reasonCode` when written, and how a row written
 * before codes existed (sentence only) is read. Text none of the codes knows is `other`, its sentence kept.
 */
export function releaseReasonOf(sentence: string | undefined): ReleaseReason | undefined {
  if (sentence === undefined || sentence === '') return undefined;
  const fixed = FIXED_BY_TEXT.get(sentence);
  if (fixed) return fixed;
  return REASON_PATTERNS.find(([pattern]) => pattern.test(sentence))?.[1] ?? 'other';
}

/**
 * What went wrong with a notification's last send (`lastErrorCode` beside `lastError`): throttled; refused by
 * the email channel, in its own words (a send it answered with a failure); the channel's status said the
 * send failed; ACS accepted it, then reported it Failed; ACS accepted it and never gave a final state.
 */
export const NOTIFICATION_ERRORS = [
  'throttled',
  'send-refused',
  'send-failed',
  'delivery-failed',
  'delivery-unconfirmed',
] as const;
export type NotificationError = (typeof NOTIFICATION_ERRORS)[number];

const NOTIFICATION_ERROR_PATTERNS: [RegExp, NotificationError][] = [
  [/^throttled$/, 'throttled'],
  [/^the email channel reported the send failed\b/, 'send-failed'],
  [/^ACS accepted the email, then reported it Failed\b/, 'delivery-failed'],
  [/^ACS accepted the email but never reported its delivery\b/, 'delivery-unconfirmed'],
];

/**
 * The code of a notification's `lastError`: given by the store on every write, and read from the sentence
 * for a record written before codes existed. Any other text is the channel's own words for a send it
 * refused (the only other writer of `lastError`).
 */
export function notificationErrorOf(sentence: string | undefined): NotificationError | undefined {
  if (sentence === undefined || sentence === '') return undefined;
  return NOTIFICATION_ERROR_PATTERNS.find(([pattern]) => pattern.test(sentence))?.[1] ?? 'send-refused';
}
