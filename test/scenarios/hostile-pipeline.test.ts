/* eslint-disable no-control-regex -- these tests look for control characters */
/**
 * Hostile input through the whole pipeline: hostile rows through the snapshot job (nothing lost,
 * every skip counted), and a quarantined phish-style subject released and notified: the .eml a mail
 * client would read stays well-formed, and the logs carry neither subjects nor addresses.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { MINUTE } from '../../lib/core/clock';
import { parseIdentity } from '../../lib/sources/exchange/quarantine';
import { formatExchangeDate } from '../../lib/simulator/quarantine';
import { parseEml } from '../support/eml';
import { startWorld, type World } from '../support/world';
import { rowWithIdentity, rowWithoutIdentity } from '../support/hostile-arbitraries';

const SENDER = 'megan.bowen@contoso.com';
const ADMIN = 'adele.vance@contoso.com';
const HOSTILE_SUBJECT =
  'Invoice\r\nBcc: victim@evil.example\r\nX-Injected: yes <script>alert(1)</script> \u202Egpj.exe =?UTF-8?B?PHNjcmlwdD4=?=';
const HUGE_SUBJECT = 'Q'.repeat(100 * 1024);
const HOSTILE_RECIPIENTS = ['"quoted name"@fabrikam.example', 'buyer(comment)@fabrikam.example'];
const HOMOGLYPH_RECIPIENT = 'ceo@\u0430pple.com';

describe('hostile input through the whole pipeline', () => {
  let world: World;
  let outbox: string;
  afterEach(async () => {
    await world?.close();
    if (outbox) rmSync(outbox, { recursive: true, force: true });
  });

  it('GIVEN hostile quarantine rows THEN the snapshot stores every row with a parsable Identity and counts a reason for each one it skips', async () => {
    world = await startWorld();
    const rows = fc.sample(fc.oneof(rowWithIdentity(), rowWithIdentity(), rowWithoutIdentity), {
      numRuns: 80,
      seed: 8,
    });
    const now = formatExchangeDate(world.clock.now().getTime() - MINUTE);
    for (const row of rows) {
      // In the window and not expired, so that Exchange lists every one of them.
      const listed: Record<string, unknown> = { ...row, ReceivedTime: now };
      delete listed.Expires;
      world.simulator.scenario.addRawRow(listed);
    }
    const summary = await world.app.runSnapshot();
    expect(summary.outcome).toBe('completed');
    expect(summary.rowsFetched).toBe(rows.length);
    const skipped = Object.values(summary.skipped).reduce((a, b) => a + b, 0);
    const keys = rows
      .map((r) => (r as { Identity?: unknown }).Identity)
      .map((identity) => (typeof identity === 'string' ? parseIdentity(identity) : undefined));
    const storable = keys.filter((k) => k !== undefined);
    expect(skipped).toBe(rows.length - storable.length);
    expect(summary.rowsWritten).toBe(new Set(storable.map((k) => `${k!.networkMessageId}|${k!.rowId}`)).size);
    for (const key of storable) {
      const found = await world.app.quarantine.findByNetworkMessageId(key!.networkMessageId);
      expect(found.map((m) => m.rowId)).toContain(key!.rowId);
    }
  });

  it('GIVEN a released message with a CR/LF, script and RTL subject and odd recipients THEN the .eml stays well-formed, the text stays text, and the logs hold no subject or address', async () => {
    outbox = mkdtempSync(path.join(tmpdir(), 'qrn-hostile-'));
    world = await startWorld({ outboxDir: outbox });
    const scenario = world.simulator.scenario;
    const hostile = scenario.addMessage({
      sender: SENDER,
      recipients: [...HOSTILE_RECIPIENTS, HOMOGLYPH_RECIPIENT],
      subject: HOSTILE_SUBJECT,
      type: 'TransportRule',
      policyName: '<b>Outbound</b>\r\nX-Policy: injected',
    }).networkMessageId;
    const huge = scenario.addMessage({
      sender: 'lidia.holloway@contoso.com',
      recipients: ['partner@fabrikam.example'],
      subject: HUGE_SUBJECT,
      type: 'DataLossPrevention',
    }).networkMessageId;
    await world.app.runSnapshot();
    scenario.release({ networkMessageId: hostile, by: ADMIN });
    scenario.release({ networkMessageId: huge, by: 'system' });
    world.clock.advance(15 * MINUTE);
    await world.app.runSnapshot();
    const notify = await world.app.runNotify();
    expect(notify.emailsSent).toBe(2);

    const emails = scenario.emails();
    expect(emails).toHaveLength(2);
    for (const email of emails) {
      const raw = readFileSync(email.emlPath!, 'utf8');
      const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
      // Every line ends CRLF: no bare CR or LF anywhere that could start a header of its own.
      expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
      const eml = parseEml(raw);
      const names = eml.headerLines.map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
      expect(names).not.toContain('bcc');
      expect(names).not.toContain('x-injected');
      expect(names).not.toContain('x-policy');
      expect(new Set(names).size).toBe(names.length); // no header twice
      for (const line of head.split('\r\n')) expect(line).toMatch(/^([\x21-\x39\x3b-\x7e]+:|[ \t])/);
      expect(eml.headers.to).toBe(`<${email.to[0].address}>`);
      expect(eml.headers.subject).not.toMatch(/[\u0000-\u001f\u007f\u202a-\u202e]/);
      expect(eml.headers.subject.length).toBeLessThanOrEqual(300);
      const html = eml.parts.find((p) => p.contentType.startsWith('text/html'))!.text;
      expect(html).not.toMatch(/<script|<b>/i);
    }
    const hostileEmail = emails.find((e) => e.to[0].address === SENDER)!;
    const eml = parseEml(readFileSync(hostileEmail.emlPath!, 'utf8'));
    expect(eml.headers.subject).toContain('Invoice Bcc: victim@evil.example X-Injected: yes');
    const html = eml.parts.find((p) => p.contentType.startsWith('text/html'))!.text;
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;quoted name&quot;@fabrikam.example');
    expect(html).toContain('xn--pple-43d.com');

    // The logs of both jobs: ids and counts only (LOG_PERSONAL_DATA is off by default).
    const logs = world.logger.text();
    expect(logs).toMatch(/notify: run summary/);
    expect(logs).toMatch(/Snapshot summary/);
    for (const secret of [
      SENDER,
      'lidia.holloway',
      ADMIN,
      'fabrikam',
      'apple.com',
      'Invoice',
      'QQQQQQQQ',
      'script',
      'Outbound</b>',
    ]) {
      expect({ secret, found: logs.includes(secret) }).toEqual({ secret, found: false });
    }
  });
});
