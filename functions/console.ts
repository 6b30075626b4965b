import { app } from '@azure/functions';
import { fromFunctionsRequest, toFunctionsResponse } from '../lib/entrypoints/console/hosts';
import { hostedConsole } from '../lib/entrypoints/runtime';

// Anonymous at the host: the console's own access check requires the Entra ID sign-in and app role on
// every request (a function key in a bookmark would be a shared secret in every browser's history).
export const consoleHttp = async (request: Parameters<typeof fromFunctionsRequest>[0]) =>
  toFunctionsResponse(await hostedConsole(fromFunctionsRequest(request)));

app.http('console', {
  methods: ['GET', 'HEAD'],
  route: 'console/{*path}',
  authLevel: 'anonymous',
  handler: consoleHttp,
});
