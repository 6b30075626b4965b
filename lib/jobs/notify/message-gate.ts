/**
 * Which messages a run's first pass still works on. The audit records of a message are recorded only once
 * the pass is done with that message's rows, so the two never change the same row at once, while the
 * records of every other message are recorded meanwhile (docs/architecture.md#exactly-once).
 *
 * Nothing is known before the pass has read its pending rows (`open`); a message it never read is free
 * from then on. When the pass fails, every waiter hears its error.
 */
export class MessageGate {
  private readonly held = new Map<string, Deferred>();
  private readonly read = deferred();
  private failure: { error: unknown } | undefined;

  /** The pass has read its pending rows: these are the messages it works on. */
  open(messages: Iterable<string>): void {
    if (this.failure) return;
    for (const id of messages) if (!this.held.has(id)) this.held.set(id, deferred());
    this.read.resolve();
  }

  /** The pass is done with these messages' rows. */
  release(messages: Iterable<string>): void {
    for (const id of messages) {
      this.held.get(id)?.resolve();
      this.held.delete(id);
    }
  }

  /** The pass ended: whatever it still held is free. */
  releaseAll(): void {
    this.read.resolve();
    this.release([...this.held.keys()]);
  }

  /** The pass failed: everyone waiting, and everyone who asks later, hears why. */
  fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.read.reject(error);
    for (const waiter of this.held.values()) waiter.reject(error);
    this.held.clear();
  }

  /** Resolves once the pass is done with the message (at once for one it does not hold). */
  async settled(networkMessageId: string): Promise<void> {
    await this.read.promise;
    if (this.failure) throw this.failure.error;
    await this.held.get(networkMessageId)?.promise;
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // nobody may be waiting when it fails: the pass reports its own error
  return { promise, resolve, reject };
}
