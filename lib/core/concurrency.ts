/** Runs `task` on every item, at most `limit` at once, in the items' order of starting. */
export async function withConcurrency<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]);
  });
  await Promise.all(workers);
}

/**
 * A limit shared by tasks that start at different times: at most `limit` run at once, the others start in
 * the order they were handed in as places free up. Each task's own promise carries its result or error.
 */
export function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    if (running >= limit) return;
    const start = queue.shift();
    if (!start) return;
    running += 1;
    start();
  };
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        Promise.resolve()
          .then(task)
          .then(resolve, reject)
          .finally(() => {
            running -= 1;
            next();
          });
      });
      next();
    });
}

/**
 * Reads `source` one item ahead: while the caller works on an item, the next one is already being fetched,
 * so a page is fetched while the previous one is written, and a run takes about the longer of the two
 * rather than their sum. At most one item waits beyond the one in hand. An error of the source surfaces
 * where the caller reaches that item; a caller that stops early closes the source and drops the fetch
 * under way without an unhandled rejection.
 */
export async function* oneAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  let finished = false;
  try {
    for (;;) {
      const result = await pending;
      if (result.done) {
        finished = true;
        return;
      }
      pending = iterator.next();
      yield result.value;
    }
  } finally {
    if (!finished) {
      pending.catch(() => undefined);
      await iterator.return?.().catch(() => undefined);
    }
  }
}
