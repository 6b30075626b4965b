import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings, SettingsError } from '../../lib/config/settings';

const minimal = {
  AZURE_TENANT_ID: '00000000-0000-0000-0000-00000000c0de',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  ACS_ENDPOINT: 'https://contoso.communication.azure.com',
  EMAIL_SENDER_ADDRESS: 'DoNotReply@contoso.example',
};

const problemsOf = (env: Record<string, string>) => {
  try {
    loadSettings({ ...minimal, ...env });
    return [];
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    return error.problems;
  }
};

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describe('settings of the email: default language and zone, the brand', () => {
  it('GIVEN none of them THEN English, UTC, no brand, and the signature worded in each language', () => {
    const email = loadSettings(minimal).email;
    expect(email).toMatchObject({
      defaultLanguage: 'en',
      defaultTimeZone: 'Etc/UTC',
      senderDisplayName: undefined,
    });
    expect(email.brand).toEqual({ organisationName: undefined, logo: undefined, accentColour: undefined });
  });

  it('GIVEN a locale, a Windows zone, a name, a logo URL and a colour THEN each is read as the app uses it', () => {
    const email = loadSettings({
      ...minimal,
      EMAIL_DEFAULT_LANGUAGE: 'de-CH',
      EMAIL_DEFAULT_TIME_ZONE: 'W. Europe Standard Time',
      EMAIL_ORGANISATION_NAME: 'Contoso',
      EMAIL_LOGO: 'https://cdn.contoso.com/logo.png',
      EMAIL_ACCENT_COLOUR: '#036',
      EMAIL_SENDER_DISPLAY_NAME: 'Contoso IT',
    }).email;
    expect(email).toMatchObject({
      defaultLanguage: 'de',
      defaultTimeZone: 'Europe/Berlin',
      senderDisplayName: 'Contoso IT',
    });
    expect(email.brand).toEqual({
      organisationName: 'Contoso',
      logo: { kind: 'url', url: 'https://cdn.contoso.com/logo.png' },
      accentColour: '#003366',
    });
  });

  it('GIVEN a logo file THEN its bytes are read once, typed from its content', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qrn-logo-'));
    const file = path.join(dir, 'logo.bin');
    writeFileSync(file, PNG);
    expect(loadSettings({ ...minimal, EMAIL_LOGO: file }).email.brand?.logo).toEqual({
      kind: 'file',
      name: 'logo.bin',
      contentType: 'image/png',
      contentInBase64: PNG.toString('base64'),
    });
  });

  it('GIVEN bad values THEN each gets one clear problem and the app does not start', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qrn-logo-'));
    const text = path.join(dir, 'logo.png');
    writeFileSync(text, 'not an image');
    const big = path.join(dir, 'big.png');
    writeFileSync(big, Buffer.concat([PNG, Buffer.alloc(200 * 1024)]));
    expect(problemsOf({ EMAIL_DEFAULT_LANGUAGE: 'fi' })[0]).toMatch(
      /^EMAIL_DEFAULT_LANGUAGE is not a language the emails are written in: use one of en, de, fr/,
    );
    expect(problemsOf({ EMAIL_DEFAULT_TIME_ZONE: 'Middle Earth Standard Time' })[0]).toMatch(
      /^EMAIL_DEFAULT_TIME_ZONE is not a known time zone/,
    );
    expect(problemsOf({ EMAIL_LOGO: 'http://cdn.contoso.com/logo.png' })[0]).toMatch(
      /^EMAIL_LOGO must be an https:\/\/ URL/,
    );
    expect(problemsOf({ EMAIL_LOGO: path.join(dir, 'missing.png') })[0]).toMatch(
      /^EMAIL_LOGO cannot be read \(ENOENT\)/,
    );
    expect(problemsOf({ EMAIL_LOGO: text })[0]).toMatch(/^EMAIL_LOGO is not a PNG, JPEG or GIF image/);
    expect(problemsOf({ EMAIL_LOGO: big })[0]).toMatch(/^EMAIL_LOGO is \d+ bytes, more than 102400/);
    expect(problemsOf({ EMAIL_ACCENT_COLOUR: 'blue' })[0]).toMatch(
      /^EMAIL_ACCENT_COLOUR must be a colour written #rrggbb/,
    );
    expect(problemsOf({ EMAIL_ACCENT_COLOUR: '#ffff00' })[0]).toMatch(
      /^EMAIL_ACCENT_COLOUR is too light to read on white/,
    );
    expect(problemsOf({ EMAIL_ORGANISATION_NAME: 'Contoso\nBcc: x' })[0]).toMatch(
      /^EMAIL_ORGANISATION_NAME must be one line of plain text/,
    );
    expect(problemsOf({ EMAIL_ACCENT_COLOUR: '#0F6CBD' })).toEqual([]);
  });
});
