import { nextAttempt, recipientCannotReceive } from '../../lib/jobs/delivery-status';
import { deliveryReportOf } from '../../lib/mail/acs-channel';
import { attemptOperationId, type NotificationRecord } from '../../lib/store/notifications-store';

const base: NotificationRecord = {
  sender: 'megan.bowen@contoso.com',
  id: '11111111-2222-5333-8444-555555555555',
  operationId: '11111111-2222-5333-8444-555555555555',
  state: 'abandoned',
  units: [{ networkMessageId: 'n', releasedTo: 'buyer@fabrikam.example' }],
  deliveredTo: 'megan.bowen@contoso.com',
  channel: 'acs',
  createdAt: '2026-03-02T16:00:00.000Z',
};

describe('reading an ACS operation', () => {
  test.each([
    [{ status: 'Succeeded' }, 'succeeded'],
    [{ status: 'Running' }, 'in-progress'],
    [{ status: 'NotStarted' }, 'in-progress'],
    [{ status: 'Failed', error: { code: 'EmailSendFailed', message: 'x' } }, 'failed'],
    [{ status: 'Canceled' }, 'failed'],
    [{ status: 'Queued' }, 'unknown'],
    [{}, 'unknown'],
  ])(
    'GIVEN %j THEN the delivery state is %s (an undocumented state is unknown, never "not sent")',
    (answer, state) => {
      expect(deliveryReportOf(answer).state).toBe(state);
    },
  );

  test('GIVEN a suppressed or invalid recipient THEN sending again cannot help; a generic failure can', () => {
    expect(recipientCannotReceive({ code: 'EmailDroppedAllRecipientsSuppressed' })).toBe(true);
    expect(recipientCannotReceive({ message: 'The recipient address is invalid' })).toBe(true);
    expect(recipientCannotReceive({ code: 'EmailSendFailed', message: 'could not be sent' })).toBe(false);
    expect(recipientCannotReceive(undefined)).toBe(false);
  });
});

describe('the operation id of the next attempt', () => {
  test('GIVEN a known failure THEN the next attempt gets a new id, kept after the earlier ones', () => {
    const next = nextAttempt({ ...base, delivery: 'resend', attempts: [base.id] });
    expect(next.operationId).toBe(attemptOperationId(base.id, 2));
    expect(next.operationId).not.toBe(base.id);
    expect(next.attempts).toEqual([base.id, next.operationId]);
  });

  test('GIVEN an id the service never saw (no known failure) THEN the same id is used again', () => {
    const next = nextAttempt({ ...base, attempts: [base.id] });
    expect(next).toMatchObject({ operationId: base.id, attempts: [base.id] });
  });

  test('attempt ids are UUID-shaped, deterministic and distinct', () => {
    const ids = [1, 2, 3].map((n) => attemptOperationId(base.id, n));
    expect(ids[0]).toBe(base.id);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(attemptOperationId(base.id, 2)).toBe(ids[1]);
  });
});
