import { spawnSync } from 'node:child_process';
import { startWorld, type World } from '../../support/world';
import { NO_PERMISSIONS, qrn } from '../../support/cli';

/** Writes the command made to the simulated Graph (GETs are fine: it must detect before it grants). */
const writes = (world: World) => world.simulator.scenario.requests('graph').filter((r) => r.method !== 'GET');

describe('qrn permissions: grants the managed identity exactly what the app needs', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN a tenant where nothing is granted WHEN --what-if THEN it prints the plan and changes nothing', async () => {
    world = await startWorld();
    world.simulator.scenario.setPermissions(NO_PERMISSIONS);
    const before = world.simulator.scenario.directory();
    world.simulator.scenario.clearRequests();

    const out = await qrn(world, [
      'permissions',
      '--principal-id',
      world.simulator.appPrincipalId,
      '--what-if',
    ]);

    expect(out.code).toBe(0);
    expect(out.stdout).toContain('[would grant]   AuditLogsQuery.Read.All on Microsoft Graph');
    expect(out.stdout).toContain('[would grant]   Exchange.ManageAsApp on Office 365 Exchange Online');
    expect(out.stdout).toContain('[would grant]   Security Reader directory role (tenant-wide)');
    expect(out.stdout).toContain('[would grant]   Domain.Read.All on Microsoft Graph');
    expect(out.stdout).toContain('[not requested] Mail.Send on Microsoft Graph');
    expect(out.stdout).toContain('Nothing was changed.');
    expect(writes(world)).toEqual([]);
    expect(world.simulator.scenario.directory()).toEqual(before);
  });

  it('GIVEN nothing granted WHEN run THEN the four grants are made (Domain.Read.All for the accepted-domains route), doctor then passes, and a second run changes nothing', async () => {
    world = await startWorld();
    world.simulator.scenario.setPermissions(NO_PERMISSIONS);
    const failing = await qrn(world, ['doctor']);
    expect(failing.code).toBe(1);

    world.simulator.scenario.clearRequests();
    const first = await qrn(world, ['permissions', '--principal-id', world.simulator.appPrincipalId]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('4 granted, 0 already present.');
    expect(writes(world).map((r) => `${r.method} ${r.path}`)).toEqual([
      expect.stringMatching(/^POST \/v1\.0\/servicePrincipals\/[^/]+\/appRoleAssignedTo$/),
      expect.stringMatching(/^POST \/v1\.0\/servicePrincipals\/[^/]+\/appRoleAssignedTo$/),
      expect.stringMatching(/^POST \/v1\.0\/servicePrincipals\/[^/]+\/appRoleAssignedTo$/),
      'POST /v1.0/roleManagement/directory/roleAssignments',
    ]);
    // App role ids come from each resource's appRoles, sent as Graph expects them.
    expect(writes(world)[0].body).toEqual({
      principalId: world.simulator.appPrincipalId,
      resourceId: expect.any(String),
      appRoleId: '5e1e9171-754d-478c-812c-f1755a9a4c2d',
    });
    expect(world.simulator.scenario.permissions()).toEqual({
      exchangeManageAsApp: true,
      securityReader: true,
      auditLogsQuery: true,
      domainRead: true,
      mailSend: false,
      mailboxSettingsRead: false, // optional: granted only with --mailbox-settings
    });

    const doctor = await qrn(world, ['doctor']);
    expect(doctor.stdout).not.toContain('[FAIL]');
    expect(doctor.code).toBe(0);

    world.simulator.scenario.clearRequests();
    const second = await qrn(world, ['permissions', '--principal-id', world.simulator.appPrincipalId]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('0 granted, 4 already present.');
    expect(second.stdout).not.toContain('[granted]');
    expect(writes(world)).toEqual([]);
  });

  it('GIVEN --mail-send THEN Mail.Send is granted too, with the advice to scope it to one mailbox', async () => {
    world = await startWorld();
    world.simulator.scenario.setPermissions(NO_PERMISSIONS);
    const out = await qrn(world, [
      'permissions',
      '--principal-id',
      world.simulator.appPrincipalId,
      '--mail-send',
    ]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('[granted]       Mail.Send on Microsoft Graph (application permission)');
    expect(out.stdout).toContain(`New-ApplicationAccessPolicy -AppId ${world.simulator.clientId}`);
    expect(out.stdout).toContain('RBAC for Applications');
    expect(world.simulator.scenario.permissions().mailSend).toBe(true);
  });

  it('GIVEN Mail.Send present but not asked for THEN it is left alone and flagged as unneeded', async () => {
    world = await startWorld(); // the default tenant grants everything, Mail.Send included
    const out = await qrn(world, ['permissions', '--principal-id', world.simulator.appPrincipalId]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      '[not requested] Mail.Send on Microsoft Graph (application permission): present although not needed',
    );
    expect(world.simulator.scenario.permissions().mailSend).toBe(true);
  });

  it('GIVEN an administrator who may grant app roles but not directory roles THEN the role fails with its fix and the exit code is 1', async () => {
    world = await startWorld();
    world.simulator.scenario.setPermissions(NO_PERMISSIONS);
    world.simulator.scenario.setAdminRights({ directoryRoles: false });
    const out = await qrn(world, ['permissions', '--principal-id', world.simulator.appPrincipalId]);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain('[FAILED]        Security Reader directory role (tenant-wide)');
    expect(out.stdout).toContain(
      'HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation.',
    );
    expect(out.stdout).toContain('fix: Run it signed in as a Privileged Role Administrator');
    expect(out.stdout).toContain('3 granted, 0 already present, 1 failed.');
  });

  it('GIVEN it runs with the app’s own credential THEN Graph refuses and it says to sign in as an administrator', async () => {
    world = await startWorld();
    const out = await qrn(world, ['permissions', '--principal-id', world.simulator.appPrincipalId], {
      io: { adminCredential: world.app.credential },
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('Microsoft Graph did not let the signed-in account read the identity');
    expect(out.stderr).toContain('fix: Sign in as a Privileged Role Administrator or Global Administrator');
  });

  it('GIVEN an unknown principal, or the client id instead of the principal id THEN exit 1 with the right id to use', async () => {
    world = await startWorld();
    const unknown = await qrn(world, [
      'permissions',
      '--principal-id',
      '11111111-2222-4333-8444-555555555555',
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No service principal with the id 11111111-2222-4333-8444-555555555555');

    const clientId = await qrn(world, ['permissions', '--principal-id', world.simulator.clientId]);
    expect(clientId.code).toBe(1);
    expect(clientId.stderr).toContain(`Run again with --principal-id ${world.simulator.appPrincipalId}`);
  });

  it('GIVEN a principal id that is no GUID, or none THEN exit 2 (usage)', async () => {
    world = await startWorld();
    expect((await qrn(world, ['permissions', '--principal-id', 'my-identity'])).code).toBe(2);
    const missing = await qrn(world, ['permissions']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--principal-id <id>' not specified");
  });

  it('GIVEN --help THEN it describes the command and exits 0', async () => {
    world = await startWorld();
    const out = await qrn(world, ['permissions', '--help']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('--principal-id <id>');
    expect(out.stdout).toContain('--what-if');
    expect(out.stdout).toContain('--mail-send');
  });
});

describe('the installed command', () => {
  it('GIVEN the built bin THEN `qrn --help` lists every command and exits 0 (one real process)', () => {
    const result = spawnSync(process.execPath, ['dist/lib/entrypoints/cli/main.js', '--help'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    for (const command of ['snapshot', 'notify', 'report', 'doctor', 'permissions']) {
      expect(result.stdout).toContain(command);
    }
    expect(result.stdout).toContain('Exit codes: 0 done, 1 failed, 2 settings invalid or bad usage, 3');
  });
});
