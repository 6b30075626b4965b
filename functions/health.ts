import { app } from '@azure/functions';
import { createHealthHandler } from '../lib/entrypoints/http';
import { hostedCustomerTenants, hostedHealthSource } from '../lib/entrypoints/runtime';

// Function key, not anonymous: every call reads the state table and counts releases (a cost anyone could
// run up), and ages and counts are operational facts. Availability tests send the key as x-functions-key.
// With many tenants it also reports each customer tenant's health.
export const healthHttp = createHealthHandler(hostedHealthSource, hostedCustomerTenants);

app.http('health', { methods: ['GET'], route: 'health', authLevel: 'function', handler: healthHttp });
