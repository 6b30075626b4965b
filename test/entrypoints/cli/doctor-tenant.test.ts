import { createFleet, type Fleet } from '../../../lib/composition';
import { fleetRunDeps, runTenant } from '../../../lib/ops/tenant-runs';
import type { RunEvent } from '../../../lib/ops/run-event';
import { qrn } from '../../support/cli';
import { startWorld, type World } from '../../support/world';

const FABRIKAM = '8b7c0e52-3f1a-4c1e-9a55-2f0d9c1b7e41';
const NORTHWIND = '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

/** The checklist line of one check and its fix line. */
function line(stdout: string, name: string): string {
  const lines = stdout.split('\n');
  const i = lines.findIndex((l) => l.slice(7).startsWith(name));
  if (i < 0) throw new Error(`no check "${name}" in:\n${stdout}`);
  return lines[i + 1]?.includes(' fix: ') ? `${lines[i]}\n${lines[i + 1]}` : lines[i];
}

describe('qrn doctor --tenant: a customer tenant checked as its runs sign in, with its administrator’s fix', () => {
  let world: World;
  let fleet: Fleet;
  beforeEach(async () => {
    world = await startWorld({ fleetTenants: [FABRIKAM, NORTHWIND] });
    for (const [id, name] of [
      [FABRIKAM, 'Fabrikam'],
      [NORTHWIND, 'Northwind'],
    ]) {
      expect((await qrn(world, ['tenants', 'add', id, '--name', name])).code).toBe(0);
    }
    fleet = createFleet(world.env(), { clock: world.clock, logger: world.logger });
  });
  afterEach(async () => {
    for (const tenant of await fleet.tenants.list()) {
      await Promise.all(Object.values(fleet.tenantTables(tenant)).map((t) => t.deleteTable()));
      await fleet.tenants.remove(tenant.tenantId);
    }
    await world?.close();
  });

  const consentLink = (tenantId: string) =>
    `${world.settings.credentials.authorityHost}/${tenantId}/adminconsent?client_id=${world.simulator.fleet.appClientId}`;

  /** One run of the tenant, as the queue trigger runs it; its run events. */
  async function runOnce(tenantId: string): Promise<RunEvent[]> {
    const events: RunEvent[] = [];
    await runTenant(
      { tenantId, queuedAt: world.clock.now().toISOString() },
      fleetRunDeps(fleet, {
        clock: world.clock,
        logger: world.logger,
        emit: (_line, event) => events.push(event),
      }),
    ).catch(() => undefined);
    return events;
  }

  it('GIVEN a customer that withdrew consent THEN its sign-in fails with its consent link, while another customer passes; its run fails with the same fix and the doctor line', async () => {
    world.simulator.fleet.tenant(FABRIKAM).setConsent(false);

    const out = await qrn(world, ['doctor', '--tenant', FABRIKAM]);
    expect(out.code).toBe(1);
    expect(line(out.stdout, 'sign-in: Exchange Online')).toMatch(
      /^\[FAIL\] sign-in: Exchange Online .*AADSTS700016[\s\S]*fix: the tenant's administrator consents \(again\) to the app: /,
    );
    expect(line(out.stdout, 'sign-in: Exchange Online')).toContain(consentLink(FABRIKAM));
    expect(line(out.stdout, 'Exchange: quarantine')).toMatch(/^\[skip\]/);

    const other = await qrn(world, ['doctor', '--tenant', NORTHWIND]);
    expect(line(other.stdout, 'sign-in: Exchange Online')).toMatch(/^\[ ok \].*multi-tenant app/);
    expect(line(other.stdout, 'Exchange: quarantine')).toMatch(/^\[ ok \]/);
    expect(line(other.stdout, 'settings')).toContain(`tenant ${NORTHWIND}`);

    const [snapshot] = await runOnce(FABRIKAM);
    expect(snapshot).toMatchObject({ job: 'snapshot', outcome: 'failed', failureClass: 'permission' });
    expect(snapshot.failure).toContain(consentLink(FABRIKAM));
    expect(snapshot.failure).toContain(`qrn doctor --tenant ${FABRIKAM}`);
    expect((await runOnce(NORTHWIND)).map((e) => [e.outcome, e.failure])).toEqual([
      ['completed', null],
      ['completed', null],
    ]);
  });

  it('GIVEN a customer without the directory role THEN the quarantine check and its run name the role line, not the consent', async () => {
    world.simulator.fleet.tenant(FABRIKAM).setPermissions({ securityReader: false });

    const out = await qrn(world, ['doctor', '--tenant', FABRIKAM]);
    expect(out.code).toBe(1);
    expect(line(out.stdout, 'sign-in: Exchange Online')).toMatch(/^\[ ok \]/);
    expect(line(out.stdout, 'Exchange: quarantine')).toMatch(
      new RegExp(
        `^\\[FAIL\\] Exchange: quarantine .*HTTP 403[\\s\\S]*fix: .*qrn permissions --tenant ${FABRIKAM}`,
      ),
    );

    const [snapshot] = await runOnce(FABRIKAM);
    expect(snapshot).toMatchObject({ outcome: 'failed', failureClass: 'permission' });
    expect(snapshot.failure).toContain(`Security Reader in the tenant: qrn permissions --tenant ${FABRIKAM}`);
    expect(snapshot.failure).not.toContain('adminconsent');
  });

  it("GIVEN a customer whose consent lacks the audit log's permission THEN the audit check and its run name that permission with the consent link", async () => {
    world.simulator.fleet.tenant(FABRIKAM).setPermissions({ auditLogsQuery: false });

    const out = await qrn(world, ['doctor', '--tenant', FABRIKAM]);
    expect(out.code).toBe(1);
    expect(line(out.stdout, 'Graph: audit log queries')).toMatch(
      /^\[FAIL\] Graph: audit log queries .*403[\s\S]*fix: the app lacks the Microsoft Graph application permission AuditLogsQuery\.Read\.All/,
    );
    expect(line(out.stdout, 'Graph: audit log queries')).toContain(consentLink(FABRIKAM));

    const notify = (await runOnce(FABRIKAM)).find((e) => e.job === 'notify')!;
    expect(notify).toMatchObject({ outcome: 'partial', failureClass: 'permission' });
    expect(notify.failure).toContain('AuditLogsQuery.Read.All in the tenant');
    expect(notify.failure).toContain(consentLink(FABRIKAM));
  });

  it('GIVEN a tenant id this deployment does not serve, no multi-tenant app, or not a GUID THEN a clear error, exit 1, and no sign-in is tried', async () => {
    const unknown = '00000000-1111-4222-8333-444444444444';
    const out = await qrn(world, ['doctor', '--tenant', unknown]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`No tenant ${unknown} is served by this deployment`);
    expect(out.stdout).toBe('');

    // A deployment without the multi-tenant app: a failed settings check with its fix, and nothing asked.
    const noApp = await qrn(world, ['doctor', '--tenant', FABRIKAM], {
      settings: { FLEET_APP_CLIENT_ID: '' },
    });
    expect(noApp.code).toBe(1);
    expect(line(noApp.stdout, 'settings')).toMatch(
      /^\[FAIL\] settings .*FLEET_APP_CLIENT_ID is not set[\s\S]*fix: set it to the multi-tenant app registration/,
    );
    expect(noApp.stdout).not.toContain('sign-in:');

    const malformed = await qrn(world, ['doctor', '--tenant', 'fabrikam']);
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr).toContain('tenant id "fabrikam" must be a GUID');
    expect(malformed.stdout).toBe('');
  });
});
