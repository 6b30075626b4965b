import type { Clock } from '../../core/clock';

/**
 * Asks the table whether the run still holds its lease at most once per `interval`. A lease renewed
 * less than `interval` ago cannot have expired (it runs for the full lease time from that renewal), so
 * no other run can have taken it: asking again before each email would only cost a read and a write per
 * sender. Once `interval` has passed it is renewed (and a lease lost meanwhile is found) before the next
 * email.
 */
export function renewedAtMost(
  interval: number,
  clock: Clock,
  renew: () => Promise<boolean>,
): () => Promise<boolean> {
  let renewedAt = clock.now().getTime();
  let held = true;
  return async () => {
    if (!held) return false;
    const now = clock.now().getTime();
    if (now - renewedAt < interval) return true;
    held = await renew();
    if (held) renewedAt = now;
    return held;
  };
}
