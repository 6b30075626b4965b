import { app } from '@azure/functions';
import { hostedApplication } from '../lib/faces/runtime';

// Validate every setting when the worker starts, so a bad configuration fails loudly with one message
// naming each problem, instead of at the first timer tick.
app.hook.appStart(async () => {
  await hostedApplication();
});
