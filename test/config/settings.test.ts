import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings, readEnvironment, SettingsError, SETTINGS_CATALOGUE } from '../../lib/config/settings';

const TENANT = '00000000-0000-0000-0000-00000000c0de';
const minimal = {
  AZURE_TENANT_ID: TENANT,
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  ACS_ENDPOINT: 'https://contoso-notify.communication.azure.com',
  EMAIL_SENDER_ADDRESS: 'DoNotReply@0c5e1a2b.azurecomm.net',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).problems;
  }
  throw new Error('expected the settings to be refused');
}

describe('settings', () => {
  it('GIVEN only the required settings WHEN loaded THEN every default of the catalogue applies', () => {
    const settings = loadSettings(minimal);
    expect(settings.tenantId).toBe(TENANT);
    expect(settings.exchangeAdminApiUrl).toBe('https://outlook.office365.com');
    expect(settings.graphApiUrl).toBe('https://graph.microsoft.com');
    expect(settings.auditApiVersion).toBe('v1.0');
    expect(settings.credentials.authorityHost).toBe('https://login.microsoftonline.com');
    expect(settings.schedules).toEqual({ snapshot: '0 */15 * * * *', notify: '0 5-59/15 * * * *' });
    expect(settings.tables).toEqual({
      kind: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
    });
    expect(settings.email).toMatchObject({
      channel: 'acs',
      acs: { kind: 'endpoint', endpoint: 'https://contoso-notify.communication.azure.com' },
      maxPerRun: 5,
      hideReleaser: false,
    });
    expect(settings.releaseSources).toBe('both');
    expect(settings.pilot).toEqual({ dryRun: false, redirectTo: undefined, allowedSenders: undefined });
  });

  it('GIVEN nothing at all WHEN loaded THEN one error names every missing setting and how to fix it', () => {
    let error: unknown;
    try {
      loadSettings({});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const message = (error as Error).message;
    expect(message).toMatch(/^The app cannot start: 4 settings are missing or invalid\./);
    for (const name of ['AZURE_TENANT_ID', 'AzureWebJobsStorage', 'ACS_ENDPOINT', 'EMAIL_SENDER_ADDRESS']) {
      expect(message).toContain(`- ${name} is missing`);
    }
    expect(message).toContain('local.settings.json');
  });

  it('GIVEN several malformed values WHEN loaded THEN each is named with its fix in the same error', () => {
    const problems = problemsOf({
      ...minimal,
      AZURE_TENANT_ID: 'contoso.onmicrosoft.com',
      GRAPH_API_URL: 'http://graph.microsoft.com',
      AUDIT_API_VERSION: 'v2',
      SNAPSHOT_SCHEDULE: '*/15 * * * *',
      MAX_EMAILS_PER_RUN: 'lots',
      NOTIFY_DRY_RUN: 'maybe',
      NOTIFY_REDIRECT_TO: 'not-an-address',
      TABLE_NAME_PREFIX: '9bad-prefix',
      AUDIT_LOOKBACK_HOURS: '500',
    });
    expect(problems).toHaveLength(9);
    expect(problems.join('\n')).toMatch(/AZURE_TENANT_ID must be a GUID: set it to the tenant id/);
    expect(problems.join('\n')).toMatch(/GRAPH_API_URL must be an https:\/\/ URL/);
    expect(problems.join('\n')).toMatch(/AUDIT_API_VERSION .*use v1.0 or beta/);
    expect(problems.join('\n')).toMatch(/SNAPSHOT_SCHEDULE must have six NCRONTAB fields/);
    expect(problems.join('\n')).toMatch(/MAX_EMAILS_PER_RUN must be a whole number/);
    expect(problems.join('\n')).toMatch(/NOTIFY_DRY_RUN must be true or false/);
    expect(problems.join('\n')).toMatch(/NOTIFY_REDIRECT_TO must be an email address/);
    expect(problems.join('\n')).toMatch(/TABLE_NAME_PREFIX must be letters and digits/);
    expect(problems.join('\n')).toMatch(/AUDIT_LOOKBACK_HOURS must be between 1 and 168/);
  });

  it('GIVEN a client secret without a client id, or both a secret and a certificate THEN both are refused', () => {
    expect(problemsOf({ ...minimal, AZURE_CLIENT_SECRET: 's3cret' }).join('\n')).toMatch(
      /AZURE_CLIENT_ID is missing: a client secret or certificate needs/,
    );
    expect(
      problemsOf({
        ...minimal,
        AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
        AZURE_CLIENT_SECRET: 's3cret',
        AZURE_CLIENT_CERTIFICATE_PATH: '/tmp/cert.pem',
      }),
    ).toEqual(['AZURE_CLIENT_SECRET and AZURE_CLIENT_CERTIFICATE_PATH are both set: keep only one of them.']);
  });

  it('GIVEN the Graph mail channel THEN ACS settings are not required but the sending mailbox is', () => {
    const { ACS_ENDPOINT: _acs, EMAIL_SENDER_ADDRESS: _sender, ...rest } = minimal;
    expect(problemsOf({ ...rest, EMAIL_CHANNEL: 'graph' })).toEqual([
      'EMAIL_SENDER_ADDRESS is missing: use the mailbox that sends notifications through Graph sendMail.',
    ]);
    const settings = loadSettings({
      ...rest,
      EMAIL_CHANNEL: 'graph',
      EMAIL_SENDER_ADDRESS: 'notices@contoso.com',
    });
    expect(settings.email.channel).toBe('graph');
    expect(settings.email.acs).toBeUndefined();
  });

  it('GIVEN a malformed ACS connection string THEN it is refused, and a valid one wins over the endpoint', () => {
    expect(problemsOf({ ...minimal, ACS_CONNECTION_STRING: 'accesskey=abc' }).join('\n')).toMatch(
      /ACS_CONNECTION_STRING must be endpoint=https/,
    );
    const settings = loadSettings({
      ...minimal,
      ACS_CONNECTION_STRING: 'endpoint=https://x.communication.azure.com/;accesskey=a2V5',
    });
    expect(settings.email.acs).toEqual({
      kind: 'connectionString',
      connectionString: 'endpoint=https://x.communication.azure.com/;accesskey=a2V5',
    });
  });

  it('GIVEN the table settings THEN a dedicated setting wins over the host storage, identity form included', () => {
    const { AzureWebJobsStorage: _s, ...noStorage } = minimal;
    expect(
      loadSettings({
        ...noStorage,
        AzureWebJobsStorage__tableServiceUri: 'https://st.table.core.windows.net',
      }).tables,
    ).toEqual({
      kind: 'accountUrl',
      accountUrl: 'https://st.table.core.windows.net',
    });
    expect(
      loadSettings({ ...minimal, TABLES_ACCOUNT_URL: 'https://other.table.core.windows.net/' }).tables,
    ).toEqual({
      kind: 'accountUrl',
      accountUrl: 'https://other.table.core.windows.net',
    });
    expect(problemsOf(noStorage)[0]).toMatch(/^AzureWebJobsStorage is missing/);
  });

  it('GIVEN pilot settings THEN lists are split and lower-cased and flags parsed', () => {
    const settings = loadSettings({
      ...minimal,
      NOTIFY_DRY_RUN: 'TRUE',
      NOTIFY_ALLOWED_SENDERS: 'Megan.Bowen@Contoso.com, fabrikam.com;  ',
      ACCEPTED_DOMAINS: 'contoso.com,*.contoso.com',
    });
    expect(settings.pilot.dryRun).toBe(true);
    expect(settings.pilot.allowedSenders).toEqual(['megan.bowen@contoso.com', 'fabrikam.com']);
    expect(settings.acceptedDomains).toEqual(['contoso.com', '*.contoso.com']);
  });

  it('GIVEN local.settings.json and the environment THEN the environment wins and blanks mean unset', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qrn-settings-'));
    const file = path.join(dir, 'local.settings.json');
    writeFileSync(
      file,
      JSON.stringify({ Values: { ...minimal, TABLE_NAME_PREFIX: 'fromfile', GRAPH_API_URL: '' } }),
    );
    const previous = process.env.TABLE_NAME_PREFIX;
    process.env.TABLE_NAME_PREFIX = 'fromenv';
    try {
      const settings = loadSettings(readEnvironment({ localSettingsPath: file }));
      expect(settings.tenantId).toBe(TENANT);
      expect(settings.tableNamePrefix).toBe('fromenv');
      expect(settings.graphApiUrl).toBe('https://graph.microsoft.com');
    } finally {
      if (previous === undefined) delete process.env.TABLE_NAME_PREFIX;
      else process.env.TABLE_NAME_PREFIX = previous;
    }
    writeFileSync(file, '{ not json');
    expect(() => readEnvironment({ localSettingsPath: file })).toThrow(
      /local\.settings\.json is not valid JSON/,
    );
  });

  it('GIVEN the sample local settings THEN they list every setting of the catalogue', () => {
    const sample = require('../../local.settings.sample.json') as { Values: Record<string, string> };
    for (const spec of SETTINGS_CATALOGUE) expect(Object.keys(sample.Values)).toContain(spec.name);
  });

  it('GIVEN the README THEN its settings table has a row for every setting of the catalogue', () => {
    const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    for (const spec of SETTINGS_CATALOGUE)
      expect(readme).toMatch(new RegExp(`^\\|\\s*\`${spec.name}\`\\s*\\|`, 'm'));
  });
});
