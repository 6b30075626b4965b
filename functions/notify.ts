import { app, type InvocationContext, type Timer } from '@azure/functions';
import { hostedApplication, invocationLogger } from '../lib/entrypoints/runtime';

export async function notifyTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const application = await hostedApplication();
  await application.runNotify(invocationLogger(context));
}

app.timer('notify', { schedule: '%NOTIFY_SCHEDULE%', runOnStartup: false, handler: notifyTimer });
