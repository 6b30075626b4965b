import { app } from '@azure/functions';
import { hostedApplication } from '../lib/entrypoints/runtime';

// Responses stream (GET /api/releases writes the report row by row instead of building it in memory).
// Needs Functions host 4.28 or later; Flex Consumption has it.
app.setup({ enableHttpStream: true });

// Validate every setting when the worker starts, so a bad configuration fails loudly with one message
// naming each problem, instead of at the first timer tick.
app.hook.appStart(async () => {
  await hostedApplication();
});
