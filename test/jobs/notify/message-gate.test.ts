import { MessageGate } from '../../../lib/jobs/notify/message-gate';

/** Which of the given promises have settled after the pending callbacks ran, and how. */
async function states(promises: Record<string, Promise<unknown>>) {
  const seen: Record<string, string> = {};
  for (const [name, promise] of Object.entries(promises)) {
    seen[name] = 'waiting';
    promise.then(
      () => (seen[name] = 'free'),
      (error: Error) => (seen[name] = `failed: ${error.message}`),
    );
  }
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return seen;
}

describe('the gate between the first pass and the audit records', () => {
  test('GIVEN a pass that has not read its rows THEN nobody passes; once read, a message it does not hold is free at once and one it holds when released', async () => {
    const gate = new MessageGate();
    const held = gate.settled('m1');
    const other = gate.settled('m9');
    expect(await states({ held, other })).toEqual({ held: 'waiting', other: 'waiting' });
    gate.open(['m1', 'm2']);
    expect(await states({ held, other })).toEqual({ held: 'waiting', other: 'free' });
    gate.release(['m1']);
    expect(await states({ held, m2: gate.settled('m2') })).toEqual({ held: 'free', m2: 'waiting' });
    gate.releaseAll();
    expect(await states({ m2: gate.settled('m2') })).toEqual({ m2: 'free' });
  });

  test('GIVEN a pass that fails THEN everyone waiting and everyone asking later hears its error', async () => {
    const gate = new MessageGate();
    const beforeRead = gate.settled('m1');
    gate.open(['m2']);
    const held = gate.settled('m2');
    gate.fail(new Error('table unavailable'));
    gate.releaseAll(); // the pass's own finally: changes nothing once failed
    expect(await states({ beforeRead, held, later: gate.settled('m3') })).toEqual({
      beforeRead: 'failed: table unavailable', // not through yet when the pass failed
      held: 'failed: table unavailable',
      later: 'failed: table unavailable',
    });
  });

  test('GIVEN a pass that fails before it has read its rows THEN the waiters hear its error', async () => {
    const gate = new MessageGate();
    const waiting = gate.settled('m1');
    gate.fail(new Error('scan failed'));
    expect(await states({ waiting })).toEqual({ waiting: 'failed: scan failed' });
  });
});
