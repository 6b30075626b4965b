/**
 * Hostile input: whatever the services send — any JSON, any Unicode, huge and empty values,
 * missing fields, wrong types, both audit record shapes — nothing crashes, no row with a parsable
 * Identity is lost, and every row or record left out has a counted reason.
 */
import fc from 'fast-check';
import { canonicalAddress } from '../../lib/core/address';
import type { QuarantinedMessage } from '../../lib/core/domain';
import {
  normaliseAuditRecord,
  normaliseAuditRecords,
  type IgnoredReason,
} from '../../lib/sources/audit/records';
import { mapQuarantineRow, parseIdentity, type SkipReason } from '../../lib/sources/exchange/quarantine';
import { fromEntity, MAX_STRING_CHARS, QuarantineStore, toEntity } from '../../lib/store/quarantine-store';
import { openTestTables } from '../support/snapshot-world';
import {
  anyAuditRecord,
  anyRow,
  hugeText,
  releaseRecord,
  rowWithIdentity,
  rowWithoutIdentity,
} from '../support/hostile-arbitraries';

const SKIP_REASONS: SkipReason[] = [
  'not-an-object',
  'identity-missing',
  'identity-unparsable',
  'mapping-failed',
];
const IGNORED_REASONS: IgnoredReason[] = [
  'not an object',
  'bad JSON in auditData',
  'not a release',
  'failed result',
  'no record id',
  'no NetworkMessageId',
  'bad NetworkMessageId',
  'unparsable time',
  'unreadable record',
];

function mapped(raw: unknown): QuarantinedMessage {
  const result = mapQuarantineRow(raw);
  if ('skipped' in result) throw new Error(`skipped: ${result.skipped}`);
  return result.message;
}

/** The stored shape's types, whatever came in. */
function expectWellTyped(message: QuarantinedMessage): void {
  for (const key of ['networkMessageId', 'rowId', 'identity', 'senderAddress', 'subject', 'type'] as const) {
    expect(typeof message[key]).toBe('string');
  }
  for (const key of ['recipients', 'releasedBy', 'releasedUsers'] as const) {
    expect(Array.isArray(message[key]) && message[key].every((v) => typeof v === 'string')).toBe(true);
  }
  for (const key of ['recipientCount', 'releasedCount', 'size'] as const) {
    const value = message[key];
    if (value !== undefined) expect(Number.isFinite(value)).toBe(true);
  }
  for (const key of ['receivedAt', 'expiresAt'] as const) {
    const value = message[key];
    if (value !== undefined) expect(new Date(value).toISOString()).toBe(value);
  }
}

describe('hostile Get-QuarantineMessage rows', () => {
  it('GIVEN any JSON at all THEN mapping never throws and a skipped row always names a known reason', () => {
    fc.assert(
      fc.property(anyRow, (raw) => {
        const result = mapQuarantineRow(raw);
        if ('skipped' in result) expect(SKIP_REASONS).toContain(result.skipped);
        else expectWellTyped(result.message);
      }),
      { numRuns: 1500 },
    );
  });

  it('GIVEN a row whose Identity parses THEN it is always kept, under the Identity’s GUIDs', () => {
    fc.assert(
      fc.property(rowWithIdentity(), (raw) => {
        const message = mapped(raw);
        const keys = parseIdentity(raw.Identity);
        expect(message.networkMessageId).toBe(keys?.networkMessageId);
        expect(message.rowId).toBe(keys?.rowId);
        expectWellTyped(message);
      }),
      { numRuns: 1500 },
    );
  });

  it('GIVEN a row without a parsable Identity THEN it is skipped with its reason, never stored under a made-up key', () => {
    fc.assert(
      fc.property(rowWithoutIdentity, (raw) => {
        const identity = (raw as { Identity?: unknown }).Identity;
        fc.pre(typeof identity !== 'string' || parseIdentity(identity) === undefined);
        const result = mapQuarantineRow(raw);
        expect(result).toHaveProperty('skipped');
        expect(SKIP_REASONS).toContain((result as { skipped: SkipReason }).skipped);
      }),
      { numRuns: 800 },
    );
  });

  it('GIVEN huge values (100 KB subjects, 40,000 RTL overrides) THEN the row is kept and its entity fits Table Storage', () => {
    fc.assert(
      fc.property(
        rowWithIdentity({ Subject: hugeText, PolicyName: hugeText, SenderAddress: hugeText }),
        (raw) => {
          const message = mapped(raw);
          const entity = toEntity(message, new Date('2026-03-02T12:00:00Z'));
          for (const value of Object.values(entity)) {
            if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(MAX_STRING_CHARS);
          }
          expect(Buffer.byteLength(JSON.stringify(entity))).toBeLessThan(1024 * 1024);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('GIVEN any kept row THEN entity and back gives the same message (but for fields cut to fit, which say so)', () => {
    fc.assert(
      fc.property(rowWithIdentity(), (raw) => {
        const message = mapped(raw);
        const back = fromEntity(
          toEntity(message, new Date('2026-03-02T12:00:00Z')) as Record<string, unknown>,
        );
        expect(back).toEqual(message);
      }),
      { numRuns: 800 },
    );
  });
});

describe('the quarantine store round trip through Table Storage (Azurite)', () => {
  it('GIVEN batches of hostile rows THEN every row with a parsable Identity is stored and read back unchanged', async () => {
    const tables = await openTestTables('hostile');
    const store = new QuarantineStore(tables.quarantine);
    const batches = fc.sample(fc.array(rowWithIdentity(), { minLength: 1, maxLength: 25 }), {
      numRuns: 12,
      seed: 8,
    });
    for (const batch of batches) {
      const messages = batch.map(mapped);
      const result = await store.upsertMany(messages);
      expect(result.written).toBe(new Set(messages.map((m) => `${m.networkMessageId}|${m.rowId}`)).size);
      for (const message of messages) {
        const found = await store.findByNetworkMessageId(message.networkMessageId);
        const row = found.find((r) => r.rowId === message.rowId);
        const expected = fromEntity(toEntity(message, new Date()) as Record<string, unknown>);
        expect(row).toEqual(expected);
      }
    }
    await Promise.all(Object.values(tables).map((t) => t.deleteTable()));
  });

  it('GIVEN a 100 KB subject and the longest lists THEN the write succeeds, cut with a marker', async () => {
    const tables = await openTestTables('hostilehuge');
    const store = new QuarantineStore(tables.quarantine);
    const [raw] = fc.sample(
      rowWithIdentity({ Subject: hugeText, PolicyName: hugeText, MessageId: hugeText }),
      { numRuns: 1, seed: 8 },
    );
    const message = {
      ...mapped(raw),
      recipients: Array.from({ length: 20_000 }, (_, i) => `r${i}.${'x'.repeat(40)}@fabrikam.example`),
    };
    await expect(store.upsertMany([message])).resolves.toMatchObject({ written: 1, truncated: 1 });
    const [row] = await store.findByNetworkMessageId(message.networkMessageId);
    expect(row.subject.length).toBeLessThanOrEqual(MAX_STRING_CHARS);
    expect(row.truncated).toMatchObject({ subject: message.subject.length, recipients: 20_000 });
    await Promise.all(Object.values(tables).map((t) => t.deleteTable()));
  });
});

describe('hostile audit records', () => {
  it('GIVEN any record in either shape THEN normalising never throws and every ignored record names a known reason', () => {
    fc.assert(
      fc.property(fc.array(anyAuditRecord, { maxLength: 8 }), (raws) => {
        const { releases, ignored } = normaliseAuditRecords(raws);
        const ignoredCount = Object.values(ignored).reduce((a, b) => a + (b ?? 0), 0);
        // Every record is a release (one per address its ReleaseTo names) or an ignored one, never lost.
        const used = raws.filter((raw) => 'releases' in normaliseAuditRecord(raw)).length;
        expect(used + ignoredCount).toBe(raws.length);
        expect(releases.length).toBeGreaterThanOrEqual(used);
        for (const reason of Object.keys(ignored)) expect(IGNORED_REASONS).toContain(reason);
        for (const release of releases) {
          expect(release.networkMessageId).toMatch(
            /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
          );
          expect(new Date(release.releasedAt).toISOString()).toBe(release.releasedAt);
          if (release.releasedBy !== undefined) expect(release.releasedBy).toContain('@');
          // Never an email target: the system actor is a label, not an address.
          if (release.isSystemRelease) expect(release.releasedBy).toBeUndefined();
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('GIVEN a well-formed release in any of the four shapes, with hostile actor and recipient text THEN it is never lost', () => {
    fc.assert(
      fc.property(releaseRecord, ({ record, expected }) => {
        const result = normaliseAuditRecord(record);
        expect(result).toHaveProperty('releases');
        const { releases } = result as Extract<typeof result, { releases: unknown }>;
        for (const release of releases) {
          expect(release.id).toBe(expected.id.toLowerCase());
          expect(release.networkMessageId).toBe(expected.networkMessageId.toLowerCase());
        }
        // Each address of a list is its own unit; none is lost, none is made up.
        const pieces = expected.releaseTo
          .split(/[,;]/)
          .map((piece) => piece.trim())
          .filter((piece) => piece !== '');
        if (pieces.length === 0) {
          expect(releases).toHaveLength(1);
          expect(releases[0].releasedTo).toBeUndefined();
        } else {
          expect(releases.length).toBeLessThanOrEqual(pieces.length);
          const units = releases.map((r) => r.releasedTo);
          for (const piece of pieces) {
            expect(units).toContain(canonicalAddress(piece) ?? piece.toLowerCase());
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});
