import fc from 'fast-check';
import { SYSTEM_RELEASE } from '../../../lib/core/releaser';
import {
  normaliseAuditRecord,
  normaliseAuditRecords,
  releaseToAddresses,
} from '../../../lib/sources/audit/records';
import { fixtureJson as fixture } from '../../support/fixtures';

const page1 = fixture('graph/auditlog-records.page1.json') as { value: Record<string, unknown>[] };
const page2 = fixture('graph/auditlog-records.page2.json') as { value: Record<string, unknown>[] };
const blob = fixture('management-api/audit-general.content.json') as Record<string, unknown>[];

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('GIVEN the Graph audit records of an admin releasing one message to its two recipients', () => {
  it('THEN each record becomes one release to one recipient, actor from the crossed envelope fields', () => {
    const [first, second] = page1.value.map(normaliseAuditRecord);
    expect(first).toEqual({
      releases: [
        {
          id: '5e0b2a77-2c1d-4f3e-9a8b-08de0a1b9999',
          source: 'audit',
          networkMessageId: '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d',
          releasedTo: 'buyer@fabrikam.example',
          releasedBy: 'adele.vance@contoso.com',
          releasedByRaw: 'adele.vance@contoso.com',
          isSystemRelease: false,
          releasedAt: '2026-03-02T11:40:05.000Z',
        },
      ],
    });
    expect(second).toMatchObject({
      releases: [{ id: '5e0b2a77-2c1d-4f3e-9a8b-08de0a1b9a00', releasedTo: 'ap@fabrikam.example' }],
    });
  });

  it('THEN the envelope userId (the classic UserKey) is never taken for the releaser', () => {
    const record = clone(page1.value[0]);
    delete (record.auditData as Record<string, unknown>).UserId;
    const result = normaliseAuditRecord(record);
    expect(result).toMatchObject({ releases: [{ releasedBy: 'adele.vance@contoso.com' }] });
    delete record.userPrincipalName;
    const bare = normaliseAuditRecord(record);
    expect(bare).toMatchObject({ releases: [{ isSystemRelease: false }] });
    expect(bare).not.toHaveProperty('releases.0.releasedBy');
    expect(JSON.stringify(bare)).not.toContain('10032001A2B3C4D5');
  });
});

describe('GIVEN the Graph audit record of a system release', () => {
  it('THEN it is a system release labelled "System release", never an address', () => {
    const result = normaliseAuditRecord(page2.value[0]);
    expect(result).toEqual({
      releases: [
        {
          id: 'd63edfc3-4460-4da0-031c-08de0a1bdead',
          source: 'audit',
          networkMessageId: 'a1b2c3d4-e5f6-4a7b-8c9d-08de0a1b6a7b',
          releasedTo: 'lidia.holloway@contoso.com',
          releasedByRaw: SYSTEM_RELEASE,
          isSystemRelease: true,
          releasedAt: '2026-03-02T12:03:41.000Z',
        },
      ],
    });
    expect(result).not.toHaveProperty('releases.0.releasedBy');
  });

  it.each([
    ['UserType 4 with no actor named', { UserId: undefined, UserType: 4 }, { userPrincipalName: undefined }],
    [
      'UserType "4" as a string, no actor',
      { UserId: undefined, UserType: '4' },
      { userPrincipalName: undefined },
    ],
    [
      'the envelope userType System, no actor',
      { UserId: undefined, UserType: undefined },
      { userType: 'System', userPrincipalName: undefined },
    ],
    ['UserId in another case', { UserId: 'SYSTEM RELEASE', UserType: 0 }, { userType: 'Regular' }],
  ])('THEN %s also marks a system release', (_name, data, envelope) => {
    const record = clone(page1.value[0]);
    Object.assign(record.auditData as Record<string, unknown>, data);
    Object.assign(record, envelope);
    const result = normaliseAuditRecord(record);
    expect(result).toMatchObject({ releases: [{ isSystemRelease: true, releasedByRaw: SYSTEM_RELEASE }] });
    expect(result).not.toHaveProperty('releases.0.releasedBy');
  });
});

describe('GIVEN the audit record of a release made by an app through the admin API', () => {
  it('THEN a SystemMailbox actor is not Microsoft releasing, names no person, and is kept as it came', () => {
    const record = clone(page1.value[0]);
    const mailbox = 'SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@contoso.com';
    Object.assign(record.auditData as Record<string, unknown>, { UserId: mailbox, UserType: 4 });
    record.userPrincipalName = mailbox;
    const result = normaliseAuditRecord(record);
    expect(result).toMatchObject({ releases: [{ isSystemRelease: false, releasedByRaw: mailbox }] });
    expect(result).not.toHaveProperty('releases.0.releasedBy');
  });
});

describe('GIVEN the audit record of an admin API release that names the calling application', () => {
  const mailbox = 'SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@contoso.com';
  const withApp = (fields: Record<string, unknown>) => {
    const record = clone(page1.value[0]);
    Object.assign(record.auditData as Record<string, unknown>, { UserId: mailbox, UserType: 2, ...fields });
    record.userPrincipalName = mailbox;
    return normaliseAuditRecord(record);
  };
  const APP_ID = '0c7a2f4e-51b3-4d8e-9f60-2a1b3c4d5e6f';

  it.each([
    [
      'AppAccessContext.ClientAppName',
      { AppAccessContext: { ClientAppId: APP_ID, ClientAppName: 'Contoso Release Desk' } },
    ],
    ['a ClientAppName of its own', { ClientAppName: '  Contoso\tRelease   Desk ' }],
  ])('THEN %s is the tool it was released through, the actor kept as it came', (_name, fields) => {
    expect(withApp(fields)).toMatchObject({
      releases: [{ isSystemRelease: false, releasedByRaw: mailbox, releasedThrough: 'Contoso Release Desk' }],
    });
  });

  it.each([
    ['an app id only', { AppId: APP_ID, AppAccessContext: { ClientAppId: APP_ID } }],
    ['a GUID for a name', { AppAccessContext: { ClientAppName: APP_ID } }],
    ['a braced GUID inside a name', { AppAccessContext: { ClientAppName: `app {${APP_ID}}` } }],
    ['an address for a name', { AppAccessContext: { ClientAppName: 'svc@contoso.com' } }],
    ['a hex id for a name', { AppAccessContext: { ClientAppName: '00000003 0000 0ff1 ce00 000000000000' } }],
    ['digits and signs only', { ClientAppName: '1234 - 5678' }],
    ['a name that is not text', { AppAccessContext: { ClientAppName: 42 } }],
    ['a context that is not an object', { AppAccessContext: 'Contoso Release Desk' }],
  ])('THEN %s names no tool', (_name, fields) => {
    const result = withApp(fields);
    expect(result).toMatchObject({ releases: [{ releasedByRaw: mailbox }] });
    expect(result).not.toHaveProperty('releases.0.releasedThrough');
  });

  it('THEN a very long name is cut to 120 characters, ending in an ellipsis', () => {
    const result = withApp({ ClientAppName: `Release ${'tool '.repeat(100)}` }) as {
      releases: { releasedThrough: string }[];
    };
    expect(result.releases[0].releasedThrough).toHaveLength(120);
    expect(result.releases[0].releasedThrough.endsWith('…')).toBe(true);
  });

  it('THEN a system release names no tool, whatever the record carries', () => {
    const result = withApp({ UserId: SYSTEM_RELEASE, ClientAppName: 'Contoso Release Desk' });
    expect(result).not.toHaveProperty('releases.0.releasedThrough');
  });
});

describe('GIVEN a ReleaseTo that names several addresses', () => {
  const withReleaseTo = (releaseTo: unknown) => {
    const record = clone(page1.value[0]);
    (record.auditData as Record<string, unknown>).ReleaseTo = releaseTo;
    return normaliseAuditRecord(record);
  };

  it.each([
    ['an array', ['Buyer@Fabrikam.example', 'ap@fabrikam.example']],
    ['a comma list', 'Buyer@Fabrikam.example, ap@fabrikam.example'],
    ['a semicolon list', 'buyer@fabrikam.example;ap@fabrikam.example;'],
    ['an array holding a list', ['buyer@fabrikam.example; ap@fabrikam.example']],
  ])('THEN %s becomes one release per address, each in its canonical form', (_name, releaseTo) => {
    const result = withReleaseTo(releaseTo);
    expect(result).toMatchObject({
      releases: [
        { releasedTo: 'buyer@fabrikam.example', id: '5e0b2a77-2c1d-4f3e-9a8b-08de0a1b9999' },
        { releasedTo: 'ap@fabrikam.example', id: '5e0b2a77-2c1d-4f3e-9a8b-08de0a1b9999' },
      ],
    });
  });

  it('THEN a piece that is no address is its own unit, never glued to the others', () => {
    expect(releaseToAddresses('buyer@fabrikam.example, Not An Address')).toEqual([
      'buyer@fabrikam.example',
      'not an address',
    ]);
  });

  it('THEN a list of nothing but separators, or of no strings, names nobody', () => {
    for (const empty of [';, ;', [], [42, null]]) {
      const result = withReleaseTo(empty);
      expect(result).toMatchObject({ releases: [{ isSystemRelease: false }] });
      expect(result).not.toHaveProperty('releases.0.releasedTo');
      expect((result as { releases: unknown[] }).releases).toHaveLength(1);
    }
  });

  it('THEN the same address twice is one unit', () => {
    expect(releaseToAddresses(['ap@fabrikam.example', 'AP@fabrikam.example'])).toEqual([
      'ap@fabrikam.example',
    ]);
  });
});

describe('GIVEN auditData as a JSON string (as other sources give it)', () => {
  it('THEN it reads the same as the object form', () => {
    const record = clone(page1.value[0]);
    const asString = { ...record, auditData: JSON.stringify(record.auditData) };
    expect(normaliseAuditRecord(asString)).toEqual(normaliseAuditRecord(record));
  });

  it("THEN Search-UnifiedAuditLog's AuditData string wrapper is read too", () => {
    const flat = blob[0];
    const row = {
      RecordType: 'Quarantine',
      CreationDate: '2026-03-02T11:40:05',
      UserIds: 'adele.vance@contoso.com',
      Operations: 'QuarantineReleaseMessage',
      AuditData: JSON.stringify(flat),
      ResultIndex: 1,
      ResultCount: 1,
      Identity: flat.Id,
    };
    expect(normaliseAuditRecord(row)).toEqual(normaliseAuditRecord(flat));
  });

  it('THEN broken JSON is ignored with its reason', () => {
    const record = { ...clone(page1.value[0]), auditData: '{"Operation":"QuarantineReleaseMessage",' };
    expect(normaliseAuditRecord(record)).toEqual({ ignored: 'bad JSON in auditData' });
    expect(normaliseAuditRecord({ ...record, auditData: '[1,2]' })).toEqual({
      ignored: 'bad JSON in auditData',
    });
    expect(normaliseAuditRecord({ ...record, auditData: 42 })).toEqual({ ignored: 'bad JSON in auditData' });
  });
});

describe('GIVEN a Management Activity API content blob (flat classic records, zone-less times)', () => {
  const results = blob.map(normaliseAuditRecord);

  it('THEN the release is read with its zone-less time as UTC and is the same release as the Graph record', () => {
    expect(results[0]).toEqual(normaliseAuditRecord(page1.value[0]));
    expect(results[0]).toMatchObject({ releases: [{ releasedAt: '2026-03-02T11:40:05.000Z' }] });
  });

  it('THEN a record of an unrelated workload is ignored as not a release', () => {
    expect(results[1]).toEqual({ ignored: 'not a release' });
  });

  it('THEN a preview is ignored as not a release', () => {
    expect(results[2]).toEqual({ ignored: 'not a release' });
  });

  it('THEN a page is counted by reason', () => {
    const { releases, ignored } = normaliseAuditRecords([...blob, ...page1.value, ...page2.value, null]);
    expect(releases).toHaveLength(4);
    expect(ignored).toEqual({ 'not a release': 2, 'not an object': 1 });
  });
});

describe('GIVEN the release signal in its variants', () => {
  const flat = () => clone(blob[0]);

  it.each([
    ['operation QuarantineRelease (the Purview table name)', { Operation: 'QuarantineRelease' }],
    ['operation in another case', { Operation: 'quarantinereleasemessage' }],
    ['RequestType 2 with no operation', { Operation: undefined }],
    ['RequestType "2" as a string with no operation', { Operation: undefined, RequestType: '2' }],
    ['RequestType 2 with RecordType as a name', { Operation: 'Unknown', RecordType: 'Quarantine' }],
    [
      'no ResultStatus (accepted: the record exists because the release happened)',
      { ResultStatus: undefined },
    ],
    ['ResultStatus "Succeeded"', { ResultStatus: 'Succeeded' }],
  ])('THEN %s is a release', (_name, change) => {
    const record = Object.assign(flat(), change);
    expect(normaliseAuditRecord(record)).toHaveProperty('releases');
  });

  it.each([
    ['a preview (RequestType 0)', { Operation: 'QuarantinePreviewMessage', RequestType: 0 }, 'not a release'],
    [
      'a release request (RequestType 5)',
      { Operation: 'QuarantineRequestReleaseMessage', RequestType: 5 },
      'not a release',
    ],
    ['RequestType 2 of another record type', { Operation: 'Something', RecordType: 63 }, 'not a release'],
    ['a failed release', { ResultStatus: 'Failed' }, 'failed result'],
    ['a partly failed release', { ResultStatus: 'PartiallySucceeded' }, 'failed result'],
    ['no NetworkMessageId', { NetworkMessageId: undefined }, 'no NetworkMessageId'],
    ['an empty NetworkMessageId', { NetworkMessageId: '  ' }, 'no NetworkMessageId'],
    ['a NetworkMessageId that is not a GUID', { NetworkMessageId: 'abc/def' }, 'bad NetworkMessageId'],
    ['a NetworkMessageId as a number', { NetworkMessageId: 12 }, 'no NetworkMessageId'],
    ['no Id', { Id: undefined }, 'no record id'],
    ['an Id unusable as a table key', { Id: 'a/b' }, 'no record id'],
    ['no CreationTime', { CreationTime: undefined }, 'unparsable time'],
    ['a CreationTime that is not a time', { CreationTime: 'yesterday' }, 'unparsable time'],
    ['a CreationTime in a local format', { CreationTime: '3/2/2026 11:40:05 AM' }, 'unparsable time'],
    ['an impossible date', { CreationTime: '2026-02-30T11:40:05' }, 'unparsable time'],
  ])('THEN %s is ignored with its reason', (_name, change, reason) => {
    const record = Object.assign(flat(), change);
    expect(normaliseAuditRecord(record)).toEqual({ ignored: reason });
  });
});

describe('GIVEN identifiers and addresses in any case and times in any zone', () => {
  it('THEN NetworkMessageId, ReleaseTo, the releaser and the id are lower-cased, times are UTC', () => {
    const record = Object.assign(clone(blob[0]), {
      Id: '5E0B2A77-2C1D-4F3E-9A8B-08DE0A1B9999',
      NetworkMessageId: '{3F2A9C1E-7B4D-4E8A-1C2D-08DE0A1B2C3D}',
      ReleaseTo: ' Buyer@Fabrikam.Example ',
      UserId: 'Adele.Vance@Contoso.com',
      CreationTime: '2026-03-02T12:40:05.4564204+01:00',
    });
    expect(normaliseAuditRecord(record)).toEqual({
      releases: [
        {
          id: '5e0b2a77-2c1d-4f3e-9a8b-08de0a1b9999',
          source: 'audit',
          networkMessageId: '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d',
          releasedTo: 'buyer@fabrikam.example',
          releasedBy: 'adele.vance@contoso.com',
          releasedByRaw: 'Adele.Vance@Contoso.com',
          isSystemRelease: false,
          releasedAt: '2026-03-02T11:40:05.456Z',
        },
      ],
    });
  });

  it('THEN a releaser that is not an address is kept raw only', () => {
    const record = Object.assign(clone(blob[0]), { UserId: 'Admin' });
    const result = normaliseAuditRecord(record);
    expect(result).toMatchObject({ releases: [{ releasedByRaw: 'Admin', isSystemRelease: false }] });
    expect(result).not.toHaveProperty('releases.0.releasedBy');
  });

  it('THEN a release without ReleaseTo has no releasedTo', () => {
    const record = Object.assign(clone(blob[0]), { ReleaseTo: undefined });
    expect(normaliseAuditRecord(record)).not.toHaveProperty('releases.0.releasedTo');
  });
});

describe('GIVEN garbage', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a string', 'QuarantineReleaseMessage'],
    ['a boolean', true],
    ['an array', [blob[0]]],
  ])('THEN %s is ignored as not an object', (_name, raw) => {
    expect(normaliseAuditRecord(raw)).toEqual({ ignored: 'not an object' });
  });

  it('THEN an empty object is not a release', () => {
    expect(normaliseAuditRecord({})).toEqual({ ignored: 'not a release' });
  });

  it('THEN a record whose getters throw is ignored, not thrown', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
        has() {
          throw new Error('boom');
        },
      },
    );
    expect(normaliseAuditRecord(hostile)).toEqual({ ignored: 'unreadable record' });
  });

  it('THEN no JSON value whatsoever makes it throw', () => {
    const release = blob[0];
    const mutated = fc.record(
      Object.fromEntries(
        Object.keys(release).map((key) => [key, fc.oneof(fc.constant(release[key]), fc.jsonValue())]),
      ),
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), mutated, fc.record({ auditData: fc.oneof(fc.string(), mutated) })),
        (raw) => {
          const result = normaliseAuditRecord(raw);
          expect('releases' in result || 'ignored' in result).toBe(true);
          if ('releases' in result) {
            expect(result.releases.length).toBeGreaterThan(0);
            for (const release of result.releases) {
              expect(release.releasedBy === undefined || release.releasedBy.includes('@')).toBe(true);
              expect(Number.isNaN(Date.parse(release.releasedAt))).toBe(false);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
