import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { startWorld, type World } from '../../support/world';
import { qrn } from '../../support/cli';

describe('qrn preview: what senders will get, before the pilot ends', () => {
  let world: World;
  let out: string;
  beforeAll(async () => {
    world = await startWorld({ seed: 'demo' });
  });
  beforeEach(() => {
    out = mkdtempSync(path.join(os.tmpdir(), 'qrn-preview-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));
  afterAll(async () => world?.close());

  it('GIVEN --language de THEN one .eml and one .html of the sample, in German, are written and nothing is sent', async () => {
    const result = await qrn(world, [
      'preview',
      '--language',
      'de',
      '--time-zone',
      'W. Europe Standard Time',
      '--out',
      out,
    ]);
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['notification-de.eml', 'notification-de.html']);
    const mail = await simpleParser(readFileSync(path.join(out, 'notification-de.eml')));
    expect(mail.subject).toBe(
      'Ihre zurückgehaltene Nachricht „Q1 price list (confidential)“ wurde freigegeben',
    );
    expect(mail.text).toMatch(/Freigegeben am: .* MEZ \(/);
    expect(readFileSync(path.join(out, 'notification-de.html'), 'utf8')).toContain(
      '<html lang="de" dir="ltr">',
    );
    expect(world.simulator.scenario.emails()).toHaveLength(0);
  });

  it('GIVEN --all-languages THEN every language is written', async () => {
    const result = await qrn(world, ['preview', '--all-languages', '--out', out]);
    expect(result.code).toBe(0);
    expect(readdirSync(out).filter((f) => f.endsWith('.eml'))).toHaveLength(13);
    expect(readFileSync(path.join(out, 'notification-ar.html'), 'utf8')).toContain('dir="rtl"');
  });

  it('GIVEN --release of a real release THEN its sender, subject and own language (from their mailbox) are used', async () => {
    await world.app.runSnapshot();
    await world.app.runNotify();
    const johanna = world.simulator.scenario
      .messages()
      .find((m) => m.SenderAddress === 'johanna.lorenz@contoso.com')!;
    const networkMessageId = String(johanna.Identity).split('\\')[0];
    const result = await qrn(world, ['preview', '--release', networkMessageId, '--out', out]);
    expect(result.code).toBe(0);
    const mail = await simpleParser(readFileSync(path.join(out, 'notification-de.eml')));
    expect(mail.subject).toContain('Angebot Rahmenvertrag Q2 (vertraulich)');
    expect(mail.to).toMatchObject({ value: [{ address: 'johanna.lorenz@contoso.com' }] });
  });

  it('GIVEN an unknown language, zone or release THEN it says so and writes nothing', async () => {
    expect((await qrn(world, ['preview', '--language', 'xx', '--out', out])).code).toBe(2);
    expect((await qrn(world, ['preview', '--time-zone', 'Mars/Olympus', '--out', out])).code).toBe(2);
    const missing = await qrn(world, [
      'preview',
      '--release',
      '00000000-0000-0000-0000-000000000000',
      '--out',
      out,
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No release of message');
    expect(readdirSync(out)).toEqual([]);
  });
});
