import type { PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import { afterLastQuery, countingPolicy, emptyCounts, processCpuMs, tableIdle } from './shared';

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

/** What a notify run does after its last snapshot lookup, from when each table's last query ended. */
describe('afterLastQuery', () => {
  test('GIVEN two tables queried THEN the time after the named one, and counting only its queries', async () => {
    const counts = emptyCounts();
    const policy = countingPolicy(counts);
    const request = (method: string, url: string) =>
      ({ method, url, headers: { get: () => undefined } }) as unknown as PipelineRequest;
    const answer = async () => ({ status: 200 }) as PipelineResponse;
    await policy.sendRequest(
      request('GET', "http://t/acct/snapQuarantine()?$filter=PartitionKey eq 'a'"),
      answer,
    );
    const lookupEnded = counts.lastQueryEndByTable.snapQuarantine;
    await policy.sendRequest(request('POST', 'http://t/acct/snapReleases'), answer);
    await policy.sendRequest(
      request('GET', "http://t/acct/snapReleases()?$filter=PartitionKey eq 'a'"),
      answer,
    );
    expect(Object.keys(counts.lastQueryEndByTable).sort()).toEqual(['snapQuarantine', 'snapReleases']);
    expect(counts.lastQueryEndByTable.snapQuarantine).toBe(lookupEnded);
    expect(afterLastQuery(counts, 'snapQuarantine', lookupEnded - 300, 1000)).toBeCloseTo(700, 6);
  });

  test('GIVEN a table never queried THEN the whole run', () => {
    expect(afterLastQuery(emptyCounts(), 'snapQuarantine', 0, 1234)).toBe(1234);
  });
});

describe('processCpuMs', () => {
  test('GIVEN this process THEN its CPU time, growing with work; GIVEN no process THEN nothing', () => {
    const before = processCpuMs(process.pid);
    expect(before).toBeGreaterThan(0);
    const until = Date.now() + 60;
    while (Date.now() < until); // busy for 60 ms, at least a few of the kernel's 10 ms ticks
    expect(processCpuMs(process.pid)!).toBeGreaterThan(before!);
    expect(processCpuMs(undefined)).toBeUndefined();
    expect(processCpuMs(2 ** 30)).toBeUndefined();
  });
});
