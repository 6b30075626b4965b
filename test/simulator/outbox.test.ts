import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ManualClock } from '../../lib/core/clock';
import type { CapturedEmail } from '../../lib/simulator/contract';
import { createOutbox } from '../../lib/simulator/outbox';
import { parseEml } from '../support/eml';

type Input = Omit<CapturedEmail, 'id' | 'acceptedAt' | 'emlPath'>;

function email(overrides: Partial<Input> = {}): Input {
  return {
    channel: 'acs',
    operationId: '5d9b1c2e-0000-4000-8000-000000000001',
    from: 'DoNotReply@contoso.azurecomm.net',
    to: [{ address: 'rob@contoso.com', displayName: 'Rob Example' }],
    cc: [{ address: 'audit@contoso.com' }],
    bcc: [],
    replyTo: [{ address: 'helpdesk@contoso.com', displayName: 'Help desk' }],
    subject: 'Your message was released',
    plainText: 'Hello Rob,\nyour message "Q3 numbers" was released by admin@contoso.com.\n',
    html: '<p>Hello Rob,</p><p>your message &quot;Q3 numbers&quot; was released.</p>',
    headers: {},
    ...overrides,
  };
}

describe('the outbox', () => {
  let root: string;
  let clock: ManualClock;

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'outbox-'));
    clock = new ManualClock('2026-03-02T12:00:00.000Z');
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('GIVEN no folder WHEN an email is captured THEN it is listed with an id and time, and no file', () => {
    const outbox = createOutbox({ clock });
    const captured = outbox.capture(email());
    expect(captured.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(captured.acceptedAt).toBe('2026-03-02T12:00:00.000Z');
    expect(captured.emlPath).toBeUndefined();
    expect(outbox.list()).toEqual([captured]);
    outbox.clear();
    expect(outbox.list()).toEqual([]);
  });

  it('GIVEN a missing folder WHEN emails are captured THEN it is created and holds one .eml each, sorted by time', () => {
    const directory = path.join(root, 'nested', 'outbox');
    const outbox = createOutbox({ clock, directory });
    const first = outbox.capture(email({ subject: 'Zulu comes first' }));
    clock.advance(1500);
    const second = outbox.capture(email({ subject: 'Alpha comes second' }));
    const files = readdirSync(directory).sort();
    expect(files).toHaveLength(2);
    expect(files.map((f) => path.join(directory, f))).toEqual([first.emlPath, second.emlPath]);
    expect(files[0]).toMatch(/^20260302T120000000Z-000001-[0-9a-f]{8}-zulu-comes-first\.eml$/);
  });

  it('GIVEN an email WHEN written THEN the .eml has the RFC 5322 headers and both parts a mail client shows', () => {
    const outbox = createOutbox({ clock, directory: root });
    const captured = outbox.capture(email());
    const raw = readFileSync(captured.emlPath!, 'utf8');
    const eml = parseEml(raw);

    expect(eml.headers['from']).toBe('<DoNotReply@contoso.azurecomm.net>');
    expect(eml.headers['to']).toBe('"Rob Example" <rob@contoso.com>');
    expect(eml.headers['cc']).toBe('<audit@contoso.com>');
    expect(eml.headers['reply-to']).toBe('"Help desk" <helpdesk@contoso.com>');
    expect(eml.headers['subject']).toBe('Your message was released');
    expect(eml.headers['date']).toBe('Mon, 02 Mar 2026 12:00:00 +0000');
    expect(eml.headers['message-id']).toBe(`<${captured.id}@acs.simulator.invalid>`);
    expect(eml.headers['mime-version']).toBe('1.0');
    expect(eml.headers['content-type']).toMatch(/^multipart\/alternative; boundary="[^"]+"$/);
    expect(eml.headers['x-simulator-operation-id']).toBe('5d9b1c2e-0000-4000-8000-000000000001');
    expect(eml.headers['bcc']).toBeUndefined();

    expect(eml.parts.map((p) => p.contentType)).toEqual([
      'text/plain; charset=UTF-8',
      'text/html; charset=UTF-8',
    ]);
    expect(eml.parts[0].text).toBe(email().plainText!.replace(/\n/g, '\r\n'));
    expect(eml.parts[1].text).toBe(email().html);
    // Every line stays within the RFC 5322 limit, and line breaks are CRLF only.
    for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('GIVEN a non-ASCII subject, names and body WHEN written THEN they use RFC 2047 and quoted-printable UTF-8', () => {
    const outbox = createOutbox({ clock, directory: root });
    const subject =
      'Ihre Nachricht „Quartalszahlen – Übersicht“ wurde freigegeben ✅ 東京オフィス向けの長い件名です';
    const captured = outbox.capture(
      email({
        subject,
        to: [{ address: 'jürgen@contoso.com', displayName: 'Jürgen Müller' }],
        plainText: 'Grüße aus Köln – ✅\n' + 'x'.repeat(200),
        html: '<p>Grüße</p>',
      }),
    );
    const raw = readFileSync(captured.emlPath!, 'utf8');
    const eml = parseEml(raw);
    const subjectLine = eml.headerLines.find((l) => l.startsWith('Subject:'))!;
    expect(subjectLine).toMatch(/^Subject: =\?UTF-8\?B\?/);
    expect(eml.headers['subject']).toBe(subject);
    expect(eml.headers['to']).toBe('Jürgen Müller <jürgen@contoso.com>');
    expect(eml.parts[0].text).toBe('Grüße aus Köln – ✅\r\n' + 'x'.repeat(200));
    expect(eml.parts[1].text).toBe('<p>Grüße</p>');
    for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(path.basename(captured.emlPath!)).toMatch(
      /-ihre-nachricht-quartalszahlen-ubersicht-wurde-fr\.eml$/,
    );
  });

  it('GIVEN a subject with CR/LF and path characters WHEN written THEN no header is injected and the file stays in the folder', () => {
    const outbox = createOutbox({ clock, directory: root });
    const captured = outbox.capture(
      email({
        subject: '../../etc/passwd\r\nBcc: victim@example.net\r\n\r\n<script>',
        to: [{ address: 'rob@contoso.com', displayName: 'Rob\r\nX-Injected: yes' }],
        headers: { 'X-Custom': 'one\r\nX-Injected: yes', 'Bad Name': 'x', From: 'attacker@example.net' },
      }),
    );
    expect(path.dirname(captured.emlPath!)).toBe(root);
    expect(path.basename(captured.emlPath!)).toMatch(/^[A-Za-z0-9-]+\.eml$/);
    const eml = parseEml(readFileSync(captured.emlPath!, 'utf8'));
    const names = eml.headerLines.map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
    expect(names).not.toContain('bcc');
    expect(names).not.toContain('x-injected');
    expect(names).not.toContain('bad name');
    expect(names.filter((n) => n === 'from')).toHaveLength(1);
    expect(eml.headers['subject']).toBe('../../etc/passwd Bcc: victim@example.net <script>');
    expect(eml.headers['x-custom']).toBe('one X-Injected: yes');
    expect(eml.headers['to']).toBe('"Rob X-Injected: yes" <rob@contoso.com>');
    expect(eml.parts).toHaveLength(2);
  });

  it('GIVEN only html WHEN written THEN the .eml has the html part alone', () => {
    const outbox = createOutbox({ clock, directory: root });
    const captured = outbox.capture(email({ plainText: undefined }));
    const eml = parseEml(readFileSync(captured.emlPath!, 'utf8'));
    expect(eml.parts.map((p) => p.contentType)).toEqual(['text/html; charset=UTF-8']);
  });
});
