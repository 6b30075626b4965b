import { DrivenClock, HOUR, MINUTE } from '../../lib/core/clock';

describe('DrivenClock: the driver owns the time', () => {
  const start = Date.parse('2026-03-05T08:00:00Z');

  test('GIVEN the driver moves it to a time THEN it reads that time or later (real time moves it on)', () => {
    const clock = new DrivenClock();
    clock.moveTo(new Date(start));
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(start);
  });

  test('GIVEN a sleep THEN it jumps forward by the sleep at once', async () => {
    const clock = new DrivenClock();
    clock.moveTo(new Date(start));
    await clock.sleep(5 * MINUTE);
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(start + 5 * MINUTE);
  });

  test('GIVEN a move to an earlier time THEN it never goes back', async () => {
    const clock = new DrivenClock();
    clock.moveTo('2026-03-05T08:00:00Z');
    await clock.sleep(HOUR);
    clock.moveTo('2026-03-05T08:30:00Z');
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(start + HOUR);
  });
});
