import { app, type InvocationContext, type Timer } from '@azure/functions';
import { runHostedJob } from '../lib/entrypoints/runtime';

export async function snapshotTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const { event } = await runHostedJob('snapshot', context);
  // A failed run is reported as a failed invocation (and so alerts), its watermark left where it was.
  if (event.outcome === 'failed') throw new Error(`snapshot failed: ${event.failure}`);
}

app.timer('snapshot', { schedule: '%SNAPSHOT_SCHEDULE%', runOnStartup: false, handler: snapshotTimer });
