import { createServer } from 'node:net';
import { startWorld, type World } from '../../support/world';
import { qrn } from '../../support/cli';

/** A table endpoint nothing listens on: a port opened, then closed again. */
async function closedPortConnectionString(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return (
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
    'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
    `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`
  );
}

/** The checklist line of one check (and its fix line, if any). */
function line(stdout: string, name: string): string {
  const lines = stdout.split('\n');
  const i = lines.findIndex((l) => l.slice(7).startsWith(name));
  if (i < 0) throw new Error(`no check "${name}" in:\n${stdout}`);
  return lines[i + 1]?.includes(' fix: ') ? `${lines[i]}\n${lines[i + 1]}` : lines[i];
}

describe('qrn doctor: a checklist in which every failure names its fix', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('GIVEN a tenant with every permission THEN every check passes, exit 0, and no audit query is created and no email sent', async () => {
    world = await startWorld();
    world.simulator.scenario.clearRequests();
    const out = await qrn(world, ['doctor']);

    expect(out.code).toBe(0);
    for (const name of [
      'settings',
      'sign-in: Exchange Online',
      'sign-in: Microsoft Graph',
      'Exchange: quarantine',
      'Exchange: accepted domains',
      'Graph: audit log queries',
      'storage: tables',
      'runs: nothing set aside',
      'email channel',
    ]) {
      expect(line(out.stdout, name)).toMatch(/^\[ ok \]/);
    }
    // A fresh deployment has no run yet: said, not failed.
    expect(line(out.stdout, 'last run: snapshot')).toMatch(/^\[warn\] .*no run recorded yet/);
    expect(line(out.stdout, 'last run: notify')).toMatch(/^\[warn\] .*no run recorded yet/);
    expect(out.stdout).toMatch(/10 passed, 0 failed, 2 warning\(s\), 0 skipped\./);

    const requests = world.simulator.scenario.requests();
    expect(
      requests.filter((r) => r.path.includes('/security/auditLog/queries') && r.method !== 'GET'),
    ).toEqual([]);
    const quarantine = requests.find((r) => r.cmdlet === 'Get-QuarantineMessage');
    expect(quarantine?.parameters).toEqual({
      PageSize: 1,
      Page: 1,
      StartReceivedDate: expect.any(String),
      EndReceivedDate: expect.any(String),
    });
    expect(world.simulator.scenario.emails()).toEqual([]);
  });

  it('GIVEN no directory role THEN Exchange answers 403 and the fix is to assign Security Reader', async () => {
    world = await startWorld();
    world.simulator.scenario.setPermissions({ securityReader: false });
    const out = await qrn(world, ['doctor']);
    expect(out.code).toBe(1);
    expect(line(out.stdout, 'Exchange: quarantine')).toMatch(
      /^\[FAIL\] Exchange: quarantine .*HTTP 403[\s\S]*fix: Assign the Security Reader role to the app/,
    );
  });

  it('GIVEN three snapshot runs refused by Exchange WHEN doctor runs THEN the last run fails with the alert thresholds: permission, three in a row', async () => {
    world = await startWorld();
    world.simulator.scenario.setPermissions({ securityReader: false });
    for (let i = 0; i < 3; i++) expect((await qrn(world, ['snapshot'])).code).toBe(1);
    const out = await qrn(world, ['doctor']);
    expect(line(out.stdout, 'last run: snapshot')).toMatch(
      /^\[FAIL\] last run: snapshot .*no successful run recorded; 3 failed runs in a row; a permission was refused;.*permission: .*403[\s\S]*fix: .*qrn permissions/,
    );
  });

  it('GIVEN a snapshot run that completed WHEN doctor runs THEN its last run passes', async () => {
    world = await startWorld();
    expect((await qrn(world, ['snapshot'])).code).toBe(0);
    const out = await qrn(world, ['doctor']);
    expect(line(out.stdout, 'last run: snapshot')).toMatch(
      /^\[ ok \] last run: snapshot .*last run completed 0 min ago; last success 0 min ago/,
    );
  });

  it('GIVEN no Exchange.ManageAsApp THEN Exchange answers 401 and the fix is to grant it', async () => {
    world = await startWorld();
    world.simulator.scenario.setPermissions({ exchangeManageAsApp: false });
    const out = await qrn(world, ['doctor']);
    expect(out.code).toBe(1);
    expect(line(out.stdout, 'Exchange: quarantine')).toMatch(
      /HTTP 401[\s\S]*fix: Grant Exchange\.ManageAsApp/,
    );
  });

  it('GIVEN no AuditLogsQuery.Read.All THEN Graph answers 403 and the fix names the permission', async () => {
    world = await startWorld();
    world.simulator.scenario.setPermissions({ auditLogsQuery: false });
    const out = await qrn(world, ['doctor']);
    expect(out.code).toBe(1);
    expect(line(out.stdout, 'Graph: audit log queries')).toMatch(
      /HTTP 403[\s\S]*fix: Grant AuditLogsQuery\.Read\.All/,
    );
  });

  it('GIVEN a wrong tenant id THEN sign-in fails with the fix for AZURE_TENANT_ID and the API checks are skipped', async () => {
    world = await startWorld();
    const wrong = '0badbad0-0000-4000-8000-000000000000';
    const out = await qrn(world, ['doctor'], { settings: { AZURE_TENANT_ID: wrong } });
    expect(out.code).toBe(1);
    expect(line(out.stdout, 'sign-in: Exchange Online')).toMatch(
      new RegExp(`^\\[FAIL\\][\\s\\S]*fix: AZURE_TENANT_ID \\(${wrong}\\) is not a tenant`),
    );
    expect(line(out.stdout, 'Exchange: quarantine')).toMatch(/^\[skip\]/);
    expect(line(out.stdout, 'Graph: audit log queries')).toMatch(/^\[skip\]/);
  });

  it('GIVEN storage on a closed port THEN the storage check fails as unreachable with its fix, and the rest still runs', async () => {
    world = await startWorld();
    const started = Date.now();
    const out = await qrn(world, ['doctor'], {
      settings: { TABLES_CONNECTION_STRING: await closedPortConnectionString() },
    });
    expect(out.code).toBe(1);
    expect(line(out.stdout, 'storage: tables')).toMatch(
      /^\[FAIL\] storage: tables +storage is unreachable[\s\S]*fix: Check TABLES_CONNECTION_STRING/,
    );
    expect(line(out.stdout, 'Exchange: quarantine')).toMatch(/^\[ ok \]/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('GIVEN invalid settings THEN each problem is a failed check with its fix', async () => {
    world = await startWorld();
    const out = await qrn(world, ['doctor'], {
      settings: { AZURE_TENANT_ID: 'contoso', MAX_EMAILS_PER_RUN: 'many' },
    });
    expect(out.code).toBe(1);
    expect(out.stdout).toContain('[FAIL] settings                     AZURE_TENANT_ID must be a GUID');
    expect(out.stdout).toContain('fix: set it to the tenant id GUID shown in Entra ID > Overview.');
    expect(out.stdout).toContain('MAX_EMAILS_PER_RUN must be a whole number');
  });

  it('GIVEN --send-test THEN one real email goes out; a malformed address exits 2', async () => {
    world = await startWorld();
    const out = await qrn(world, ['doctor', '--send-test', 'IT.Admin@Contoso.com']); // sent in canonical form
    expect(out.code).toBe(0);
    expect(line(out.stdout, 'email: test message')).toMatch(/^\[ ok \]/);
    expect(world.simulator.scenario.emails().map((e) => e.to[0].address)).toEqual(['it.admin@contoso.com']);

    const bad = await qrn(world, ['doctor', '--send-test', 'not-an-address']);
    expect(bad.code).toBe(2);
    expect(world.simulator.scenario.emails()).toHaveLength(1);
  });

  it('GIVEN pilot settings THEN they are pointed out as warnings, which do not fail the run', async () => {
    world = await startWorld({ settings: {} });
    const out = await qrn(world, ['doctor'], { settings: { NOTIFY_DRY_RUN: 'true' } });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('[warn] settings                     NOTIFY_DRY_RUN is on');
  });
});
