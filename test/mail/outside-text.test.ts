import fc from 'fast-check';
import { composeNotification } from '../../lib/mail/compose';
import { unlinkable } from '../../lib/mail/outside-text';
import type { EmailSettings } from '../../lib/config/settings';

/** What mail clients turn into links: a scheme, or a dotted name ending in letters (a domain). */
const LINKABLE = /\b(https?):|[\p{L}\p{M}\p{N}][.\u3002\uff0e\uff61][\p{L}\p{M}\p{N}]/iu;

const settings = {
  channel: 'acs',
  senderAddress: 'DoNotReply@contoso.azurecomm.net',
  senderDisplayName: 'IT',
  hideReleaser: false,
  maxPerRun: 10,
  maxAttempts: 3,
} as unknown as EmailSettings;

describe('a link in a quoted subject is not a link', () => {
  test.each([
    [
      'Reset your password at https://evil.example/login',
      'Reset your password at hxxps://evil[.]example/login',
    ],
    ['HTTP://EVIL.EXAMPLE', 'HXXP://EVIL[.]EXAMPLE'],
    ['see www.evil.example or mail ceo@evil.example', 'see www[.]evil[.]example or mail ceo@evil[.]example'],
    ['invoice.zip from 10.0.0.1', 'invoice[.]zip from 10[.]0[.]0[.]1'],
    ['full-width evil\uff0eexample', 'full-width evil[.]example'],
    ['combining evile\u0301.example', 'combining evile\u0301[.]example'],
    ['Q1 price list. Final', 'Q1 price list. Final'],
  ])('GIVEN %j THEN it reads %j', (subject, shown) => {
    expect(unlinkable(subject)).toBe(shown);
  });

  test('GIVEN any text THEN nothing linkable is left', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.emailAddress(), fc.domain()), (text) => {
        expect(unlinkable(text)).not.toMatch(LINKABLE);
      }),
      { numRuns: 500 },
    );
  });

  test('GIVEN a released message whose subject carries a URL THEN neither the HTML nor the plain-text part quotes it as a link, and the sender still recognises it', () => {
    const email = composeNotification(
      {
        sender: 'megan.bowen@contoso.com',
        followUp: false,
        messages: [
          {
            subject: 'Update your bank details at https://evil.example/pay',
            originalRecipients: ['buyer@fabrikam.example'],
            releasedTo: ['buyer@fabrikam.example'],
            quarantinedAt: '2026-03-02T09:00:00Z',
            releasedAt: '2026-03-02T10:00:00Z',
            releaser: { kind: 'administrator' },
            type: 'TransportRule',
          },
        ],
      },
      settings,
    );
    for (const part of [email.plainText, email.html.slice(email.html.indexOf('<body'))]) {
      expect(part).not.toContain('https://evil.example');
      expect(part).toContain('Update your bank details at hxxps://evil[.]example/pay');
    }
  });
});
