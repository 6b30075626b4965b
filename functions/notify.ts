import { app, type InvocationContext, type Timer } from '@azure/functions';
import { runHostedJob } from '../lib/entrypoints/runtime';

export async function notifyTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  await runHostedJob('notify', context);
}

app.timer('notify', { schedule: '%NOTIFY_SCHEDULE%', runOnStartup: false, handler: notifyTimer });
