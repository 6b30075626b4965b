import {
  describeJobOutcome,
  describeReleaseReason,
  JOB_OUTCOMES,
  notificationErrorOf,
  RELEASE_REASONS,
  releaseReasonOf,
  RUN_OUTCOMES,
} from '../../lib/core/outcomes';
import { EXIT } from '../../lib/entrypoints/cli/context';
import { EXIT_CODE_OF_OUTCOME } from '../../lib/entrypoints/cli/jobs';

describe('job outcomes', () => {
  it('GIVEN a run that found another holding the lease THEN its code is busy and its sentence the one people read', () => {
    expect(describeJobOutcome('busy')).toBe('another run in progress');
    expect(describeJobOutcome('completed')).toBe('completed');
    expect(describeJobOutcome('failed')).toBe('failed');
  });

  it('GIVEN each outcome code THEN the command line exits by the one table: 0 completed, 1 failed, 3 busy', () => {
    expect(Object.keys(EXIT_CODE_OF_OUTCOME).sort()).toEqual([...JOB_OUTCOMES].sort());
    expect(EXIT_CODE_OF_OUTCOME).toEqual({ completed: EXIT.ok, failed: EXIT.failed, busy: EXIT.busy });
    expect([EXIT.ok, EXIT.failed, EXIT.busy]).toEqual([0, 1, 3]);
  });

  it('GIVEN the run event outcomes THEN they are the codes the alerts read', () => {
    expect(RUN_OUTCOMES).toEqual(['completed', 'partial', 'failed', 'skipped']);
  });
});

describe('release reasons', () => {
  it('GIVEN a reason with a fixed sentence THEN the sentence reads back as the same code', () => {
    for (const code of [
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
      'waiting-for-snapshot',
      'sending',
    ] as const) {
      expect(releaseReasonOf(describeReleaseReason(code))).toBe(code);
    }
    expect(describeReleaseReason('dry-run')).toBe('dry run');
  });

  it.each([
    ['waiting to be sent: the email service is throttling (retry after 30 s)', 'waiting-to-send'],
    ['waiting to be sent again after an interrupted run', 'waiting-to-send'],
    [
      'send failed (attempt 1); the next run asks the email service whether it went out: timeout',
      'send-unconfirmed',
    ],
    ['send failed (attempt 2), will retry: 503', 'send-retry'],
    ['send failed after 1 attempt: rejected', 'send-failed'],
    ['send failed after 5 attempts: no answer', 'send-failed'],
    [
      'ACS could not deliver the email (attempt 2); sending again under a new operation id: x',
      'delivery-retry',
    ],
    ['ACS could not deliver the email, the recipient cannot receive mail: suppressed', 'delivery-failed'],
    ['ACS could not deliver the email after 3 attempts: x', 'delivery-failed'],
    ['the message was not found in the quarantine snapshot within 48 hours', 'not-in-snapshot'],
    ['redirected to someone@contoso.com', 'redirected'],
    ['delivered (ACS confirmed it by 2026-03-02T11:00:00.000Z)', 'delivered'],
    ['a sentence from another version', 'other'],
  ])('GIVEN the sentence "%s" THEN its code is %s', (sentence, code) => {
    expect(releaseReasonOf(sentence)).toBe(code);
    expect(RELEASE_REASONS).toContain(code);
  });

  it('GIVEN no sentence THEN there is no code', () => {
    expect(releaseReasonOf(undefined)).toBeUndefined();
    expect(releaseReasonOf('')).toBeUndefined();
  });
});

describe('notification errors', () => {
  it("GIVEN no last error THEN no code; GIVEN the channel's own words THEN send-refused", () => {
    expect(notificationErrorOf(undefined)).toBeUndefined();
    expect(notificationErrorOf('throttled')).toBe('throttled');
    expect(notificationErrorOf('throttled by the server')).toBe('send-refused');
    expect(notificationErrorOf('the email channel reported the send failed')).toBe('send-failed');
  });
});
