import type { Clock } from '../core/clock';
import type { Logger } from '../core/log';
import { isPoison, setAside, type SetAsideKind } from '../store/set-aside';
import type { StatePort } from './notify/ports';

/** Returned by `isolate` when the work failed for a reason of its own and was set aside. */
export const SET_ASIDE = Symbol('set aside');

/**
 * Runs one unit of work (a record, a message's join, a batch); when it fails for a reason of its own
 * (`isPoison`), it is set aside with that reason and the run goes on (docs/architecture.md#set-aside).
 * An outage is thrown on, so the step stops without marking anything done.
 */
export async function isolate<T>(
  deps: { state: Pick<StatePort, 'read' | 'write'>; clock: Clock; logger: Logger },
  counter: { setAside?: number },
  kind: SetAsideKind,
  ref: string,
  work: () => Promise<T>,
): Promise<T | typeof SET_ASIDE> {
  try {
    return await work();
  } catch (error) {
    if (!isPoison(error)) throw error;
    counter.setAside = (counter.setAside ?? 0) + 1;
    deps.logger.warn(`notify: a ${kind} failed on its own and was set aside; the run goes on`, {
      kind,
      ref,
      error: error instanceof Error ? error.name : 'error',
    });
    await setAside(deps.state, deps.clock, kind, ref, error);
    return SET_ASIDE;
  }
}
