import {
  mapQuarantineRow,
  parseIdentity,
  type MappedRow,
  type WireWarning,
} from '../../../lib/sources/exchange/quarantine';
import type { QuarantinedMessage } from '../../../lib/core/domain';
import { quarantineFixtureRows } from '../../support/fixtures';

function stored(mapped: MappedRow): { message: QuarantinedMessage; warnings: WireWarning[] } {
  if ('skipped' in mapped) throw new Error(`row skipped: ${mapped.skipped}`);
  return mapped;
}

describe('Reading Get-QuarantineMessage rows as the snapshot stores them', () => {
  const rows = quarantineFixtureRows();

  test('an outbound transport-rule message to one of two external recipients keeps every field', () => {
    const { message, warnings } = stored(mapQuarantineRow(rows[0]));
    expect(warnings).toEqual([]);
    expect(message).toEqual({
      networkMessageId: '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d',
      rowId: '9b8c7d6e-5f4a-3b2c-1d0e-f9e8d7c6b5a4',
      identity: '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d\\9b8c7d6e-5f4a-3b2c-1d0e-f9e8d7c6b5a4',
      receivedAt: '2026-03-02T09:14:22.123Z',
      expiresAt: '2026-04-01T09:14:22.123Z',
      senderAddress: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example'],
      recipientCount: 1,
      subject: 'Q1 price list (confidential)',
      type: 'TransportRule',
      quarantineType: 'TransportRule',
      policyType: 'ExchangeTransportRule',
      policyName: 'Quarantine outbound confidential',
      direction: 'Outbound',
      releaseStatus: 'NOTRELEASED',
      released: false,
      systemReleased: false,
      releasedBy: [],
      releasedUsers: [],
      releasedCount: 0,
      internetMessageId: '<PH0PR11MB77796@PH0PR11MB1234.namprd11.prod.outlook.com>',
      size: 48213,
    });
  });

  test('the second recipient of the same message is its own row under the same NetworkMessageId', () => {
    const first = stored(mapQuarantineRow(rows[0])).message;
    const second = stored(mapQuarantineRow(rows[1])).message;
    expect(second.networkMessageId).toBe(first.networkMessageId);
    expect(second.rowId).not.toBe(first.rowId);
    expect(second.recipients).toEqual(['ap@fabrikam.example']);
  });

  test('a DLP message whose subject holds HTML keeps the subject verbatim (escaping is the mail’s job)', () => {
    const { message, warnings } = stored(mapQuarantineRow(rows[2]));
    expect(warnings).toEqual([]);
    expect(message.subject).toBe('Patient list <b>March</b> & "follow-ups"');
    expect(message.type).toBe('DataLossPrevention');
    expect(message.policyType).toBe('DataLossPreventionRule');
  });

  test('inbound spam is stored too (the report shows inbound releases)', () => {
    const { message, warnings } = stored(mapQuarantineRow(rows[3]));
    expect(warnings).toEqual([]);
    expect(message.direction).toBe('Inbound');
    expect(message.senderAddress).toBe('newsletter@offers.example');
    expect(message.expiresAt).toBe('2026-03-16T22:47:51.765Z');
  });

  test('the field oddity (no sender, no recipients, reported Outbound) is stored as Exchange said it', () => {
    const { message, warnings } = stored(mapQuarantineRow(rows[4]));
    expect(warnings).toEqual([]);
    expect(message.senderAddress).toBe('');
    expect(message.recipients).toEqual([]);
    expect(message.recipientCount).toBe(0);
    expect(message.direction).toBe('Outbound');
    expect(message.type).toBe('High Confidence Phish');
    expect(message.quarantineType).toBe('HighConfPhish');
  });

  test('inbound phish spoofing an internal sender is stored with its direction', () => {
    const { message } = stored(mapQuarantineRow(rows[5]));
    expect(message.senderAddress).toBe('ceo@contoso.com');
    expect(message.direction).toBe('Inbound');
    expect(message.policyType).toBe('AntiPhishPolicy');
  });

  test('a released row keeps who released it, to whom, and how often, lower-cased', () => {
    const row = {
      ...rows[0],
      Released: true,
      ReleaseStatus: 'Released',
      ReleasedBy: ['Admin@Contoso.com'],
      ReleasedUser: ['Buyer@Fabrikam.example'],
      ReleasedCount: 1,
    };
    const { message } = stored(mapQuarantineRow(row));
    expect(message.releaseStatus).toBe('RELEASED');
    expect(message.released).toBe(true);
    expect(message.releasedBy).toEqual(['admin@contoso.com']);
    expect(message.releasedUsers).toEqual(['buyer@fabrikam.example']);
    expect(message.releasedCount).toBe(1);
  });

  test('upper-case GUIDs and addresses are lower-cased', () => {
    const row = {
      ...rows[0],
      Identity: '3F2A9C1E-7B4D-4E8A-1C2D-08DE0A1B2C3D\\9B8C7D6E-5F4A-3B2C-1D0E-F9E8D7C6B5A4',
      SenderAddress: 'Megan.Bowen@CONTOSO.com',
      RecipientAddress: ['Buyer@Fabrikam.Example'],
    };
    const { message } = stored(mapQuarantineRow(row));
    expect(message.networkMessageId).toBe('3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d');
    expect(message.rowId).toBe('9b8c7d6e-5f4a-3b2c-1d0e-f9e8d7c6b5a4');
    expect(message.identity).toBe(row.Identity);
    expect(message.senderAddress).toBe('megan.bowen@contoso.com');
    expect(message.recipients).toEqual(['buyer@fabrikam.example']);
  });
});

describe('Rows that break the wire invariants', () => {
  const [base] = quarantineFixtureRows();

  test.each([
    ['no Identity', { ...base, Identity: undefined }, 'identity-missing'],
    ['an empty Identity', { ...base, Identity: '' }, 'identity-missing'],
    [
      'an Identity with one GUID',
      { ...base, Identity: '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d' },
      'identity-unparsable',
    ],
    ['an Identity that is not GUIDs', { ...base, Identity: 'abc\\def' }, 'identity-unparsable'],
    ['a row that is not an object', 'just text', 'not-an-object'],
    ['a null row', null, 'not-an-object'],
  ])('a row with %s is skipped with a reason', (_name, row, reason) => {
    expect(mapQuarantineRow(row)).toEqual({ skipped: reason });
  });

  test('an unknown Type, Direction or ReleaseStatus is stored and reported as a warning', () => {
    const mapped = stored(
      mapQuarantineRow({ ...base, Type: 'QuantumPhish', Direction: 'Sideways', ReleaseStatus: 'TELEPORTED' }),
    );
    expect(mapped.message.type).toBe('QuantumPhish');
    expect(mapped.message.direction).toBe('Sideways');
    expect(mapped.message.releaseStatus).toBe('TELEPORTED');
    expect(mapped.warnings).toEqual([
      { kind: 'unknown-enum', field: 'Type', value: 'QuantumPhish' },
      { kind: 'unknown-enum', field: 'Direction', value: 'Sideways' },
      { kind: 'unknown-enum', field: 'ReleaseStatus', value: 'TELEPORTED' },
    ]);
  });

  test('fields of the wrong type are coerced where sensible, stored, and reported', () => {
    const mapped = stored(
      mapQuarantineRow({
        ...base,
        Size: '48213',
        RecipientCount: null,
        RecipientAddress: 'one@fabrikam.example',
        Subject: 42,
        Released: 'True',
        ReceivedTime: 12345,
      }),
    );
    expect(mapped.message.size).toBe(48213);
    expect(mapped.message.recipients).toEqual(['one@fabrikam.example']);
    expect(mapped.message.recipientCount).toBe(1);
    expect(mapped.message.subject).toBe('42');
    expect(mapped.message.released).toBe(true);
    expect(mapped.message.receivedAt).toBeUndefined();
    expect(mapped.warnings.map((w) => `${w.kind}:${w.field}:${w.value}`).sort()).toEqual(
      [
        'unexpected-type:RecipientAddress:string',
        'unexpected-type:Released:string',
        'unexpected-type:ReceivedTime:number',
        'unexpected-type:Size:string',
        'unexpected-type:Subject:number',
      ].sort(),
    );
  });

  test('a row with only an Identity is still stored, with defaults', () => {
    const mapped = stored(mapQuarantineRow({ Identity: base.Identity }));
    expect(mapped.message).toEqual({
      networkMessageId: '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d',
      rowId: '9b8c7d6e-5f4a-3b2c-1d0e-f9e8d7c6b5a4',
      identity: base.Identity,
      senderAddress: '',
      recipients: [],
      recipientCount: 0,
      subject: '',
      type: '',
      releasedBy: [],
      releasedUsers: [],
      releasedCount: 0,
    });
  });

  test('a numeric text too long for a number (Infinity) is reported and left out, never stored as Infinity', () => {
    const huge = '9'.repeat(400);
    const mapped = stored(
      mapQuarantineRow({ ...base, Size: huge, RecipientCount: huge, ReleasedCount: huge }),
    );
    expect(mapped.message.size).toBeUndefined();
    expect(mapped.message.recipientCount).toBe(1); // falls back to the recipients listed
    expect(mapped.message.releasedCount).toBe(0);
    expect(mapped.warnings.map((w) => `${w.kind}:${w.field}`).sort()).toEqual([
      'unexpected-type:RecipientCount',
      'unexpected-type:ReleasedCount',
      'unexpected-type:Size',
    ]);
  });

  test('an unparsable date is reported and left out', () => {
    const mapped = stored(mapQuarantineRow({ ...base, Expires: 'next Tuesday' }));
    expect(mapped.message.expiresAt).toBeUndefined();
    expect(mapped.warnings).toEqual([{ kind: 'unparsable-date', field: 'Expires', value: 'next Tuesday' }]);
  });

  test('Identity parsing accepts braces and spaces, and rejects three parts', () => {
    expect(
      parseIdentity(' {3F2A9C1E-7B4D-4E8A-1C2D-08DE0A1B2C3D}\\9b8c7d6e-5f4a-3b2c-1d0e-f9e8d7c6b5a4 '),
    ).toEqual({
      networkMessageId: '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d',
      rowId: '9b8c7d6e-5f4a-3b2c-1d0e-f9e8d7c6b5a4',
    });
    expect(parseIdentity('a\\b\\c')).toBeUndefined();
  });
});
