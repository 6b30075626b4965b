/**
 * Time is a dependency (docs/architecture.md#time): jobs ask a Clock, never `Date.now()`, so tests and the
 * simulator can move time together.
 */
export interface Clock {
  now(): Date;
  /** Waits `ms` of this clock's time. A manual clock advances itself instead of waiting. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A clock that only moves when told to; `sleep` advances it at once. For tests and the simulator. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2026-03-02T12:00:00Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  async sleep(ms: number): Promise<void> {
    this.advance(ms);
  }

  advance(ms: number): Date {
    this.current += Math.max(0, ms);
    return this.now();
  }

  set(to: Date | string): void {
    this.current = new Date(to).getTime();
  }
}

/** A clock that runs at real speed from an offset that can be moved forward (the local simulator's). */
export class OffsetClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal);
  }

  advance(ms: number): Date {
    this.offsetMs += Math.max(0, ms);
    return this.now();
  }
}

/**
 * A job process's clock when a driver owns the time (the chaos run, the bench's catch-up): the simulated
 * time the driver gives at each run, moving on with real time and jumping forward on `sleep` (the audit
 * poll). It never goes back, so it is never behind the simulator's clock.
 */
export class DrivenClock implements Clock {
  private base = 0;
  private realStart = Date.now();

  now(): Date {
    return new Date(this.base + (Date.now() - this.realStart));
  }

  async sleep(ms: number): Promise<void> {
    this.base += Math.max(0, ms);
  }

  /** Moves to the driver's time, unless this clock is already past it. */
  moveTo(to: Date | string): void {
    const target = new Date(to).getTime();
    if (target > this.now().getTime()) {
      this.base = target;
      this.realStart = Date.now();
    }
  }
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
