import { limiter, oneAhead, withConcurrency } from '../../lib/core/concurrency';

/** A source that records when each item is asked for and handed over, against the caller's own steps. */
function recordedSource(items: number[], log: string[], failAt?: number) {
  return (async function* () {
    for (const item of items) {
      log.push(`fetch ${item} start`);
      await new Promise((resolve) => setImmediate(resolve));
      if (item === failAt) throw new Error(`page ${item} could not be read`);
      log.push(`fetch ${item} done`);
      yield item;
    }
  })();
}

describe('oneAhead', () => {
  it('GIVEN pages to write WHEN each is written THEN the next page is already being fetched, never two ahead', async () => {
    const log: string[] = [];
    const seen: number[] = [];
    for await (const page of oneAhead(recordedSource([1, 2, 3], log))) {
      log.push(`write ${page} start`);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      log.push(`write ${page} done`);
      seen.push(page);
    }
    expect(seen).toEqual([1, 2, 3]);
    // Page 2's fetch starts before page 1's write ends; page 3's only after page 2 was handed over.
    expect(log.indexOf('fetch 2 start')).toBeLessThan(log.indexOf('write 1 done'));
    expect(log.indexOf('fetch 3 start')).toBeGreaterThan(log.indexOf('write 1 done'));
    expect(log.indexOf('fetch 3 start')).toBeLessThan(log.indexOf('write 2 done'));
  });

  it('GIVEN a page that cannot be read WHEN the caller reaches it THEN the error surfaces there, after the pages before it', async () => {
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const page of oneAhead(recordedSource([1, 2, 3], [], 2))) seen.push(page);
      })(),
    ).rejects.toThrow('page 2 could not be read');
    expect(seen).toEqual([1]);
  });

  it('GIVEN a caller that stops early WHEN the fetch under way then fails THEN the source is closed and nothing is left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let closed = false;
    const source = (async function* () {
      try {
        yield 1;
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('the next page failed');
      } finally {
        closed = true;
      }
    })();
    try {
      for await (const page of oneAhead(source)) {
        expect(page).toBe(1);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(closed).toBe(true);
    expect(unhandled).toEqual([]);
  });
});

describe('withConcurrency', () => {
  it('GIVEN more items than the limit WHEN run THEN every item runs once and never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await withConcurrency([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      done.push(item);
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });
});

describe('limiter', () => {
  it('GIVEN tasks handed in at different times THEN at most the limit run at once, started in the order handed in', async () => {
    const slot = limiter(2);
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const task = (n: number) => async () => {
      started.push(n);
      most = Math.max(most, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return n * 10;
    };
    const first = [1, 2, 3].map((n) => slot(task(n)));
    await new Promise((resolve) => setImmediate(resolve));
    const later = [4, 5].map((n) => slot(task(n)));
    expect(await Promise.all([...first, ...later])).toEqual([10, 20, 30, 40, 50]);
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });

  it('GIVEN a task that fails, even before its first await THEN only its own promise rejects and its place is freed', async () => {
    const slot = limiter(1);
    const failing = slot(() => {
      throw new Error('refused at once');
    });
    const after = slot(async () => 'ran');
    await expect(failing).rejects.toThrow('refused at once');
    await expect(after).resolves.toBe('ran');
    await expect(slot(() => Promise.reject(new Error('later')))).rejects.toThrow('later');
    await expect(slot(async () => 'still runs')).resolves.toBe('still runs');
  });
});
