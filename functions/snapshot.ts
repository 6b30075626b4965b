import { app, type InvocationContext, type Timer } from '@azure/functions';
import { hostedApplication, invocationLogger } from '../lib/entrypoints/runtime';

export async function snapshotTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const application = await hostedApplication();
  const summary = await application.runSnapshot(invocationLogger(context));
  // A failed run is reported as a failed invocation (and so alerts), its watermark left where it was.
  if (summary.outcome === 'failed') throw new Error(`snapshot failed: ${summary.error}`);
}

app.timer('snapshot', { schedule: '%SNAPSHOT_SCHEDULE%', runOnStartup: false, handler: snapshotTimer });
