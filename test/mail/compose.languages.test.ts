/* eslint-disable no-control-regex -- these tests look for control characters */
import { simpleParser, type ParsedMail } from 'mailparser';
import type { EmailSettings } from '../../lib/config/settings';
import type { Notification, Reader } from '../../lib/mail/compose';
import { LANGUAGES, translator, type Language } from '../../lib/mail/i18n';
import { previewFiles } from '../../lib/entrypoints/cli/preview-files';

const settings: EmailSettings = {
  channel: 'acs',
  senderAddress: 'DoNotReply@contoso.example',
  hideReleaser: false,
  maxPerRun: 5,
  maxAttempts: 5,
  brand: { organisationName: 'Contoso', accentColour: '#0f6cbd' },
};

const notification = (subject = 'Q1 price list (confidential)'): Notification => ({
  sender: 'megan.bowen@contoso.com',
  followUp: false,
  messages: [
    {
      subject,
      originalRecipients: ['buyer@fabrikam.example', 'ap@fabrikam.example'],
      releasedTo: ['buyer@fabrikam.example'],
      quarantinedAt: '2026-12-01T17:05:00Z',
      releasedAt: '2026-12-01T21:22:00Z',
      releaser: { kind: 'person', name: 'adele.vance@contoso.com' },
      type: 'TransportRule',
      policyName: 'Quarantine outbound confidential',
    },
  ],
});

/** A reader of each language in a zone of their own, with the zone's short name in that language. */
const READERS: Record<Language, { reader: Reader; localTime: RegExp }> = {
  en: {
    reader: { language: 'en', locale: 'en-US', timeZone: 'America/Los_Angeles' },
    localTime: /1:22\sPM PST/,
  },
  de: {
    reader: {
      language: 'de',
      locale: 'de-DE',
      timeZone: 'Europe/Berlin',
      dateFormat: 'dd.MM.yyyy',
      timeFormat: 'HH:mm',
    },
    localTime: /01\.12\.2026 22:22 MEZ/,
  },
  fr: { reader: { language: 'fr', timeZone: 'Europe/Paris' }, localTime: /22:22 UTC\+1/ },
  es: { reader: { language: 'es', timeZone: 'Europe/Madrid' }, localTime: /22:22 CET/ },
  it: { reader: { language: 'it', timeZone: 'Europe/Rome' }, localTime: /22:22 CET/ },
  'pt-BR': { reader: { language: 'pt-BR', timeZone: 'America/Sao_Paulo' }, localTime: /18:22 BRT/ },
  nl: { reader: { language: 'nl', timeZone: 'Europe/Amsterdam' }, localTime: /22:22 CET/ },
  pl: { reader: { language: 'pl', timeZone: 'Europe/Warsaw' }, localTime: /22:22 CET/ },
  sv: { reader: { language: 'sv', timeZone: 'Europe/Stockholm' }, localTime: /22:22 CET/ },
  ja: {
    reader: { language: 'ja', timeZone: 'Asia/Tokyo', dateFormat: 'yyyy/MM/dd', timeFormat: 'H:mm' },
    localTime: /2026\/12\/02 6:22 JST/,
  },
  'zh-Hans': {
    reader: { language: 'zh-Hans', timeZone: 'Asia/Shanghai' },
    localTime: /2026年12月2日.*05:22/,
  },
  ko: { reader: { language: 'ko', timeZone: 'Asia/Seoul' }, localTime: /2026년 12월 2일.*06:22/ },
  ar: { reader: { language: 'ar', timeZone: 'Asia/Riyadh' }, localTime: /\S+/ },
};

const now = new Date('2026-12-01T21:30:00Z');

async function parsed(language: Language, subject?: string) {
  const files = previewFiles(notification(subject), settings, READERS[language].reader, now);
  const mail: ParsedMail = await simpleParser(files.eml);
  return { files, mail };
}

describe('the notification in each language, read by a real MIME parser', () => {
  it.each(LANGUAGES)(
    'GIVEN a reader of %s THEN the message is multipart/alternative UTF-8 with an RFC 2047 subject in their language and times in their zone',
    async (language) => {
      const { files, mail } = await parsed(language);
      const t = translator(language, READERS[language].reader.locale);
      // Structure and charset.
      expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
      expect(mail.headers.get('content-language')).toBe(language);
      expect(mail.html).toBeTruthy();
      expect(mail.text).toBeTruthy();
      // The subject: 7-bit on the wire (encoded words where not ASCII), decoded to the composed one.
      const rawSubject = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(files.eml)![1];
      expect(rawSubject).toMatch(/^[\x20-\x7e\r\n\t]*$/);
      if (/[^\x00-\x7f]/.test(files.email.subject)) expect(rawSubject).toMatch(/=\?UTF-8\?[BQ]\?/i);
      expect(mail.subject).toBe(files.email.subject);
      expect(mail.subject).toBe(t.text('subject.one', { subject: 'Q1 price list (confidential)' }));
      // Every part declares UTF-8 and round-trips our words.
      expect(files.eml.match(/Content-Type: text\/(plain|html); charset=UTF-8/g)).toHaveLength(2);
      expect(mail.text).toContain(t.text('label.releasedTo'));
      expect(mail.html as string).toContain(`lang="${t.locale}"`);
      // The reader's time, with the zone named; the plain text also keeps the UTC time for the help desk.
      expect(mail.text).toMatch(READERS[language].localTime);
      if (language !== 'ar') expect(mail.html as string).toMatch(READERS[language].localTime);
      expect(mail.text).toContain('2026-12-01 21:22 UTC');
      expect(mail.html as string).not.toContain('2026-12-01 21:22 UTC');
      // The tenant's name signs it.
      expect(mail.text).toContain(t.text('signature', { organisation: 'Contoso' }));
    },
  );

  it('GIVEN the Arabic reader THEN the email reads right to left while addresses and a Latin subject stay left to right', async () => {
    const { mail } = await parsed('ar');
    const html = mail.html as string;
    expect(html).toMatch(/<html lang="ar" dir="rtl">/);
    expect(html).toContain('<span dir="ltr">Q1 price list (confidential)</span>');
    expect(html).toContain('<span dir="ltr">buyer@fabrikam.example</span>');
    expect(html).toContain('<span dir="ltr">megan.bowen@contoso.com</span>');
    expect(html).toMatch(/text-align:right/);
    expect(mail.subject).toBe('تم الإفراج عن رسالتك المحتجزة «Q1 price list (confidential)»');
  });

  it('GIVEN a left-to-right reader THEN an Arabic subject is the one isolated right to left', async () => {
    const { mail } = await parsed('en', 'قائمة الأسعار');
    expect(mail.html as string).toContain('<span dir="rtl">قائمة الأسعار</span>');
    expect(mail.html as string).toMatch(/<html lang="en-US" dir="ltr">/);
  });

  const hostile = {
    script: '<script>alert(document.cookie)</script>',
    breakout: '"><img src=x onerror=alert(1)>',
    headerInjection: 'Hello\r\nBcc: victim@evil.example',
    rtlOverride: 'Invoice \u202Egpj.exe',
    nul: 'a\u0000b',
  };

  it.each(LANGUAGES)(
    'GIVEN hostile subjects in %s THEN they stay text: escaped in HTML, one line in the subject',
    async (language) => {
      for (const [name, subject] of Object.entries(hostile)) {
        const { files, mail } = await parsed(language, subject);
        const html = files.email.html;
        expect({ name, img: /<img|<script/i.test(html) }).toEqual({ name, img: false });
        expect(html).not.toContain('\u202E');
        expect(files.email.subject).not.toMatch(/[\u0000-\u001f\u202a-\u202e]/);
        expect(mail.headers.get('bcc')).toBeUndefined();
        if (name === 'script') {
          // Quoted in the body, a subject is escaped and never a link ("document[.]cookie").
          expect(html).toContain('&lt;script&gt;alert(document[.]cookie)&lt;/script&gt;');
          expect(mail.text).toContain('<script>alert(document[.]cookie)</script>');
        }
        if (name === 'breakout') expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
      }
    },
  );

  it('GIVEN a logo file THEN it travels as an inline image the HTML shows by cid, in a multipart/related message', async () => {
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    );
    const branded: EmailSettings = {
      ...settings,
      brand: {
        ...settings.brand,
        logo: {
          kind: 'file',
          name: 'logo.png',
          contentType: 'image/png',
          contentInBase64: png.toString('base64'),
        },
      },
    };
    const files = previewFiles(notification(), branded, READERS.en.reader, now);
    expect(files.email.html).toContain('<img src="cid:qrn-logo" alt="Contoso"');
    expect(files.html).toContain('src="data:image/png;base64,');
    const mail = await simpleParser(files.eml);
    expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/related' });
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]).toMatchObject({
      contentType: 'image/png',
      cid: 'qrn-logo',
      contentDisposition: 'inline',
    });
    expect(mail.attachments[0].content.equals(png)).toBe(true);
  });

  it('GIVEN no brand settings THEN the email has no header, no image and the plain signature', async () => {
    const plain = previewFiles(notification(), { ...settings, brand: {} }, { language: 'en' }, now);
    expect(plain.email.html).not.toMatch(/<img/);
    expect(plain.email.html).not.toMatch(/border-bottom:4px/);
    expect(plain.email.plainText).toContain('\n\nMail quarantine\n');
    expect(plain.email.plainText).toContain('Released at: Tuesday 1 December 2026, 21:22 UTC');
  });
});
