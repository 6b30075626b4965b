import { startWorld, type World } from '../../support/world';
import { NO_PERMISSIONS, qrn } from '../../support/cli';

describe('the optional MailboxSettings.Read permission, in qrn permissions and qrn doctor', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN no --mailbox-settings THEN it is not granted, and the plan says what the app does without it', async () => {
    world = await startWorld();
    world.simulator.scenario.setPermissions(NO_PERMISSIONS);
    const out = await qrn(world, ['permissions', '--principal-id', world.simulator.appPrincipalId]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      '[not requested] MailboxSettings.Read on Microsoft Graph (application permission): optional: without it every email is in EMAIL_DEFAULT_LANGUAGE and EMAIL_DEFAULT_TIME_ZONE',
    );
    expect(world.simulator.scenario.permissions().mailboxSettingsRead).toBe(false);
  });

  it('GIVEN --mailbox-settings THEN it is granted, with what it reaches and how to narrow it', async () => {
    world = await startWorld();
    world.simulator.scenario.setPermissions(NO_PERMISSIONS);
    const out = await qrn(world, [
      'permissions',
      '--principal-id',
      world.simulator.appPrincipalId,
      '--mailbox-settings',
    ]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      '[granted]       MailboxSettings.Read on Microsoft Graph (application permission)',
    );
    expect(out.stdout).toContain("EVERY mailbox's settings");
    expect(out.stdout).toContain('never its mail');
    expect(out.stdout).toContain('New-ManagementRoleAssignment -Role "Application MailboxSettings.Read"');
    expect(world.simulator.scenario.permissions().mailboxSettingsRead).toBe(true);
  });

  it('GIVEN the app lacks it THEN doctor warns, says what the emails do instead and how to grant it, and still exits 0', async () => {
    world = await startWorld({
      settings: { EMAIL_DEFAULT_LANGUAGE: 'de', EMAIL_DEFAULT_TIME_ZONE: 'Europe/Berlin' },
    });
    world.simulator.scenario.setPermissions({ mailboxSettingsRead: false });
    const out = await qrn(world, ['doctor']);
    expect(out.code).toBe(0);
    const line = out.stdout.split('\n').find((l) => l.includes('Graph: mailbox settings'))!;
    expect(line).toMatch(/^\[warn\]/);
    expect(line).toContain('every email is written in de with times in Europe/Berlin');
    expect(out.stdout).toContain('qrn permissions --principal-id <id> --mailbox-settings');
  });
});
