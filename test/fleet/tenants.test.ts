import { TableServiceClient } from '@azure/data-tables';
import { ClientSecretCredential } from '@azure/identity';
import { MINUTE } from '../../lib/core/clock';
import { createFleet } from '../../lib/composition';
import { tenantTablePrefix } from '../../lib/fleet/tenant-settings';
import { qrn } from '../support/cli';
import { startWorld, type World } from '../support/world';

const FABRIKAM = '8b7c0e52-3f1a-4c1e-9a55-2f0d9c1b7e41';
const NORTHWIND = '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

const service = () =>
  TableServiceClient.fromConnectionString(process.env.TEST_TABLES_CONNECTION_STRING!, {
    allowInsecureConnection: true,
  });

/** Every table of the run's Azurite whose name starts with `prefix`. */
async function tablesStartingWith(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const table of service().listTables()) {
    if (table.name?.toLowerCase().startsWith(prefix.toLowerCase())) names.push(table.name);
  }
  return names;
}

async function deleteTablesStartingWith(prefix: string): Promise<void> {
  for (const name of await tablesStartingWith(prefix)) await service().deleteTable(name);
}

describe('qrn tenants: the customer tenants one deployment serves', () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld({ fleetTenants: [FABRIKAM, NORTHWIND] });
  });
  afterEach(async () => {
    await world?.close();
    await deleteTablesStartingWith(world.settings.tableNamePrefix);
  });

  it('GIVEN a new customer WHEN added THEN it is listed, and the output gives its admin-consent link and the one permissions line', async () => {
    const added = await qrn(world, [
      'tenants',
      'add',
      FABRIKAM.toUpperCase(),
      '--name',
      'Fabrikam',
      '--set',
      'ACCEPTED_DOMAINS=fabrikam.com',
      '--set',
      'EMAIL_DEFAULT_TIME_ZONE=Europe/Berlin',
    ]);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toContain(
      `${world.simulator.urls.login}/${FABRIKAM}/adminconsent?client_id=${world.simulator.fleet.appClientId}`,
    );
    expect(added.stdout).toContain(`qrn permissions --tenant ${FABRIKAM}`);

    const listed = await qrn(world, ['tenants', 'list', '--format', 'json']);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        tenantId: FABRIKAM,
        displayName: 'Fabrikam',
        enabled: true,
        settings: { ACCEPTED_DOMAINS: 'fabrikam.com', EMAIL_DEFAULT_TIME_ZONE: 'Europe/Berlin' },
      }),
    ]);
    const shown = await qrn(world, ['tenants', 'show', FABRIKAM]);
    expect(shown.stdout).toContain('ACCEPTED_DOMAINS=fabrikam.com');
    expect(shown.stdout).toContain('adminconsent?client_id=');
  });

  it('GIVEN a customer consented WHEN the provider runs the printed permissions line THEN the directory role is granted to the multi-tenant app in that tenant only', async () => {
    const fabrikam = world.simulator.fleet.tenant(FABRIKAM);
    fabrikam.setPermissions({ securityReader: false });
    const inFabrikam = new ClientSecretCredential(
      FABRIKAM,
      world.simulator.adminClientId,
      world.simulator.adminClientSecret,
      {
        authorityHost: world.simulator.urls.login,
        disableInstanceDiscovery: true,
      },
    );
    const granted = await qrn(world, ['permissions', '--tenant', FABRIKAM], {
      io: { adminCredential: inFabrikam },
    });
    expect(granted).toMatchObject({ stderr: '', code: 0 });
    expect(granted.stdout).toMatch(/\[granted\]\s+Security Reader/);
    expect(fabrikam.permissions().securityReader).toBe(true);
    expect(world.simulator.scenario.permissions().securityReader).toBe(true);

    const missing = await qrn(world, ['permissions']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--principal-id <id>' not specified");
  });

  it('GIVEN a bad per-tenant setting, a setting that is not per tenant, or the home tenant WHEN added THEN it exits 2 naming the problem and writes nothing', async () => {
    const badZone = await qrn(world, [
      'tenants',
      'add',
      FABRIKAM,
      '--name',
      'F',
      '--set',
      'EMAIL_DEFAULT_TIME_ZONE=Mars/Olympus',
    ]);
    expect(badZone.code).toBe(2);
    expect(badZone.stderr).toContain('EMAIL_DEFAULT_TIME_ZONE is not a known time zone');

    const notPerTenant = await qrn(world, [
      'tenants',
      'add',
      FABRIKAM,
      '--name',
      'F',
      '--set',
      'AZURE_CLIENT_SECRET=x',
    ]);
    expect(notPerTenant.code).toBe(2);
    expect(notPerTenant.stderr).toContain('AZURE_CLIENT_SECRET is not a per-tenant setting');

    const notAGuid = await qrn(world, ['tenants', 'add', 'fabrikam.com', '--name', 'F']);
    expect(notAGuid.code).toBe(2);
    expect(notAGuid.stderr).toContain('must be a GUID');

    const home = await qrn(world, ['tenants', 'add', world.simulator.tenantId, '--name', 'Us']);
    expect(home.code).toBe(2);
    expect(home.stderr).toContain("this deployment's own tenant");

    const noApp = await qrn(world, ['tenants', 'add', FABRIKAM, '--name', 'F'], {
      settings: { FLEET_APP_CLIENT_ID: '' },
    });
    expect(noApp.code).toBe(2);
    expect(noApp.stderr).toContain('FLEET_APP_CLIENT_ID is missing');

    expect((await qrn(world, ['tenants', 'list'])).stdout).toContain('serves its own tenant only');
  });

  it('GIVEN a tenant WHEN its settings are set, unset, disabled and enabled THEN each change is kept, and a tenant added twice or unknown fails', async () => {
    await qrn(world, ['tenants', 'add', FABRIKAM, '--name', 'Fabrikam', '--set', 'NOTIFY_DRY_RUN=true']);
    expect((await qrn(world, ['tenants', 'add', FABRIKAM, '--name', 'Again'])).code).toBe(1);

    const set = await qrn(world, [
      'tenants',
      'set',
      FABRIKAM,
      '--name',
      'Fabrikam Ltd',
      '--set',
      'EMAIL_ORGANISATION_NAME=Fabrikam',
      '--unset',
      'NOTIFY_DRY_RUN',
    ]);
    expect(set.code).toBe(0);
    const badSet = await qrn(world, ['tenants', 'set', FABRIKAM, '--set', 'MAX_EMAILS_PER_RUN=zero']);
    expect(badSet.code).toBe(2);
    expect((await qrn(world, ['tenants', 'disable', FABRIKAM])).code).toBe(0);

    const fleet = createFleet(world.env(), { clock: world.clock });
    expect(await fleet.tenants.get(FABRIKAM)).toMatchObject({
      displayName: 'Fabrikam Ltd',
      enabled: false,
      settings: { EMAIL_ORGANISATION_NAME: 'Fabrikam' },
    });
    await qrn(world, ['tenants', 'set', FABRIKAM, '--enable']);
    expect(await fleet.tenants.get(FABRIKAM)).toMatchObject({ enabled: true });

    const unknown = await qrn(world, ['tenants', 'show', NORTHWIND]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`No tenant ${NORTHWIND}`);
  });

  it("GIVEN a tenant's status kept by its runs WHEN an administrator changes the tenant THEN the status stays; once removed, a run's late status writes no row", async () => {
    await qrn(world, ['tenants', 'add', NORTHWIND, '--name', 'Northwind']);
    const fleet = createFleet(world.env(), { clock: world.clock });
    const status = {
      recordedAt: world.clock.now().toISOString(),
      lastRuns: { snapshot: world.clock.now().toISOString(), notify: null },
      problems: ['last run: notify: audit log refused'],
      periods: { 30: { releases: 2, sendersTold: 1, failed: 0 } },
    };
    expect(await fleet.tenants.recordStatus(NORTHWIND, status)).toBe(true);
    await qrn(world, ['tenants', 'set', NORTHWIND, '--name', 'Northwind Traders']);
    expect(await fleet.tenants.get(NORTHWIND)).toMatchObject({ displayName: 'Northwind Traders', status });

    expect((await qrn(world, ['tenants', 'remove', NORTHWIND])).code).toBe(0);
    expect(await fleet.tenants.recordStatus(NORTHWIND, status)).toBe(false);
    expect(await fleet.tenants.get(NORTHWIND)).toBeUndefined();
  });

  it('GIVEN a tenant that has run WHEN removed with --purge THEN none of its tables and no row of it is left, and the other tenant keeps all of its own', async () => {
    for (const [id, name] of [
      [FABRIKAM, 'Fabrikam'],
      [NORTHWIND, 'Northwind'],
    ]) {
      expect((await qrn(world, ['tenants', 'add', id, '--name', name])).code).toBe(0);
      const tenant = world.simulator.fleet.tenant(id);
      const { networkMessageId } = tenant.addMessage({
        sender: 'megan.bowen@contoso.com',
        recipients: ['buyer@fabrikam.example'],
        subject: 'Price list',
        type: 'TransportRule',
      });
      tenant.release({ networkMessageId, by: 'adele.vance@contoso.com' });
    }
    const fleet = createFleet(world.env(), { clock: world.clock, logger: world.logger });
    for (const id of [FABRIKAM, NORTHWIND]) {
      const app = await fleet.openTenant((await fleet.tenants.get(id))!);
      await app.runSnapshot();
      world.clock.advance(80 * MINUTE);
      await app.runNotify();
    }
    const fabrikamPrefix = tenantTablePrefix(world.settings.tableNamePrefix, FABRIKAM);
    const northwindPrefix = tenantTablePrefix(world.settings.tableNamePrefix, NORTHWIND);
    expect(await tablesStartingWith(fabrikamPrefix)).toHaveLength(4);

    const removed = await qrn(world, ['tenants', 'remove', FABRIKAM, '--purge']);
    expect(removed.code).toBe(0);
    expect(await tablesStartingWith(fabrikamPrefix)).toEqual([]);
    expect(await fleet.tenants.get(FABRIKAM)).toBeUndefined();
    expect(JSON.stringify(await fleet.tenants.list())).not.toContain(FABRIKAM);

    expect(await tablesStartingWith(northwindPrefix)).toHaveLength(4);
    const northwind = await fleet.openTenant((await fleet.tenants.get(NORTHWIND))!);
    const releases = [];
    for await (const row of northwind.tables.releases.listEntities()) releases.push(row);
    expect(releases).toHaveLength(1);
  });
});
