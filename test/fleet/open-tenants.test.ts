import { randomUUID } from 'node:crypto';
import { createFleet, OPEN_TENANT_APPLICATIONS, type Fleet } from '../../lib/composition';
import type { TenantRecord } from '../../lib/fleet/tenants-store';
import { startWorld, type World } from '../support/world';

/**
 * An instance runs whichever tenants the queue hands it: it keeps only the most recent few tenants'
 * applications open, so its memory does not grow with every tenant it ever ran (the fleet bench's
 * per-worker memory), and a tenant it opened before does not have its tables created again.
 */
describe('the applications a fleet keeps open', () => {
  let world: World;
  let fleet: Fleet;
  const records: TenantRecord[] = Array.from({ length: OPEN_TENANT_APPLICATIONS + 1 }, (_, i) => ({
    tenantId: randomUUID(),
    displayName: `Tenant ${i}`,
    enabled: true,
    settings: {},
    addedAt: '2026-03-02T08:00:00.000Z',
    changedAt: '2026-03-02T08:00:00.000Z',
  }));
  beforeAll(async () => {
    world = await startWorld({ fleetTenants: [records[0].tenantId] });
    fleet = createFleet(world.env(), { clock: world.clock, logger: world.logger });
  });
  afterAll(async () => {
    for (const record of records) {
      await Promise.all(Object.values(fleet.tenantTables(record)).map((t) => t.deleteTable()));
    }
    await world?.close();
  });

  it('GIVEN more tenants run than it keeps WHEN the oldest runs again THEN it is opened anew, while a recent one is reused', async () => {
    const first = await Promise.all(records.map((r) => fleet.openTenant(r)));
    expect(await fleet.openTenant(records[records.length - 1])).toBe(first[first.length - 1]);
    const again = await fleet.openTenant(records[0]);
    expect(again).not.toBe(first[0]);
    // Reusing one keeps it: the one opened again is now the most recent.
    expect(await fleet.openTenant(records[0])).toBe(again);
  });

  it('GIVEN a tenant opened before WHEN opened again THEN its tables are not created again; added anew (after a purge) THEN they are', async () => {
    const record = records[1];
    const tables = Object.values(fleet.tenantTables(record));
    await Promise.all(tables.map((t) => t.deleteTable()));
    for (const other of records.slice(2)) await fleet.openTenant(other); // record 1 is let go
    const reopened = await fleet.openTenant(record);
    await expect(reopened.state.write('health', 'probe', { at: 1 })).rejects.toMatchObject({
      statusCode: 404,
    });

    const readded = { ...record, addedAt: '2026-03-03T08:00:00.000Z', changedAt: '2026-03-03T08:00:00.000Z' };
    const fresh = await fleet.openTenant(readded);
    await fresh.state.write('health', 'probe', { at: 2 });
    expect(await fresh.state.read('health', 'probe')).toEqual({ at: 2 });
  });
});
