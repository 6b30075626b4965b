/* eslint-disable no-control-regex -- these tests look for control characters */
import fc from 'fast-check';
import type { EmailSettings } from '../../lib/config/settings';
import {
  composeNotification,
  cleanLine,
  formatUtc,
  LIMITS,
  reasonText,
  truncate,
  type Notification,
  type ReleasedMessageSummary,
} from '../../lib/mail/compose';

const settings: EmailSettings = {
  channel: 'acs',
  acs: { kind: 'endpoint', endpoint: 'https://contoso.communication.azure.com' },
  senderAddress: 'DoNotReply@contoso.example',
  senderDisplayName: 'Contoso mail quarantine',
  supportContact: 'the IT service desk at help@contoso.com',
  disclaimer: 'This is an automated message.\nContoso Ltd, internal use only.',
  hideReleaser: false,
  maxPerRun: 5,
  maxAttempts: 5,
};

/** The fixture's transport-rule message, released by an admin to both recipients. */
const priceList: ReleasedMessageSummary = {
  subject: 'Q1 price list (confidential)',
  originalRecipients: ['buyer@fabrikam.example', 'ap@fabrikam.example'],
  releasedTo: ['buyer@fabrikam.example', 'ap@fabrikam.example'],
  quarantinedAt: '2026-03-02T09:14:22.1234567+00:00',
  releasedAt: '2026-03-02T11:05:00Z',
  releaser: { kind: 'person', name: 'Adele Vance' },
  type: 'TransportRule',
  policyType: 'ExchangeTransportRule',
  policyName: 'Quarantine outbound confidential',
};

const one = (message: Partial<ReleasedMessageSummary> = {}, followUp = false): Notification => ({
  sender: 'megan.bowen@contoso.com',
  messages: [{ ...priceList, ...message }],
  followUp,
});

/** Every tag in the HTML, by name: our own template uses only these. */
const OUR_TAGS = new Set([
  '!doctype',
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'span',
  'p',
  'h2',
  'table',
  'tr',
  'th',
  'td',
]);
function tagsIn(html: string): string[] {
  return [...html.matchAll(/<\/?([!a-z][a-z0-9]*)/gi)].map((m) => m[1].toLowerCase());
}

// C0, DEL, C1 controls; bidi embeddings/overrides/isolates/marks; zero-width; line/paragraph separators.
const FORBIDDEN_IN_SUBJECT =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('the notification a sender receives', () => {
  describe('GIVEN an administrator released one message to both its recipients', () => {
    const email = composeNotification(one(), settings);

    it('THEN the subject says the held message was released and names it', () => {
      expect(email.subject).toBe('Your held message "Q1 price list (confidential)" was released');
    });

    it('THEN both the HTML and the plain text show every field', () => {
      for (const body of [email.html, email.plainText]) {
        expect(body).toContain('Q1 price list (confidential)');
        expect(body).toContain('Originally sent to');
        expect(body).toContain('buyer@fabrikam.example, ap@fabrikam.example');
        expect(body).toContain('Released to');
        expect(body).toContain('Monday 2 March 2026, 09:14 UTC');
        expect(body).toContain('Monday 2 March 2026, 11:05 UTC');
        expect(body).toContain('Adele Vance');
        const quote = body === email.html ? '&quot;' : '"';
        expect(body).toContain(`a mail flow rule ${quote}Quarantine outbound confidential${quote}`);
        expect(body).toContain('megan.bowen@contoso.com');
        expect(body).toContain('Questions? Contact the IT service desk at help@contoso.com.');
        expect(body).toContain('This is an automated message.');
        expect(body).toContain('Contoso Ltd, internal use only.');
        expect(body).toContain('Contoso mail quarantine');
      }
    });

    it('THEN the plain text reads as labelled lines', () => {
      expect(email.plainText).toContain('Released by: Adele Vance');
      expect(email.plainText).toContain('Released at: Monday 2 March 2026, 11:05 UTC');
      expect(email.plainText).toContain('Held (quarantined) at: Monday 2 March 2026, 09:14 UTC');
    });

    it('GIVEN a release time known only from the quarantine status THEN the email says "no later than", never "at"', () => {
      const seenEarly = composeNotification(one({ releasedAtExact: false }), settings);
      expect(seenEarly.plainText).toContain('Released no later than: Monday 2 March 2026, 11:05 UTC');
      expect(seenEarly.plainText).not.toContain('Released at:');
      expect(seenEarly.html).toContain('Released no later than');
    });

    it('THEN the HTML is a complete UTF-8 document built from our own tags only', () => {
      expect(email.html.startsWith('<!DOCTYPE html>')).toBe(true);
      expect(email.html).toContain('<meta charset="utf-8">');
      expect(tagsIn(email.html).every((t) => OUR_TAGS.has(t))).toBe(true);
    });
  });

  describe('GIVEN the different kinds of releaser', () => {
    const releasedBy = (releaser: ReleasedMessageSummary['releaser'], hideReleaser = false) =>
      /Released(?: by)?: (.*)/.exec(
        composeNotification(one({ releaser }), { ...settings, hideReleaser }).plainText,
      )?.[1];

    it('THEN a person is named', () => {
      expect(releasedBy({ kind: 'person', name: 'Adele Vance' })).toBe('Adele Vance');
    });
    it('THEN an unnamed administrator reads "an administrator"', () => {
      expect(releasedBy({ kind: 'administrator' })).toBe('an administrator');
    });
    it('THEN a system release says Microsoft 365 released it automatically', () => {
      expect(releasedBy({ kind: 'system' })).toBe('automatically by Microsoft 365');
      expect(composeNotification(one({ releaser: { kind: 'system' } }), settings).plainText).toContain(
        'Released: automatically by Microsoft 365',
      );
    });
    it('THEN with EMAIL_HIDE_RELEASER the name appears nowhere', () => {
      const email = composeNotification(one({ releaser: { kind: 'person', name: 'Adele Vance' } }), {
        ...settings,
        hideReleaser: true,
      });
      expect(email.plainText).toContain('Released by: an administrator');
      expect(email.html + email.plainText + email.subject).not.toContain('Adele');
    });
  });

  describe('GIVEN a follow-up for a message already notified', () => {
    const email = composeNotification(one({ releasedTo: ['ap@fabrikam.example'] }, true), settings);
    it('THEN the subject and the text say it went to more recipients, naming only the new ones', () => {
      expect(email.subject).toBe(
        'Your held message "Q1 price list (confidential)" was released to more recipients',
      );
      expect(email.plainText).toContain('Now also released to: ap@fabrikam.example');
      expect(email.plainText).toContain('names only the recipients it was released to since then');
      expect(email.plainText).not.toMatch(/Now also released to: .*buyer@/);
    });
  });

  describe('GIVEN three released messages', () => {
    const n: Notification = {
      sender: 'megan.bowen@contoso.com',
      messages: [
        priceList,
        {
          ...priceList,
          subject: 'Second',
          releaser: { kind: 'system' },
          type: 'DataLossPrevention',
          policyType: 'DataLossPreventionRule',
          policyName: 'U.S. HIPAA Enhanced',
        },
        {
          ...priceList,
          subject: 'Third',
          releaser: { kind: 'administrator' },
          type: 'High Confidence Phish',
          policyType: undefined,
          policyName: undefined,
        },
      ],
      followUp: false,
    };
    const email = composeNotification(n, settings);
    it('THEN the subject counts them without quoting any subject', () => {
      expect(email.subject).toBe('3 of your held messages were released');
    });
    it('THEN each message has its own block with its own reason', () => {
      expect(email.plainText).toContain('Message 1 of 3');
      expect(email.plainText).toContain('Message 3 of 3');
      expect(email.plainText).toContain('a data loss prevention (DLP) policy "U.S. HIPAA Enhanced"');
      expect(email.plainText).toContain('Held because of: high-confidence phishing protection');
    });
    it('THEN a follow-up of several says so in the subject', () => {
      expect(composeNotification({ ...n, followUp: true }, settings).subject).toBe(
        '3 of your held messages were released to more recipients',
      );
    });
  });

  describe('GIVEN missing or odd values', () => {
    it('THEN unknown times, reasons and recipients say "not known", and an empty subject reads "(no subject)"', () => {
      const email = composeNotification(
        one({
          subject: '',
          quarantinedAt: undefined,
          releasedAt: 'yesterday <b>',
          originalRecipients: [],
          type: undefined,
          policyType: undefined,
          policyName: undefined,
        }),
        settings,
      );
      expect(email.subject).toBe('Your held message "(no subject)" was released');
      expect(email.plainText).toContain('Held (quarantined) at: not known');
      expect(email.plainText).toContain('Released at: not known');
      expect(email.plainText).toContain('Originally sent to: not known');
      expect(email.plainText).toContain('Held because of: not known');
      expect(email.plainText).not.toContain('yesterday');
    });

    it('THEN the reason reads naturally for each kind of quarantine', () => {
      expect(
        reasonText({ type: 'Spam', policyType: 'HostedContentFilterPolicy', policyName: 'Default' }),
      ).toBe('spam filtering (anti-spam policy "Default")');
      expect(reasonText({ type: 'TransportRule' })).toBe('a mail flow rule');
      expect(reasonText({ policyType: 'ExchangeTransportRule', policyName: 'X' })).toBe('mail flow rule "X"');
      expect(reasonText({ type: 'SomethingNew', policyName: 'Y' })).toBe('SomethingNew (policy "Y")');
    });

    it('THEN a time without a zone is read as UTC', () => {
      expect(formatUtc('2026-03-02T09:14:22')).toBe('Monday 2 March 2026, 09:14 UTC');
      expect(formatUtc('2026-03-02T10:14:22+01:00')).toBe('Monday 2 March 2026, 09:14 UTC');
    });

    it('THEN no support contact or disclaimer leaves no empty lines behind', () => {
      const email = composeNotification(one(), {
        ...settings,
        supportContact: undefined,
        disclaimer: undefined,
      });
      expect(email.plainText).not.toContain('Questions?');
      expect(email.html).not.toContain('<p></p>');
    });

    it('THEN a long recipient list is capped with "and N more"', () => {
      const many = Array.from({ length: 25 }, (_, i) => `r${i}@fabrikam.example`);
      const email = composeNotification(one({ originalRecipients: many }), settings);
      expect(email.plainText).toContain(`r9@fabrikam.example and ${25 - LIMITS.recipientsShown} more`);
      expect(email.plainText).not.toContain('r10@fabrikam.example');
    });

    it('THEN more messages than the cap are counted, not listed', () => {
      const messages = Array.from({ length: LIMITS.messagesShown + 7 }, (_, i) => ({
        ...priceList,
        subject: `m${i}`,
      }));
      const email = composeNotification({ sender: 'a@contoso.com', messages, followUp: false }, settings);
      expect(email.plainText).toContain('7 more released messages are not listed in this email.');
      expect(email.plainText).toContain(`The first ${LIMITS.messagesShown} are listed here.`);
    });
  });
});

describe('attacker-controlled text stays text (hostile corpus)', () => {
  const hostileSubjects: Record<string, string> = {
    html: '<b>Invoice</b> & <i>"urgent"</i>',
    script: '<script>alert(document.cookie)</script>',
    attributeBreakout: '"><img src=x onerror=alert(1)>',
    singleQuoteBreakout: "'><svg onload=alert(1)>",
    headerInjection: 'Hello\r\nBcc: victim@evil.example\r\nX-Injected: yes',
    lfOnly: 'line one\nline two\n\nSubject: fake',
    rtlOverride: 'Invoice \u202Egpj.exe\u202C',
    bidiIsolates: 'a\u2066b\u2067c\u2068d\u2069e\u200Ff\u200Eg\u061C',
    zeroWidth: 'pa\u200Bypal\u200D\uFEFF',
    nul: 'before\u0000after',
    controls: 'bell\u0007 esc\u001B[31m red del\u007F c1\u0085\u009B',
    lineSeparators: 'one\u2028two\u2029three',
    emoji: '🎉 Party 👨‍👩‍👧‍👦 time 🇫🇷',
    loneSurrogates: 'broken \uD800 and \uDFFF halves',
    comment: '<!-- hidden --> visible',
    cdata: '<![CDATA[ x ]]>',
    entities: '&lt;already escaped&gt; &amp; &#60;script&#62;',
    huge: 'A'.repeat(100 * 1024),
    hugeHtml: '<script>'.repeat(20_000),
    zalgo: 'Z' + '\u0301'.repeat(5000) + 'algo',
    empty: '',
    whitespaceOnly: ' \t\r\n ',
  };

  const hostileAddresses: Record<string, string> = {
    scriptInQuotes: '"<script>alert(1)</script>"@evil.example',
    escapedQuote: '"john..doe\\"quoted"@example.com',
    comment: 'user(comment<b>)@example.com',
    nameAndAngleBrackets: '"Bob Smith" <bob@example.com>',
    headerInjection: 'victim@example.com\r\nBcc: x@evil.example',
    homoglyphCyrillicA: 'ceo@\u0430pple.com',
    homoglyphCyrillicO: 'admin@paypal.c\u043Em',
    rtlDomain: 'rtl@\u202Emoc.elgoog',
    nul: 'nul\u0000@example.com',
    huge: 'x'.repeat(10_000) + '@example.com',
  };

  const check = (name: string, email: ReturnType<typeof composeNotification>) => {
    // The HTML holds only our own tags: nothing from the input became markup.
    expect({ name, tags: tagsIn(email.html).filter((t) => !OUR_TAGS.has(t)) }).toEqual({ name, tags: [] });
    expect(email.html).not.toMatch(/<script|<img|<svg|<!--|<!\[CDATA/i);
    // Our subject line: one line, printable, bounded.
    expect(email.subject).not.toMatch(FORBIDDEN_IN_SUBJECT);
    expect(email.subject).not.toMatch(LONE_SURROGATE);
    expect(email.subject.length).toBeLessThanOrEqual(LIMITS.subjectLine);
    // Plain text: no controls other than the newlines between our own lines.
    expect(email.plainText).not.toMatch(
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/,
    );
    expect(email.plainText).not.toMatch(LONE_SURROGATE);
    expect(email.html).not.toMatch(LONE_SURROGATE);
    // Bounded: well under ACS's 10 MB.
    expect(email.html.length + email.plainText.length).toBeLessThan(200_000);
  };

  it.each(Object.entries(hostileSubjects))(
    'GIVEN a %s subject THEN the email stays well-formed',
    (name, subject) => {
      check(name, composeNotification(one({ subject }), settings));
      check(
        name,
        composeNotification(
          { ...one({ subject }), messages: [{ ...priceList, subject }, priceList] },
          settings,
        ),
      );
    },
  );

  it.each(Object.entries(hostileAddresses))(
    'GIVEN a %s address THEN the email stays well-formed',
    (name, address) => {
      const email = composeNotification(
        {
          sender: address,
          messages: [{ ...priceList, originalRecipients: [address], releasedTo: [address] }],
          followUp: false,
        },
        settings,
      );
      check(name, email);
    },
  );

  it('THEN HTML and script in a subject show as text: escaped in HTML, verbatim in plain text', () => {
    const email = composeNotification(one({ subject: hostileSubjects.script }), settings);
    expect(email.html).toContain('&lt;script&gt;alert(document.cookie)&lt;/script&gt;');
    expect(email.plainText).toContain('<script>alert(document[.]cookie)</script>'); // never a link
    const breakout = composeNotification(one({ subject: hostileSubjects.attributeBreakout }), settings);
    expect(breakout.html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });

  it('THEN already-escaped entities are escaped again, so they read as typed', () => {
    const email = composeNotification(one({ subject: hostileSubjects.entities }), settings);
    expect(email.html).toContain('&amp;lt;already escaped&amp;gt; &amp;amp; &amp;#60;script&amp;#62;');
  });

  it('THEN CR/LF in a subject cannot add a header: our subject is one line', () => {
    const email = composeNotification(one({ subject: hostileSubjects.headerInjection }), settings);
    expect(email.subject).toBe(
      'Your held message "Hello Bcc: victim@evil.example X-Injected: yes" was released',
    );
    expect(email.plainText).toContain('Subject: Hello Bcc: victim@evil[.]example X-Injected: yes');
  });

  it('THEN a right-to-left override cannot disguise "exe" as "jpg"', () => {
    const email = composeNotification(one({ subject: hostileSubjects.rtlOverride }), settings);
    expect(email.subject).toContain('Invoice gpj.exe');
    expect(email.html + email.plainText).not.toContain('\u202E');
  });

  it('THEN a homoglyph domain is shown with its ASCII (punycode) form', () => {
    const email = composeNotification(one({ releasedTo: ['ceo@\u0430pple.com'] }), settings);
    expect(email.plainText).toContain('ceo@\u0430pple.com [xn--pple-43d.com]');
  });

  it('THEN a 100 KB subject is cut to the bound with an ellipsis', () => {
    const email = composeNotification(one({ subject: hostileSubjects.huge }), settings);
    const shown = /Subject: (A+…)/.exec(email.plainText)?.[1];
    expect(shown?.length).toBe(LIMITS.subject);
    expect(email.subject.length).toBeLessThanOrEqual(LIMITS.subjectLine);
  });

  it('THEN an emoji is never split when a subject is cut', () => {
    const subject = '👨‍👩‍👧‍👦'.repeat(200);
    const email = composeNotification(one({ subject }), settings);
    const shown = /Subject: (.*)/.exec(email.plainText)![1];
    expect(shown.endsWith('…')).toBe(true);
    expect(
      shown
        .slice(0, -1)
        .split('👨‍👩‍👧‍👦')
        .every((part) => part === ''),
    ).toBe(true);
    expect(email.subject).toMatch(/^Your held message "(👨‍👩‍👧‍👦)+…" was released$/u);
  });

  it('THEN a worst-case notification (many messages, huge fields of "&") stays well under 10 MB', () => {
    const amp = '&'.repeat(100_000);
    const message: ReleasedMessageSummary = {
      subject: amp,
      originalRecipients: Array.from({ length: 500 }, (_, i) => `${i}${amp}@x.example`),
      releasedTo: Array.from({ length: 500 }, (_, i) => `${i}${amp}@x.example`),
      releaser: { kind: 'person', name: amp },
      type: amp,
      policyType: amp,
      policyName: amp,
      quarantinedAt: amp,
      releasedAt: amp,
    };
    const email = composeNotification(
      { sender: amp, messages: Array.from({ length: 500 }, () => message), followUp: false },
      { ...settings, disclaimer: amp, supportContact: amp, senderDisplayName: amp },
    );
    const bytes = Buffer.byteLength(JSON.stringify(email));
    expect(bytes).toBeLessThan(2 * 1024 * 1024);
  });
});

describe('properties of the composer', () => {
  it('for any subject, the HTML holds no "<" from the input and our subject line has no control characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.boolean(), (subject, followUp) => {
        const email = composeNotification(one({ subject }, followUp), settings);
        expect(tagsIn(email.html).every((t) => OUR_TAGS.has(t))).toBe(true);
        // Every "<" in the HTML is one of our own tags.
        const lessThans = email.html.split('<').length - 1;
        expect(lessThans).toBe(tagsIn(email.html).length);
        expect(email.subject).not.toMatch(FORBIDDEN_IN_SUBJECT);
        expect(email.subject).not.toMatch(LONE_SURROGATE);
        expect(email.subject.length).toBeLessThanOrEqual(LIMITS.subjectLine);
      }),
      { numRuns: 500 },
    );
  });

  it('for any addresses and policy names, the HTML holds only our own tags', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary' }), { maxLength: 15 }),
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        (addresses, policyName, name) => {
          const email = composeNotification(
            one({
              originalRecipients: addresses,
              releasedTo: addresses,
              policyName,
              releaser: { kind: 'person', name },
            }),
            settings,
          );
          const lessThans = email.html.split('<').length - 1;
          expect(lessThans).toBe(tagsIn(email.html).length);
          expect(tagsIn(email.html).every((t) => OUR_TAGS.has(t))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('cutting text always ends at a grapheme boundary of the original', () => {
    const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.integer({ min: 2, max: 200 }),
        (text, max) => {
          const cut = truncate(text, max);
          if (cut === text) return;
          const kept = cut.slice(0, -1);
          expect(text.startsWith(kept)).toBe(true);
          const lengths = [...segmenter.segment(text)].map((s) => s.segment.length);
          // A first grapheme longer than the budget (a pile of combining marks) is cut between code points.
          if (lengths[0] > max - 1) return;
          const boundaries = new Set([0]);
          let at = 0;
          for (const length of lengths) boundaries.add((at += length));
          expect(boundaries.has(kept.length)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('cleaning never exceeds its bound, never leaves a control character and never splits a surrogate pair', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 2000 }),
        fc.integer({ min: 2, max: 400 }),
        (text, max) => {
          const clean = cleanLine(text, max);
          expect(clean.length).toBeLessThanOrEqual(max);
          expect(clean).not.toMatch(FORBIDDEN_IN_SUBJECT);
          expect(clean).not.toMatch(LONE_SURROGATE);
          expect(truncate(text, max).length).toBeLessThanOrEqual(max);
        },
      ),
      { numRuns: 500 },
    );
  });
});
