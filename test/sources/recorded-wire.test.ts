import { isAdminApiReleaser, personReleaser } from '../../lib/core/releaser';
import { deliveryReportOf } from '../../lib/mail/acs-channel';
import { normaliseAuditRecord } from '../../lib/sources/audit/records';
import { ExchangeAdminApi, translateErrorAnswer } from '../../lib/sources/exchange/admin-api';
import { mapQuarantineRow } from '../../lib/sources/exchange/quarantine';
import { fromMailbox } from '../../lib/sources/mailbox-settings';
import { fixtureJson, fixtureText } from '../support/fixtures';
import { fakeCredential, ScriptedHttpClient } from '../support/scripted-http';

/**
 * Responses recorded from real tenants and published by public projects and by Microsoft, or shaped after
 * such a recording with values of our own (test/fixtures/README.md names each source), each read by the
 * client that reads it in production.
 */

const message = (raw: unknown) => {
  const mapped = mapQuarantineRow(raw);
  if (!('message' in mapped)) throw new Error(`row not mapped: ${JSON.stringify(mapped)}`);
  return mapped.message;
};

describe('GIVEN a quarantine row shaped after the one graph2otel recorded live', () => {
  it('THEN it maps with its side-keys ignored: join key, recipients, status and direction as recorded', () => {
    const row = message(fixtureJson('exchange/shaped-after-graph2otel.quarantine-row.json'));
    expect(row).toMatchObject({
      networkMessageId: 'f7b167fa-6b6f-b5c9-13dc-08dea7da64a1',
      identity: 'f7b167fa-6b6f-b5c9-13dc-08dea7da64a1\\3e3eb161-c301-4a62-a68f-9557781a39a2',
      senderAddress: 'no-reply@updates.fabrikam.com',
      recipients: ['megan.bowen@contoso.com'],
      releaseStatus: 'NOTRELEASED',
      systemReleased: false,
      releasedBy: [],
      releasedUsers: [],
      direction: 'Inbound',
      type: 'Spam',
      policyType: 'HostedContentFilterPolicy',
    });
    expect(row.receivedAt).toBe('2026-09-14T11:27:43.881Z');
  });
});

describe('GIVEN the Get-QuarantineMessage rows in demisto/content', () => {
  const [held, released] = fixtureJson<unknown[]>('recorded/demisto.get-quarantinemessage.rows.json').map(
    message,
  );

  it('THEN a held row and a released row map, the released one as released', () => {
    expect(held).toMatchObject({
      releaseStatus: 'NOTRELEASED',
      direction: 'Outbound',
      recipients: ['admin@example.com'],
    });
    expect(released).toMatchObject({
      releaseStatus: 'RELEASED',
      released: true,
      systemReleased: false,
      releasedUsers: [],
      releasedCount: 1,
    });
  });

  it('THEN its SystemMailbox releaser is an app through the admin API: no person, and not Microsoft', () => {
    const [releaser] = released.releasedBy;
    expect(releaser).toMatch(/^systemmailbox\{deadbeef-dead-beef-dead-beefdeadbeef\}@example\.com$/);
    expect(isAdminApiReleaser(releaser)).toBe(true);
    expect(personReleaser(releaser)).toBeUndefined();
    expect(released.systemReleased).toBe(false);
  });
});

describe('GIVEN the audit record of a system release shaped after the one graph2otel recorded live', () => {
  it('THEN it is one release to its ReleaseTo, by Microsoft 365, read through the crossed envelope fields', () => {
    const result = normaliseAuditRecord(
      fixtureJson('graph/shaped-after-graph2otel.audit-record.system-release.json'),
    );
    expect(result).toEqual({
      releases: [
        {
          id: '2b38459c-a683-d7a2-d891-08de50eb0669',
          source: 'audit',
          networkMessageId: '09049a47-7b40-66f2-b7b5-08de4ce48e00',
          releasedTo: 'megan.bowen@contoso.com',
          releasedByRaw: 'System release',
          isSystemRelease: true,
          releasedAt: '2026-09-14T13:05:52.000Z',
        },
      ],
    });
  });
});

describe('GIVEN InvokeCommand envelopes shaped after those graph2otel recorded live', () => {
  const invoke = async (file: string) => {
    const http = new ScriptedHttpClient([{ status: 200, body: fixtureText(file) }]);
    const api = new ExchangeAdminApi({
      baseUrl: 'https://outlook.office365.com',
      tenantId: 'befe9f56-ff47-4d0c-a804-577f39a3f4dc',
      credential: fakeCredential(),
      httpClient: http,
    });
    return api.invoke('Get-Mailbox', {});
  };

  it('THEN the truncated one carries its rows, its nextLink and the "more results" warning', async () => {
    const result = await invoke('exchange/shaped-after-graph2otel.envelope.truncated.json');
    expect(result.rows).toHaveLength(1);
    expect(result.nextLink).toMatch(
      /^https:\/\/outlook\.office365\.com\/adminapi\/beta\/befe9f56-ff47-4d0c-a804-577f39a3f4dc\/InvokeCommand\?%24skiptoken=/,
    );
    expect(result.warnings).toEqual([expect.stringMatching(/^There are more results available/)]);
  });

  it('THEN the complete one has no nextLink and its warnings present and empty', async () => {
    const result = await invoke('exchange/shaped-after-graph2otel.envelope.complete.json');
    expect(result.rows).toHaveLength(3);
    expect(result.nextLink).toBeUndefined();
    expect(result.warnings).toEqual([]);
  });
});

describe('GIVEN error bodies shaped after those graph2otel recorded live', () => {
  it('THEN an invalid enum value names the members, from innererror.internalexception', () => {
    const error = translateErrorAnswer(
      400,
      fixtureText('exchange/shaped-after-graph2otel.error-400-invalid-enum.json'),
      'Get-QuarantineMessage',
    );
    expect(error.kind).toBe('rejected');
    expect(error.serviceMessage).toMatch(/Specify one of the following enumerator names.*TransportRule/);
    expect(error.serviceErrorType).toBe(
      'Microsoft.Exchange.AdminApi.CommandInvocation.ParameterTransformationException',
    );
  });

  it('THEN an unknown parameter reads the inner exception, never the |Type| prefix of details', () => {
    const error = translateErrorAnswer(
      400,
      fixtureText('exchange/shaped-after-graph2otel.error-400-unknown-parameter.json'),
      'Get-QuarantineMessage',
    );
    expect(error.serviceMessage).toBe(
      'Parameter set cannot be resolved using the specified named parameters. Invalid cmdlet parameters specified. ReleasedSince',
    );
    expect(error.message).not.toContain('Invalid Operation');
  });
});

describe("GIVEN ACS Email's documented answers (azure-rest-api-specs, 2025-09-01 examples)", () => {
  it('THEN each operation status reads as its delivery state', () => {
    expect(deliveryReportOf(fixtureJson('recorded/acs.operation-status.succeeded.json'))).toEqual({
      state: 'succeeded',
    });
    expect(deliveryReportOf(fixtureJson('recorded/acs.operation-status.running.json'))).toEqual({
      state: 'in-progress',
    });
    expect(deliveryReportOf(fixtureJson('recorded/acs.operation-status.failed.json'))).toEqual({
      state: 'failed',
      error: { code: 'EmailDropped', message: 'Email was dropped after several attempts to deliver.' },
    });
    // The 202 of a send answers with the operation Running: accepted, not delivered.
    expect(deliveryReportOf(fixtureJson('recorded/acs.send.accepted.json'))).toEqual({
      state: 'in-progress',
    });
  });
});

describe("GIVEN Graph's documented mailboxSettings answer", () => {
  it("THEN the reader gets the mailbox's language, zone and formats", () => {
    const reader = fromMailbox(
      { language: 'de', timeZone: 'Europe/Berlin' },
      fixtureJson('recorded/graph.mailboxsettings.json'),
    );
    expect(reader).toEqual({
      language: 'en',
      locale: 'en-US',
      timeZone: 'Etc/UTC',
      dateFormat: 'MM/dd/yyyy',
      timeFormat: 'hh:mm tt',
      sources: ['mailbox'],
    });
  });
});
