import { releasedToSomeoneElse, skipReasonFor } from '../../lib/jobs/released-to';
import { mapQuarantineRow } from '../../lib/sources/exchange/quarantine';
import { deliveryReportOf } from '../../lib/mail/acs-channel';
import { recipientCannotReceive } from '../../lib/jobs/delivery-status';
import { fixtureJson } from '../support/fixtures';

describe('who a release reached', () => {
  test('GIVEN the recorded -Identity row of a release to a reviewer THEN ReleasedUser is read and the reviewer is someone else', () => {
    const page = fixtureJson<{ value: unknown[] }>(
      'exchange/get-quarantinemessage.by-identity.released.json',
    );
    const mapped = mapQuarantineRow(page.value[0]);
    if (!('message' in mapped)) throw new Error('row not mapped');
    expect(mapped.message.releasedUsers).toEqual(['reviewer@contoso.com']);
    expect(mapped.message.releasedBy).toEqual(['adele.vance@contoso.com']);
    expect(releasedToSomeoneElse('reviewer@contoso.com', mapped.message.recipients)).toBe(true);
    expect(releasedToSomeoneElse(mapped.message.recipients[0], mapped.message.recipients)).toBe(false);
  });

  test('GIVEN a message whose recipients are not listed THEN a release cannot be called someone else’s', () => {
    expect(releasedToSomeoneElse('anyone@contoso.com', [])).toBe(false);
    expect(releasedToSomeoneElse('', ['a@fabrikam.example'])).toBe(false);
  });

  test('GIVEN domains from Graph THEN a sender outside them is told apart; from Exchange it is not', () => {
    expect(skipReasonFor('sender-outside', { isAccepted: () => false, source: 'graph' })).toBe(
      'sender-outside-graph',
    );
    expect(skipReasonFor('sender-outside', { isAccepted: () => false, source: 'exchange' })).toBe(
      'sender-outside',
    );
    expect(skipReasonFor('inbound', { isAccepted: () => false, source: 'graph' })).toBe('inbound');
  });
});

describe('recorded shapes: ACS operation status', () => {
  const answers = fixtureJson<Record<string, { status: string; error?: { code: string; message: string } }>>(
    'acs/email-operation-status.json',
  );
  test('GIVEN each recorded answer THEN it reads as its delivery state, the suppressed failure as one sending again cannot help', () => {
    expect(deliveryReportOf(answers.succeeded).state).toBe('succeeded');
    expect(deliveryReportOf(answers.running).state).toBe('in-progress');
    const failed = deliveryReportOf(answers.failedSuppressed);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'EmailDroppedAllRecipientsSuppressed' } });
    expect(recipientCannotReceive(failed.error)).toBe(true);
  });
});
