import { startAzuriteTables, type RunningAzurite } from '../../lib/local/azurite';

/** Starts one in-memory Azurite for the whole run; each test file uses its own table prefix. */
export default async function globalSetup(): Promise<void> {
  const azurite = await startAzuriteTables();
  (globalThis as { __azurite?: RunningAzurite }).__azurite = azurite;
  process.env.TEST_TABLES_CONNECTION_STRING = azurite.connectionString;
}
