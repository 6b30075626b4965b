/**
 * fast-check arbitraries for what the services could send (hostile input): any JSON, any Unicode,
 * huge and empty values, missing fields and wrong types, in the shapes of a Get-QuarantineMessage row and
 * of an audit record (Graph envelope and flat classic record).
 */
import fc from 'fast-check';

/** Text an attacker controls: any code unit (lone surrogates, controls), graphemes, and nasty classics. */
export const hostileText = (maxLength = 60): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary-ascii', maxLength }),
    fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '<script>alert(1)</script>',
      'a\r\nBcc: victim@evil.example',
      'Invoice \u202Egpj.exe',
      'ceo@\u0430pple.com',
      '"quoted\\"name"@example.com',
      'user(comment)@example.com',
      '\uD800',
      "'; DROP TABLE x; --",
      "O'Brien@example.com",
      '%2F..%5C#?',
    ),
  );

/** Large values, used sparingly (they make each run slower). */
export const hugeText: fc.Arbitrary<string> = fc.constantFrom(
  'A'.repeat(100 * 1024),
  '\u202E'.repeat(40_000),
  '😀'.repeat(20_000),
  '&<>'.repeat(15_000),
);

/** Anything JSON can carry, plus the hostile strings. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileText() },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e308, 2 ** 53 + 1, '1e400', '9'.repeat(400)),
  },
  { weight: 1, arbitrary: fc.array(hostileText(), { maxLength: 4 }) },
);

const guid = fc.uuid();

/** Identity as Exchange sends it (any case, sometimes braced), or something broken. */
export const validIdentity: fc.Arbitrary<string> = fc
  .tuple(guid, guid, fc.boolean(), fc.boolean())
  .map(([a, b, upper, braces]) => {
    const text = braces ? `{${a}}\\{${b}}` : `${a}\\${b}`;
    return upper ? text.toUpperCase() : text;
  });

export const brokenIdentity: fc.Arbitrary<unknown> = fc.oneof(
  anyValue,
  guid,
  fc.tuple(guid, guid).map(([a, b]) => `${a}/${b}`),
  fc.tuple(guid, guid, guid).map(([a, b, c]) => `${a}\\${b}\\${c}`),
  guid.map((a) => `${a}\\not-a-guid`),
);

const isoDate = fc
  .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
  .map((d) => d.toISOString());
const exchangeDate = isoDate.map((iso) => `${iso.slice(0, 23)}0000+00:00`);
const dateLike = fc.oneof(isoDate, exchangeDate, anyValue);
const address = fc.oneof(fc.emailAddress(), hostileText(40));
const addressList = fc.oneof(
  { weight: 3, arbitrary: fc.array(address, { maxLength: 5 }) },
  { weight: 1, arbitrary: anyValue },
);
const enumLike = (values: string[]) => fc.oneof(fc.constantFrom(...values), anyValue);

/** The fields of a live row, each either well-typed or anything at all, each possibly missing. */
const rowFields = {
  ReceivedTime: dateLike,
  Expires: dateLike,
  SenderAddress: fc.oneof(address, anyValue),
  RecipientAddress: addressList,
  Subject: fc.oneof({ weight: 5, arbitrary: hostileText(200) }, { weight: 1, arbitrary: anyValue }),
  Type: enumLike(['TransportRule', 'DataLossPrevention', 'Spam', 'High Confidence Phish', 'Phish']),
  QuarantineTypes: enumLike(['TransportRule', 'Spam, Phish']),
  PolicyType: enumLike(['ExchangeTransportRule', 'DataLossPreventionRule', 'AntiPhishPolicy']),
  PolicyName: fc.oneof(hostileText(), anyValue),
  Direction: enumLike(['Inbound', 'Outbound']),
  ReleaseStatus: enumLike(['NOTRELEASED', 'RELEASED', 'released']),
  Released: fc.oneof(fc.boolean(), anyValue),
  SystemReleased: fc.oneof(fc.boolean(), anyValue),
  ReleasedUser: addressList,
  ReleasedBy: addressList,
  ReleasedCount: fc.oneof(fc.nat(), anyValue),
  RecipientCount: fc.oneof(fc.nat(), anyValue),
  MessageId: fc.oneof(hostileText(), anyValue),
  Size: fc.oneof(fc.nat(), anyValue),
};

/** A row whose Identity parses: whatever else it holds, it must be stored. */
export const rowWithIdentity = (fields: Partial<typeof rowFields> = rowFields) =>
  fc
    .tuple(
      validIdentity,
      fc.record(fields, { requiredKeys: [] }),
      fc.dictionary(hostileText(20), anyValue, { maxKeys: 3 }),
    )
    .map(([Identity, known, extra]) => ({ ...extra, ...known, Identity }));

/** A row whose Identity is missing or broken. */
export const rowWithoutIdentity = fc
  .tuple(fc.record(rowFields, { requiredKeys: [] }), fc.option(brokenIdentity, { nil: undefined }))
  .map(([known, identity]) => (identity === undefined ? known : { ...known, Identity: identity }));

/** A Get-QuarantineMessage row as any service (or attacker) might send it. */
export const anyRow: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: rowWithIdentity() },
  { weight: 2, arbitrary: rowWithoutIdentity },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

// ---------------------------------------------------------------- audit records

const classicFields = {
  Id: fc.oneof({ weight: 4, arbitrary: guid }, { weight: 1, arbitrary: anyValue }),
  CreationTime: fc.oneof(
    isoDate,
    isoDate.map((t) => t.slice(0, 19)),
    anyValue,
  ),
  Operation: enumLike([
    'QuarantineReleaseMessage',
    'QuarantineRelease',
    'quarantinereleasemessage',
    'Preview',
  ]),
  RecordType: fc.oneof(fc.constantFrom(65, '65', 'Quarantine', 39), anyValue),
  ResultStatus: enumLike(['Successful', 'Failed', 'succeeded']),
  UserType: fc.oneof(fc.constantFrom(2, 4, '4', 'System', 'Admin'), anyValue),
  UserId: fc.oneof(address, fc.constant('System release'), anyValue),
  NetworkMessageId: fc.oneof({ weight: 4, arbitrary: guid }, { weight: 1, arbitrary: anyValue }),
  ReleaseTo: fc.oneof(address, anyValue),
  RequestType: fc.oneof(fc.constantFrom(0, 1, 2, '2', 5), anyValue),
};

const classicRecord = fc.record(classicFields, { requiredKeys: [] });

/** A Graph auditLogRecord: the envelope around auditData (an object, a JSON string, or garbage). */
const graphRecord = fc
  .tuple(
    fc.record(
      {
        id: fc.oneof(guid, anyValue),
        createdDateTime: fc.oneof(isoDate, anyValue),
        operation: enumLike(['QuarantineReleaseMessage']),
        auditLogRecordType: enumLike(['Quarantine']),
        userType: enumLike(['System', 'Admin']),
        userPrincipalName: fc.oneof(address, fc.constant('System release'), anyValue),
        userId: fc.oneof(fc.constant('Quarantine'), anyValue),
      },
      { requiredKeys: [] },
    ),
    fc.oneof(
      { weight: 3, arbitrary: classicRecord },
      { weight: 2, arbitrary: classicRecord.map((r) => JSON.stringify(r)) },
      { weight: 1, arbitrary: anyValue },
    ),
  )
  .map(([envelope, auditData]) => ({ ...envelope, auditData }));

/** Search-UnifiedAuditLog's wrapper: the classic record as an AuditData JSON string. */
const wrappedRecord = classicRecord.map((r) => ({ AuditData: JSON.stringify(r), Identity: r.Id }));

export const anyAuditRecord: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: graphRecord },
  { weight: 3, arbitrary: classicRecord },
  { weight: 1, arbitrary: wrappedRecord },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** A well-formed release in both shapes, with hostile text where the attacker has a say. */
export const releaseRecord = fc
  .record({
    id: guid,
    networkMessageId: guid,
    at: isoDate,
    releaseTo: address,
    actor: fc.oneof(address, fc.constant('System release'), hostileText()),
    shape: fc.constantFrom('graph-object', 'graph-string', 'classic', 'wrapped'),
  })
  .map(({ id, networkMessageId, at, releaseTo, actor, shape }) => {
    const classic = {
      Id: id,
      CreationTime: at,
      Operation: 'QuarantineReleaseMessage',
      RecordType: 65,
      ResultStatus: 'Successful',
      UserType: actor === 'System release' ? 4 : 2,
      UserId: actor,
      NetworkMessageId: networkMessageId,
      ReleaseTo: releaseTo,
      RequestType: 2,
    };
    const record =
      shape === 'classic'
        ? classic
        : shape === 'wrapped'
          ? { AuditData: JSON.stringify(classic) }
          : {
              id,
              createdDateTime: at,
              operation: 'QuarantineReleaseMessage',
              auditLogRecordType: 'Quarantine',
              userPrincipalName: actor,
              auditData: shape === 'graph-string' ? JSON.stringify(classic) : classic,
            };
    return { record, expected: { id, networkMessageId, releaseTo } };
  });

/**
 * Sender addresses from RFC 5322's corners, each aimed at the accepted-domain check (issue 13): quoted
 * local parts and comments hiding an internal address, display names, IDN homographs, bidi and
 * zero-width characters, lone surrogates, 10,000-character values, look-alike suffixes, and the shapes a URL
 * host parser would have cut or decoded into an internal domain.
 */
export const hostileSender: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '"<ceo@contoso.com>"@evil.example',
    '"ceo@contoso.com"@evil.example',
    '"ceo"@contoso.com',
    'ceo(comment)@contoso.com',
    'ceo@contoso.com(comment)',
    'CEO <ceo@contoso.com>',
    '<ceo@contoso.com>',
    'ceo@contoso.com <ceo@evil.example>',
    'ceo@contoso.com.evil.example',
    'ceo@evilcontoso.com',
    'ceo@c\u043entoso.com', // Cyrillic o
    'ceo@cont\u03bfso.com', // Greek omicron
    'ceo\u202e@contoso.com',
    'ceo@contoso.com\u202e',
    'ce\u200bo@contoso.com',
    '\uD800ceo@contoso.com',
    'ceo@contoso\uDC00.com',
    'ceo@evil.example\u0000@contoso.com',
    'ceo@contoso.com\r\nBcc: victim@evil.example',
    ' ceo@contoso.com',
    'ceo@[10.0.0.1]',
    'ceo@contoso.com.',
    '@contoso.com',
    'ceo@',
    `${'a'.repeat(10_000)}@contoso.com`,
    `ceo@${'b'.repeat(10_000)}.contoso.com`,
    `"${'<'.repeat(10_000)}"@evil.example`,
    // A URL host parser cuts at / ? # and decodes %: each of these once became an internal address.
    'payroll@contoso.com#evil.example',
    'ceo@contoso.com/evil.example',
    'ceo@contoso.com?evil.example',
    'pat@contoso%2ecom',
    'pat@contoso.com%23evil.example',
    'ceo@contoso.com\\evil.example',
    'ceo@\uff43\uff4f\uff4e\uff54\uff4f\uff53\uff4f.com', // full-width letters map to contoso
    'ceo@contoso\u3002com', // an ideographic full stop maps to a dot
  ),
  fc
    .tuple(
      fc.constantFrom('payroll@contoso.com', 'ceo@eu.contoso.com', 'pat@contoso'),
      fc.constantFrom('/', '?', '#', '%', '%2e', '%2E', '\\', '@', ' ', '\t', '\u00a0', '\u3000'),
      fc.constantFrom('evil.example', 'com', '', '.evil.example'),
    )
    .map(([a, b, c]) => `${a}${b}${c}`),
  fc
    .tuple(
      fc.constantFrom('"', '(', '<', ' ', '\u202e', '\uD800', '', 'x'),
      fc.constantFrom('ceo@contoso.com', 'ceo@eu.contoso.com', 'ceo@contoso.onmicrosoft.com'),
      fc.constantFrom('"', ')', '>', ' ', '\u202c', '\uDC00', '', 'x'),
      fc.constantFrom('@evil.example', '', '.evil.example', ' <x@evil.example>'),
    )
    .map(([a, b, c, d]) => `${a}${b}${c}${d}`),
  fc.emailAddress(),
);
