import { app } from '@azure/functions';
import { createReleasesHandler } from '../lib/entrypoints/http';
import { hostedApplication } from '../lib/entrypoints/runtime';

export const releasesHttp = createReleasesHandler(hostedApplication);

app.http('releases', { methods: ['GET'], route: 'releases', authLevel: 'function', handler: releasesHttp });
