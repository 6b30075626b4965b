import type { QueueClient } from '@azure/storage-queue';

/**
 * The Functions host's queue trigger, for local runs where Core Tools cannot run (`npm start`, the tests,
 * the bench): the same semantics against Azurite's queue service, read from host.json. A message is hidden
 * while it runs; on success it is deleted; on failure it becomes visible again after the retry delay, and
 * once it has been dequeued `maxDequeueCount` times it is moved to the `-poison` queue.
 */
export interface QueueTriggerSettings {
  batchSize: number;
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

/**
 * One poll of the queue: up to a batch of visible messages, run side by side as the host runs a batch.
 * The handler gets the message as the Functions host gives it: base64 decoded, JSON parsed when it is JSON.
 */
export async function pollQueue(
  queues: { runs: QueueClient; poison: QueueClient },
  handler: (message: unknown, context: QueueMessageContext) => Promise<unknown>,
  settings: QueueTriggerSettings = HOST_QUEUE_TRIGGER,
): Promise<QueuePoll> {
  const received = await queues.runs.receiveMessages({
    numberOfMessages: Math.min(32, settings.batchSize),
    visibilityTimeout: settings.runningSeconds,
  });
  const poll: QueuePoll = { handled: 0, failed: 0, poisoned: 0 };
  await Promise.all(
    received.receivedMessageItems.map(async (item) => {
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
          await queues.runs.updateMessage(
            item.messageId,
            item.popReceipt,
            undefined,
            settings.retryDelaySeconds,
          );
        }
      }
    }),
  );
  return poll;
}

function decode(text: string): unknown {
  const plain = Buffer.from(text, 'base64').toString('utf8');
  try {
    return JSON.parse(plain) as unknown;
  } catch {
    return plain;
  }
}
