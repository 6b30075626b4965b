import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { startWorld, type World } from '../support/world';

/**
 * The demo tenant's senders read different languages in their mailboxes: one notify run emails each in
 * their own, with times in their own zone (what `npm start -- --once` shows in its outbox).
 */
describe('notifications in the language each sender set in their mailbox', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN the demo tenant WHEN notify runs THEN the English sender reads English in Pacific time (a release seen early: no later than that time) and the German sender reads German in Berlin time', async () => {
    world = await startWorld({ seed: 'demo' });
    await world.app.runSnapshot();
    await world.app.runNotify();
    const emails = world.simulator.scenario.emails();
    const english = emails.find((e) => e.to[0].address === 'megan.bowen@contoso.com')!;
    const german = emails.find((e) => e.to[0].address === 'johanna.lorenz@contoso.com')!;
    expect(english.subject).toBe('Your held message "Q1 price list (confidential)" was released');
    expect(english.plainText).toMatch(
      /Released no later than: \d+\/\d+\/2026 \d+:\d\d [AP]M PST \(2026-03-02 \d\d:\d\d UTC\)/,
    );
    expect(german.subject).toBe(
      'Ihre zurückgehaltene Nachricht „Angebot Rahmenvertrag Q2 (vertraulich)“ wurde freigegeben',
    );
    expect(german.plainText).toMatch(
      /Spätestens freigegeben am: 02\.03\.2026 \d\d:\d\d MEZ \(2026-03-02 \d\d:\d\d UTC\)/,
    );
    expect(german.html).toContain('<html lang="de-DE" dir="ltr">');
  });

  it('GIVEN the app lacks MailboxSettings.Read WHEN notify runs THEN every email goes out, in the tenant default language and zone', async () => {
    world = await startWorld({
      seed: 'demo',
      settings: { EMAIL_DEFAULT_LANGUAGE: 'sv', EMAIL_DEFAULT_TIME_ZONE: 'W. Europe Standard Time' },
    });
    world.simulator.scenario.setPermissions({ mailboxSettingsRead: false });
    await world.app.runSnapshot();
    const summary = await world.app.runNotify();
    // The price list, the German offer and the DLP message an app released through the admin API.
    const emails = world.simulator.scenario.emails();
    expect(emails).toHaveLength(3);
    expect(summary.emailsSent).toBe(3);
    for (const email of emails) {
      expect(email.subject).toMatch(/^Ditt kvarhållna meddelande ”.+” har släppts$/);
      expect(email.plainText).toMatch(/Släpptes senast: .* CET \(2026-03-02 \d\d:\d\d UTC\)/);
    }
  });
});

describe("the tenant's logo travels inside each email", () => {
  const PNG = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  );
  let world: World;
  afterEach(async () => world?.close());

  it.each(['acs', 'graph'])(
    'GIVEN EMAIL_LOGO is a file and the %s channel WHEN notify runs THEN the email carries it inline, shown by cid',
    async (channel) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'qrn-logo-'));
      writeFileSync(path.join(dir, 'contoso.png'), PNG);
      world = await startWorld({
        seed: 'demo',
        outboxDir: dir,
        settings: {
          EMAIL_LOGO: path.join(dir, 'contoso.png'),
          EMAIL_ORGANISATION_NAME: 'Contoso',
          EMAIL_CHANNEL: channel,
          ...(channel === 'graph' ? { EMAIL_SENDER_ADDRESS: 'notifications@contoso.com' } : {}),
        },
      });
      await world.app.runSnapshot();
      await world.app.runNotify();
      const [email] = world.simulator.scenario.emails();
      expect(email.html).toContain('<img src="cid:qrn-logo" alt="Contoso"');
      expect(email.inlineAttachments).toEqual([
        {
          contentId: 'qrn-logo',
          name: 'contoso.png',
          contentType: 'image/png',
          contentInBase64: PNG.toString('base64'),
        },
      ]);
      const mail = await simpleParser(readFileSync(email.emlPath!));
      expect(mail.attachments.map((a) => [a.cid, a.contentType, a.content.equals(PNG)])).toEqual([
        ['qrn-logo', 'image/png', true],
      ]);
    },
  );
});
