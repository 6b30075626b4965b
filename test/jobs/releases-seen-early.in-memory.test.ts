import { HOUR, MINUTE } from '../../lib/core/clock';
import { memoryWorld } from '../support/memory-notify';

/**
 * The fast path (lib/jobs/releases-seen-early.ts) with both jobs on the in-memory stores and Microsoft 365
 * in process: no table service, no simulator over https. The wire of the Released query and of the audit
 * log stays with test/scenarios/fast-path.test.ts and test/scenarios/released-to.test.ts.
 */

const ADMIN = 'adele.vance@contoso.com';

/** A tenant whose audit records are hours from visible, holding one outbound message already snapshotted. */
async function heldMessage(sender: string, subject?: string) {
  const w = memoryWorld();
  w.m365.auditLatencyMs = 5 * HOUR;
  const { networkMessageId: id } = w.m365.addMessage({
    sender,
    recipients: ['buyer@fabrikam.example'],
    ...(subject ? { subject } : {}),
    type: 'TransportRule',
  });
  await w.runSnapshot();
  return { w, id };
}

describe('releases seen early in the quarantine status, then completed by the audit record', () => {
  test('GIVEN the audit record is hours from visible WHEN the next snapshot sees the release THEN the sender is told, and the later audit record completes the view (exact time, releaser) without a second email', async () => {
    const { w, id } = await heldMessage('megan.bowen@contoso.com', 'Board pack (draft)');
    w.m365.release({ networkMessageId: id, by: ADMIN });
    const releasedAt = w.clock.now().getTime();

    const { snapshot, notify } = await w.runPeriod();
    expect(snapshot.releasesSeenEarly).toMatchObject({ newReleases: 1 });
    expect(notify).toMatchObject({ emailsSent: 1, newReleases: 0 });
    expect(w.channel.sends).toHaveLength(1);
    expect(w.channel.sends[0].email.plainText).toContain(`Released by: ${ADMIN}`);
    const early = (await w.releases.listForMessage(id))[0];
    expect(early).toMatchObject({ status: 'notified', sources: ['quarantine'], auditRecordIds: [] });
    expect(new Date(early.notifiedAt!).getTime() - releasedAt).toBeLessThanOrEqual(20 * MINUTE);

    // Six hours of the schedule, every job running: the audit record becomes visible and is read.
    const later = [];
    for (let i = 0; i < 24; i++) later.push(await w.runPeriod());
    expect(later.reduce((n, p) => n + p.notify.completedReleases, 0)).toBe(1);
    expect(later.every((p) => p.notify.emailsSent === 0)).toBe(true);
    expect([...w.channel.delivered()]).toEqual([['megan.bowen@contoso.com', 1]]);
    const complete = (await w.releases.listForMessage(id))[0];
    expect(complete.status).toBe('notified');
    expect(complete.sources.sort()).toEqual(['audit', 'quarantine']);
    expect(complete.auditRecordIds).toHaveLength(1);
    expect(new Date(complete.releasedAt).getTime()).toBe(releasedAt - (releasedAt % 1000)); // the audit record's time
    expect(complete.releasedBy).toBe(ADMIN);
  });

  test("GIVEN a release seen early THEN its pending row already names the message's sender, in the form the join gives it", async () => {
    const { w, id } = await heldMessage('Megan.Bowen@Contoso.com');
    w.m365.release({ networkMessageId: id, by: ADMIN });
    await w.runSnapshot();
    const [row] = await w.releases.listForMessage(id);
    expect(row).toMatchObject({ status: 'pending', sender: 'megan.bowen@contoso.com' });
    expect(row.originalRecipients).toBeUndefined(); // the rest is the join's
  });

  test('GIVEN three messages released to five recipients WHEN the snapshot sees them THEN the new units are written in one batch, one transaction per message, with no read; GIVEN a unit recorded meanwhile THEN that message is recorded unit by unit, once', async () => {
    const w = memoryWorld({ RELEASE_SOURCES: 'quarantine' });
    const ids = [
      ['a@fabrikam.example', 'b@fabrikam.example'],
      ['c@fabrikam.example', 'd@fabrikam.example'],
      ['e@fabrikam.example'],
    ].map(
      (recipients, n) =>
        w.m365.addMessage({ sender: `user${n}@contoso.com`, recipients, type: 'TransportRule' })
          .networkMessageId,
    );
    await w.runSnapshot();
    for (const id of ids) w.m365.release({ networkMessageId: id, by: ADMIN });
    const batches: string[][] = [];
    const writeMany = w.releases.writeMany.bind(w.releases);
    const recordFromAudit = w.releases.record.bind(w.releases);
    w.releases.writeMany = async (writes) => {
      batches.push(writes.map((x) => x.row.releasedTo));
      // Meanwhile (after the snapshot read the known units) the audit log recorded a unit of the second message.
      await recordFromAudit(
        {
          id: 'audit-1',
          source: 'audit',
          networkMessageId: ids[1],
          releasedTo: 'c@fabrikam.example',
          releasedAt: w.clock.now().toISOString(),
          releasedBy: ADMIN,
          releasedByRaw: ADMIN,
          isSystemRelease: false,
        },
        w.clock.now(),
      );
      return writeMany(writes);
    };
    const get = jest.spyOn(w.releases, 'get');
    const record = jest.spyOn(w.releases, 'record');
    record.mockClear();

    w.clock.advance(15 * MINUTE);
    const snapshot = await w.runSnapshot();
    expect(batches).toHaveLength(1);
    expect(batches[0].sort()).toEqual(['a', 'b', 'c', 'd', 'e'].map((x) => `${x}@fabrikam.example`));
    // Only the second message's transaction was refused: its two units were recorded one by one.
    expect(record.mock.calls.map(([event]) => event.releasedTo).sort()).toEqual([
      'c@fabrikam.example',
      'd@fabrikam.example',
    ]);
    expect(get).not.toHaveBeenCalled();
    expect(snapshot.releasesSeenEarly).toMatchObject({ newReleases: 4 });
    const second = await w.releases.listForMessage(ids[1]);
    expect(second.map((r) => [r.releasedTo, r.sources.sort().join('+')]).sort()).toEqual([
      ['c@fabrikam.example', 'audit+quarantine'],
      ['d@fabrikam.example', 'quarantine'],
    ]);
  });
});
