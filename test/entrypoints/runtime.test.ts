import { InvocationContext, type Timer } from '@azure/functions';
import { notifyTimer } from '../../functions/notify';
import { snapshotTimer } from '../../functions/snapshot';
import { RUN_EVENT_PREFIX, type RunEvent } from '../../lib/ops/run-event';
import { startWorld, type World } from '../support/world';

jest.setTimeout(120_000);

/**
 * The Functions entry points as the host calls them: each run writes its run event to the invocation's log
 * (which the host forwards to Application Insights), at a level that matches its outcome.
 */

const TIMER = { isPastDue: false } as unknown as Timer;

function invocation() {
  const logged: { level: string; text: string }[] = [];
  const context = new InvocationContext({
    functionName: 'test',
    logHandler: (level, ...args) => logged.push({ level, text: args.map(String).join(' ') }),
  });
  const events = () =>
    logged
      .filter((l) => l.text.startsWith(RUN_EVENT_PREFIX))
      .map((l) => ({ level: l.level, event: JSON.parse(l.text.slice(RUN_EVENT_PREFIX.length)) as RunEvent }));
  return { context, logged, events };
}

/** The host's environment is the process's: set for one test, then restored. */
async function withEnvironment<T>(env: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await body();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

describe('the timer functions emit one run event per run', () => {
  let world: World | undefined;
  afterEach(async () => world?.close());

  it('GIVEN settings the app cannot start with WHEN the snapshot timer fires THEN a failed run event is logged as an error and the invocation fails', async () => {
    const { context, events } = invocation();
    await withEnvironment({ AZURE_TENANT_ID: 'not-a-tenant' }, async () => {
      await expect(snapshotTimer(TIMER, context)).rejects.toThrow(/AZURE_TENANT_ID/);
    });
    expect(events()).toEqual([
      {
        level: 'error',
        event: expect.objectContaining({ job: 'snapshot', outcome: 'failed', consecutiveFailures: null }),
      },
    ]);
  });

  it('GIVEN a working tenant WHEN both timers fire THEN each logs one completed run event, as information, and the first snapshot logs the wire probe once', async () => {
    world = await startWorld();
    const snapshot = invocation();
    const notify = invocation();
    const again = invocation();
    await withEnvironment(world.env({ AUDIT_QUERY_POLL_SECONDS: '0' }), async () => {
      await snapshotTimer(TIMER, snapshot.context);
      await notifyTimer(TIMER, notify.context);
      await snapshotTimer(TIMER, again.context);
    });
    const probes = (logged: { text: string }[]) => logged.filter((l) => l.text.includes('wire probe:'));
    expect(probes(snapshot.logged)).toEqual([
      { level: 'information', text: expect.stringMatching(/wire probe: .*preferHonoured/) },
    ]);
    expect(probes(again.logged)).toEqual([]);
    expect(snapshot.events()).toEqual([
      {
        level: 'information',
        event: expect.objectContaining({ job: 'snapshot', outcome: 'completed', consecutiveFailures: 0 }),
      },
    ]);
    expect(notify.events()).toEqual([
      {
        level: 'information',
        event: expect.objectContaining({ job: 'notify', outcome: 'completed', consecutiveFailures: 0 }),
      },
    ]);
  });
});
