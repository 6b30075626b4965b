import type { QueueClient } from '@azure/storage-queue';

/**
 * The Functions host's queue trigger, for local runs where Core Tools cannot run (`npm start`, the tests,
 * the bench): the same semantics against Azurite's queue service, read from host.json. A message is hidden
 * while it runs; on success it is deleted; on failure it becomes visible again after the retry delay, and
 * once it has been dequeued `maxDequeueCount` times it is moved to the `-poison` queue.
 */
export interface QueueTriggerSettings {
  batchSize: number;
  /** A new batch is fetched once this many (or fewer) of the messages taken are still running. */
  newBatchThreshold: number;
  maxDequeueCount: number;
  /** Seconds a failed message waits before its next attempt. */
  retryDelaySeconds: number;
  /** Seconds a message stays hidden while its function runs. */
  runningSeconds: number;
}

/**
 * host.json's `extensions.queues` and `functionTimeout`, as the host applies them in Azure (a test holds
 * the two together: the deployment package must not carry a second copy of host.json).
 */
export const HOST_QUEUE_TRIGGER: QueueTriggerSettings = {
  batchSize: 4,
  newBatchThreshold: 2,
  maxDequeueCount: 5,
  retryDelaySeconds: 60,
  runningSeconds: 600,
};

export interface QueueMessageContext {
  id: string;
  dequeueCount: number;
}

export interface QueuePoll {
  handled: number;
  failed: number;
  poisoned: number;
}

type Queues = { runs: QueueClient; poison: QueueClient };
type Handler = (message: unknown, context: QueueMessageContext) => Promise<unknown>;

/**
 * One poll of the queue: up to a batch of visible messages, run side by side as the host runs a batch.
 * The handler gets the message as the Functions host gives it: base64 decoded, JSON parsed when it is JSON.
 */
export async function pollQueue(
  queues: Queues,
  handler: Handler,
  settings: QueueTriggerSettings = HOST_QUEUE_TRIGGER,
): Promise<QueuePoll> {
  const poll: QueuePoll = { handled: 0, failed: 0, poisoned: 0 };
  const items = await receive(queues, settings, settings.batchSize);
  await Promise.all(items.map((item) => handle(queues, handler, settings, item, poll)));
  return poll;
}

/**
 * One instance's listener, as the host runs it: a new batch whenever no more than `newBatchThreshold` of
 * the messages it took are still running (a slow message never holds the others back), an idle wait of
 * `idleMs` when the queue is empty, until `stop()`, which lets the running messages finish.
 */
export function startQueueWorker(
  queues: Queues,
  handler: Handler,
  settings: QueueTriggerSettings = HOST_QUEUE_TRIGGER,
  idleMs = 1_000,
): { totals: QueuePoll; stop(): Promise<QueuePoll> } {
  const totals: QueuePoll = { handled: 0, failed: 0, poisoned: 0 };
  const running = new Set<Promise<void>>();
  let stopped = false;
  let wake: () => void = () => undefined;
  const loop = (async () => {
    while (!stopped) {
      if (running.size > settings.newBatchThreshold) {
        await Promise.race(running);
        continue;
      }
      const items = await receive(queues, settings, settings.batchSize);
      if (items.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, idleMs);
        });
        continue;
      }
      for (const item of items) {
        const run: Promise<void> = handle(queues, handler, settings, item, totals).finally(() =>
          running.delete(run),
        );
        running.add(run);
      }
    }
    await Promise.all(running);
  })();
  return {
    totals,
    stop: async () => {
      stopped = true;
      wake();
      await loop;
      return totals;
    },
  };
}

async function receive(queues: Queues, settings: QueueTriggerSettings, count: number) {
  const received = await queues.runs.receiveMessages({
    numberOfMessages: Math.min(32, count),
    visibilityTimeout: settings.runningSeconds,
  });
  return received.receivedMessageItems;
}

async function handle(
  queues: Queues,
  handler: Handler,
  settings: QueueTriggerSettings,
  item: { messageId: string; popReceipt: string; messageText: string; dequeueCount: number },
  poll: QueuePoll,
): Promise<void> {
  try {
    await handler(decode(item.messageText), { id: item.messageId, dequeueCount: item.dequeueCount });
    await queues.runs.deleteMessage(item.messageId, item.popReceipt);
    poll.handled += 1;
  } catch {
    poll.failed += 1;
    if (item.dequeueCount >= settings.maxDequeueCount) {
      await queues.poison.createIfNotExists();
      await queues.poison.sendMessage(item.messageText);
      await queues.runs.deleteMessage(item.messageId, item.popReceipt);
      poll.poisoned += 1;
    } else {
      await queues.runs.updateMessage(item.messageId, item.popReceipt, undefined, settings.retryDelaySeconds);
    }
  }
}

function decode(text: string): unknown {
  const plain = Buffer.from(text, 'base64').toString('utf8');
  try {
    return JSON.parse(plain) as unknown;
  } catch {
    return plain;
  }
}
