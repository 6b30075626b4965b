import { randomUUID } from 'node:crypto';
import type { ReleaseEvent } from '../../../lib/core/domain';
import type { ReleasesPort } from '../../../lib/jobs/notify/ports';
import type { ReleasesSeenPort } from '../../../lib/jobs/snapshot/ports';
import { MAX_KEYED_TEXT } from '../../../lib/store/keys';
import { newReleaseRow, releaseUnitKey } from '../../../lib/store/releases-store';

const NOW = new Date('2026-03-02T12:00:00Z');

function event(overrides: Partial<ReleaseEvent> = {}): ReleaseEvent {
  return {
    id: randomUUID(),
    source: 'audit',
    networkMessageId: randomUUID(),
    releasedTo: 'megan@contoso.com',
    releasedAt: '2026-03-02T11:00:00.000Z',
    releasedBy: 'adele.vance@contoso.com',
    releasedByRaw: 'adele.vance@contoso.com',
    isSystemRelease: false,
    ...overrides,
  };
}

/** The rules every implementation of notify's releases port keeps (table-backed and in memory). */
export function releasesContract(name: string, open: () => Promise<ReleasesPort & ReleasesSeenPort>): void {
  describe(`releases port contract: ${name}`, () => {
    let releases: ReleasesPort & ReleasesSeenPort;
    beforeEach(async () => {
      releases = await open();
    });

    test('GIVEN a new unit WHEN recorded THEN it is pending; the same record again is a duplicate', async () => {
      const first = event();
      expect(await releases.record(first, NOW)).toBe('new');
      expect(await releases.record(first, NOW)).toBe('duplicate');
      const row = await releases.get(first.networkMessageId, 'megan@contoso.com');
      expect(row).toMatchObject({ status: 'pending', auditRecordIds: [first.id], sources: ['audit'] });
      expect(row?.etag).toEqual(expect.any(String));
    });

    test.each([
      ['a lone surrogate', 'megan\uD800@contoso.com'],
      ['a value over 1 KiB', `${'x'.repeat(10_000)}@contoso.com`],
      ['key-forbidden characters', 'a/b\\c#d?e\u0001@contoso.com'],
      ['a quoted local part', '"<ceo@contoso.com>"@evil.example'],
    ])(
      'GIVEN a release to %s THEN it is stored well-formed and bounded, found again, and recorded once',
      async (_name, releasedTo) => {
        const first = event({ releasedTo });
        expect(await releases.record(first, NOW)).toBe('new');
        expect(await releases.record({ ...first, id: randomUUID() }, NOW)).toBe('completed');
        const row = await releases.get(first.networkMessageId, releasedTo);
        expect(row).toBeDefined();
        expect(row!.releasedTo.length).toBeLessThanOrEqual(MAX_KEYED_TEXT);
        expect(row!.releasedTo).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
        expect(await releases.listForMessage(first.networkMessageId)).toHaveLength(1);
        const known = await releases.knownUnitsSince(new Date('2026-03-01T00:00:00Z'));
        expect(known.has(releaseUnitKey(first.networkMessageId, releasedTo))).toBe(true);
        expect(await releases.update({ ...row!, status: 'notified' })).toBeDefined();
        expect((await releases.get(first.networkMessageId, releasedTo))!.status).toBe('notified');
      },
    );

    test('GIVEN a unit first seen in the quarantine WHEN its audit record comes THEN the row is completed, its status kept', async () => {
      const seen = event({ source: 'quarantine', releasedByRaw: undefined, releasedBy: undefined });
      await releases.record(seen, NOW);
      const row = (await releases.get(seen.networkMessageId, 'megan@contoso.com'))!;
      await releases.update({ ...row, status: 'notified' });
      const audit = event({
        networkMessageId: seen.networkMessageId,
        releasedAt: '2026-03-02T10:59:00.000Z',
      });
      expect(await releases.record(audit, NOW)).toBe('completed');
      expect(await releases.get(seen.networkMessageId, 'megan@contoso.com')).toMatchObject({
        status: 'notified',
        sources: ['quarantine', 'audit'],
        releasedAt: '2026-03-02T10:59:00.000Z',
        releasedBy: 'adele.vance@contoso.com',
      });
    });

    test('GIVEN a reason written as its sentence alone WHEN the row is read THEN the store gives the code the sentence reads as; GIVEN one written with its code THEN that code is kept', async () => {
      const e = event();
      await releases.record(e, NOW);
      const row = (await releases.get(e.networkMessageId, 'megan@contoso.com'))!;
      expect(row.reasonCode).toBe('waiting-for-snapshot');
      const { reasonCode: _code, ...sentenceOnly } = row;
      await releases.update({ ...sentenceOnly, status: 'skipped', reason: 'inbound' });
      expect(await releases.get(e.networkMessageId, 'megan@contoso.com')).toMatchObject({
        reason: 'inbound',
        reasonCode: 'inbound',
      });
      const decided = (await releases.get(e.networkMessageId, 'megan@contoso.com'))!;
      await releases.update({
        ...decided,
        status: 'failed',
        reason: 'send failed after 3 attempts: redirected to nowhere',
        reasonCode: 'send-failed',
      });
      expect((await releases.get(e.networkMessageId, 'megan@contoso.com'))?.reasonCode).toBe('send-failed');
    });

    test('GIVEN a row read twice WHEN both copies are written THEN the second write loses (undefined) and the first stays', async () => {
      const e = event();
      await releases.record(e, NOW);
      const a = (await releases.get(e.networkMessageId, 'megan@contoso.com'))!;
      const b = (await releases.get(e.networkMessageId, 'megan@contoso.com'))!;
      const etag = await releases.update({ ...a, reason: 'first' });
      expect(etag).toEqual(expect.any(String));
      expect(etag).not.toBe(a.etag);
      expect(await releases.update({ ...b, reason: 'second' })).toBeUndefined();
      expect((await releases.get(e.networkMessageId, 'megan@contoso.com'))?.reason).toBe('first');
    });

    test('GIVEN a row WHEN a property is removed THEN it reads back without it', async () => {
      const e = event();
      await releases.record(e, NOW);
      const row = (await releases.get(e.networkMessageId, 'megan@contoso.com'))!;
      await releases.update({ ...row, notificationId: 'n-1' });
      const held = (await releases.get(e.networkMessageId, 'megan@contoso.com'))!;
      expect(held.notificationId).toBe('n-1');
      const { notificationId: _n, ...freed } = held;
      await releases.update(freed);
      expect((await releases.get(e.networkMessageId, 'megan@contoso.com'))?.notificationId).toBeUndefined();
    });

    test('GIVEN a row that does not exist WHEN it is updated THEN the update throws (404), nothing is created', async () => {
      const e = event();
      await releases.record(e, NOW);
      const row = (await releases.get(e.networkMessageId, 'megan@contoso.com'))!;
      const ghost = { ...row, networkMessageId: randomUUID(), etag: undefined };
      await expect(releases.update(ghost)).rejects.toMatchObject({ statusCode: 404 });
      expect(await releases.get(ghost.networkMessageId, 'megan@contoso.com')).toBeUndefined();
    });

    test('GIVEN rows of a message in several states THEN listPending yields the pending ones and listForMessage all of them', async () => {
      const networkMessageId = randomUUID();
      await releases.record(event({ networkMessageId, releasedTo: 'a@contoso.com' }), NOW);
      await releases.record(event({ networkMessageId, releasedTo: 'b@contoso.com' }), NOW);
      await releases.record(event({ networkMessageId, releasedTo: undefined }), NOW);
      const b = (await releases.get(networkMessageId, 'b@contoso.com'))!;
      await releases.update({ ...b, status: 'notified' });
      const pending: string[] = [];
      for await (const row of releases.listPending())
        if (row.networkMessageId === networkMessageId) pending.push(row.releasedTo);
      expect(pending.sort()).toEqual(['', 'a@contoso.com']);
      const all = await releases.listForMessage(networkMessageId);
      expect(all.map((r) => `${r.releasedTo}:${r.status}`).sort()).toEqual([
        ':pending',
        'a@contoso.com:pending',
        'b@contoso.com:notified',
      ]);
    });

    test('GIVEN new rows and read rows of two messages WHEN written in one batch THEN each gets a new ETag and reads back', async () => {
      const first = event();
      await releases.record(first, NOW);
      const read = (await releases.get(first.networkMessageId, 'megan@contoso.com'))!;
      const sibling = newReleaseRow(
        event({ networkMessageId: first.networkMessageId, releasedTo: 'joni@contoso.com' }),
        'joni@contoso.com',
        NOW,
      );
      const other = newReleaseRow(event(), 'megan@contoso.com', NOW);
      const outcomes = await releases.writeMany([
        { row: { ...read, reason: 'sending' }, etag: read.etag },
        { row: sibling, create: true },
        { row: other, create: true },
      ]);
      expect(outcomes).toEqual([
        { etag: expect.any(String) },
        { etag: expect.any(String) },
        { etag: expect.any(String) },
      ]);
      const again = (await releases.get(first.networkMessageId, 'megan@contoso.com'))!;
      expect(again).toMatchObject({ reason: 'sending', etag: (outcomes[0] as { etag: string }).etag });
      expect(await releases.get(first.networkMessageId, 'joni@contoso.com')).toMatchObject({
        status: 'pending',
      });
      expect(await releases.get(other.networkMessageId, 'megan@contoso.com')).toMatchObject({
        status: 'pending',
      });
    });

    test('GIVEN a row changed since it was read WHEN its message is written in a batch THEN that whole message is a conflict and unwritten, the other message written', async () => {
      const first = event();
      await releases.record(first, NOW);
      await releases.record(
        event({ networkMessageId: first.networkMessageId, releasedTo: 'joni@contoso.com' }),
        NOW,
      );
      const stale = (await releases.get(first.networkMessageId, 'megan@contoso.com'))!;
      const sibling = (await releases.get(first.networkMessageId, 'joni@contoso.com'))!;
      await releases.update({ ...stale, reason: 'changed meanwhile' });
      const other = newReleaseRow(event(), 'megan@contoso.com', NOW);
      const outcomes = await releases.writeMany([
        { row: { ...stale, reason: 'sending' }, etag: stale.etag },
        { row: { ...sibling, reason: 'sending' }, etag: sibling.etag },
        { row: other, create: true },
      ]);
      expect(outcomes).toEqual([{ conflict: true }, { conflict: true }, { etag: expect.any(String) }]);
      expect((await releases.get(first.networkMessageId, 'megan@contoso.com'))?.reason).toBe(
        'changed meanwhile',
      );
      expect((await releases.get(first.networkMessageId, 'joni@contoso.com'))?.reason).toBe(sibling.reason);
    });

    test('GIVEN a row that exists WHEN it is created again in a batch THEN the write is a conflict and the row is kept', async () => {
      const first = event();
      await releases.record(first, NOW);
      const outcomes = await releases.writeMany([
        { row: { ...newReleaseRow(first, 'megan@contoso.com', NOW), reason: 'overwritten' }, create: true },
      ]);
      expect(outcomes).toEqual([{ conflict: true }]);
      expect((await releases.get(first.networkMessageId, 'megan@contoso.com'))?.reason).not.toBe(
        'overwritten',
      );
    });

    test('GIVEN 150 new rows of one message WHEN written in one batch THEN all are written (transactions of at most 100)', async () => {
      const networkMessageId = randomUUID();
      const rows = Array.from({ length: 150 }, (_, i) =>
        newReleaseRow(event({ networkMessageId, releasedTo: `r${i}@contoso.com` }), `r${i}@contoso.com`, NOW),
      );
      const outcomes = await releases.writeMany(rows.map((row) => ({ row, create: true })));
      expect(outcomes.filter((o) => 'etag' in o)).toHaveLength(150);
      expect(await releases.listForMessage(networkMessageId)).toHaveLength(150);
    });

    test('GIVEN units released before and after a time THEN knownUnitsSince names only the later ones', async () => {
      const early = event({ releasedAt: '2026-03-01T00:00:00.000Z' });
      const late = event({ releasedAt: '2026-03-02T11:30:00.000Z' });
      await releases.record(early, NOW);
      await releases.record(late, NOW);
      const known = await releases.knownUnitsSince(new Date('2026-03-02T11:00:00Z'));
      expect(known.has(releaseUnitKey(late.networkMessageId, 'megan@contoso.com'))).toBe(true);
      expect(known.has(releaseUnitKey(early.networkMessageId, 'megan@contoso.com'))).toBe(false);
    });

    test('GIVEN old settled, old pending and recent settled rows WHEN purged THEN only the old settled row goes', async () => {
      const old = event({ releasedAt: '2020-01-01T00:00:00.000Z' });
      const oldPending = event({ releasedAt: '2020-01-01T00:00:00.000Z' });
      const recent = event();
      for (const e of [old, oldPending, recent]) await releases.record(e, NOW);
      for (const e of [old, recent]) {
        const row = (await releases.get(e.networkMessageId, 'megan@contoso.com'))!;
        await releases.update({ ...row, status: 'notified' });
      }
      expect(await releases.purgeSettledBefore(new Date('2021-01-01T00:00:00Z'))).toBeGreaterThanOrEqual(1);
      expect(await releases.get(old.networkMessageId, 'megan@contoso.com')).toBeUndefined();
      expect(await releases.get(oldPending.networkMessageId, 'megan@contoso.com')).toBeDefined();
      expect(await releases.get(recent.networkMessageId, 'megan@contoso.com')).toBeDefined();
    });
  });
}
