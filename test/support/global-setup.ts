import { startAzuriteQueues, startAzuriteTables, type RunningAzurite } from '../../lib/local/azurite';

/**
 * Starts one in-memory Azurite for the whole run (tables, and queues for the fleet's tenant runs); each
 * test file uses its own table prefix or queue.
 */
export default async function globalSetup(): Promise<void> {
  const [azurite, queues] = await Promise.all([startAzuriteTables(), startAzuriteQueues()]);
  (globalThis as { __azurite?: RunningAzurite }).__azurite = azurite;
  (globalThis as { __azuriteQueues?: RunningAzurite }).__azuriteQueues = queues;
  process.env.TEST_TABLES_CONNECTION_STRING = azurite.connectionString;
  process.env.TEST_QUEUES_CONNECTION_STRING = queues.connectionString;
}
