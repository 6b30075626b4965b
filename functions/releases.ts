import { app } from '@azure/functions';
import { createReleasesHandler } from '../lib/entrypoints/http';
import { hostedApplication } from '../lib/entrypoints/runtime';

export const releasesHttp = createReleasesHandler(hostedApplication);

// Anonymous to the host: the handler itself requires an Entra ID token with the app role (personal data
// is never behind a shared function key); App Service authentication may sit in front as well.
app.http('releases', { methods: ['GET'], route: 'releases', authLevel: 'anonymous', handler: releasesHttp });
