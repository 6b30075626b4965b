import type { Clock } from '../core/clock';

/**
 * Asks the table whether the run still holds its lease at most once per `interval`. A lease renewed
 * less than `interval` ago cannot have expired (it runs for the full lease time from that renewal), so
 * no other run can have taken it: asking again before each email or page would only cost a read and a
 * write each. Once `interval` has passed it is renewed (and a lease lost meanwhile is found) before the next
 * email. Sends in flight at once share one renewal: two renewals racing would see each other's write as
 * a lease lost.
 */
export function renewedAtMost(
  interval: number,
  clock: Clock,
  renew: () => Promise<boolean>,
): () => Promise<boolean> {
  let renewedAt = clock.now().getTime();
  let held = true;
  let renewing: Promise<boolean> | undefined;
  return async () => {
    if (renewing) return renewing;
    if (!held) return false;
    const now = clock.now().getTime();
    if (now - renewedAt < interval) return true;
    renewing = renew().then((stillHeld) => {
      held = stillHeld;
      if (held) renewedAt = now;
      return held;
    });
    try {
      return await renewing;
    } finally {
      renewing = undefined;
    }
  };
}
