import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { startAzuriteTables } from '../../lib/local/azurite';

/**
 * Issue 8, found by the chaos run: `stop()` sent SIGTERM, which Azurite does not handle: it died at once
 * and lost everything written since its last autosave (up to 5 s, whole tables included), so `npm start`
 * could come back without the last run's notifications, and send them again. SIGINT saves first.
 */
describe('Azurite with on-disk persistence', () => {
  it('GIVEN entities written just before stop() THEN a restart on the same folder still has them', async () => {
    const location = mkdtempSync(path.join(tmpdir(), 'qrn-azurite-'));
    try {
      let azurite = await startAzuriteTables({ location });
      const table = TableClient.fromConnectionString(azurite.connectionString, 'persisted', {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.createEntity({ partitionKey: 'p', rowKey: 'written-last', value: 1 });
      await azurite.stop();

      azurite = await startAzuriteTables({ location, port: azurite.port });
      try {
        await expect(table.getEntity('p', 'written-last')).resolves.toMatchObject({ value: 1 });
      } finally {
        await azurite.stop();
      }
    } finally {
      rmSync(location, { recursive: true, force: true });
    }
  });
});
