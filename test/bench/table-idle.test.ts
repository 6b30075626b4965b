import { emptyCounts, tableIdle } from './shared';

/** The bench names where a run of ours spends time with no table request in flight (test/bench/shared.ts). */
describe('tableIdle', () => {
  test('GIVEN requests from 50 ms into a run to 50 ms before its end, 700 ms of them busy THEN 50, 200 and 50 ms idle', () => {
    const counts = { ...emptyCounts(), busyMs: 700, firstAt: 150, lastAt: 1050 };
    expect(tableIdle(counts, 100, 1000)).toEqual({ beforeFirstMs: 50, betweenMs: 200, afterLastMs: 50 });
  });

  test('GIVEN a run that made no table request THEN all of it is before the first', () => {
    expect(tableIdle(emptyCounts(), 100, 400)).toEqual({ beforeFirstMs: 400, betweenMs: 0, afterLastMs: 0 });
  });
});
