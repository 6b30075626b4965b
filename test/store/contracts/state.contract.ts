import { randomUUID } from 'node:crypto';
import { ManualClock, MINUTE } from '../../../lib/core/clock';
import type { StatePort } from '../../../lib/jobs/notify/ports';

/** The rules every implementation of the jobs' state port keeps (table-backed and in memory). */
export function stateContract(name: string, open: (clock: ManualClock) => Promise<StatePort>): void {
  describe(`state port contract: ${name}`, () => {
    let clock: ManualClock;
    let state: StatePort;
    let job: string;
    beforeEach(async () => {
      clock = new ManualClock('2026-03-02T12:00:00Z');
      state = await open(clock);
      job = `job-${randomUUID()}`;
    });

    test('GIVEN a value written twice THEN the last one is read; an unknown key reads undefined', async () => {
      expect(await state.read(job, 'k')).toBeUndefined();
      await state.write(job, 'k', { n: 1 });
      await state.write(job, 'k', { n: 2, list: ['a'] });
      expect(await state.read(job, 'k')).toEqual({ n: 2, list: ['a'] });
    });

    test('GIVEN 40 values written at once WHEN read back with unknown keys among them THEN each known key reads its last value and unknown keys are left out', async () => {
      const entries = Array.from({ length: 40 }, (_, i) => ({
        key: `k${i}`,
        value: { n: i as number | string },
      }));
      await state.writeMany(job, [...entries, { key: 'k3', value: { n: 'last' } }]);
      const read = await state.readMany<{ n: number | string }>(job, [
        ...entries.map((e) => e.key),
        'unknown',
        "o'brien",
      ]);
      expect(read.size).toBe(40);
      expect(read.get('k39')).toEqual({ n: 39 });
      expect(read.get('k3')).toEqual({ n: 'last' });
      expect(read.has('unknown')).toBe(false);
      expect(await state.read(job, 'k17')).toEqual({ n: 17 });
    });

    test('GIVEN a held lease THEN a second run gets none until it is released', async () => {
      const first = await state.acquireLease(job, 'run-1', 15 * MINUTE);
      expect(first).toBeDefined();
      expect(await state.acquireLease(job, 'run-2', 15 * MINUTE)).toBeUndefined();
      expect(await first!.renew()).toBe(true);
      await first!.release();
      expect(await state.acquireLease(job, 'run-2', 15 * MINUTE)).toBeDefined();
    });

    test('GIVEN a lease left by a crashed run WHEN it expires THEN the next run takes it and the old run can no longer renew it', async () => {
      const crashed = await state.acquireLease(job, 'run-1', 15 * MINUTE);
      clock.advance(16 * MINUTE);
      const next = await state.acquireLease(job, 'run-2', 15 * MINUTE);
      expect(next).toBeDefined();
      expect(await crashed!.renew()).toBe(false);
      await crashed!.release(); // a no-op: it is not the holder
      expect(await state.acquireLease(job, 'run-3', 15 * MINUTE)).toBeUndefined();
    });
  });
}
