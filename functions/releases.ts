import { app } from '@azure/functions';
import { createReleasesHandler } from '../lib/faces/http';
import { hostedApplication } from '../lib/faces/runtime';

export const releasesHttp = createReleasesHandler(hostedApplication);

app.http('releases', { methods: ['GET'], route: 'releases', authLevel: 'function', handler: releasesHttp });
