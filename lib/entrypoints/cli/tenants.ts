import type { Command } from 'commander';
import { SettingsError } from '../../config/settings';
import { createFleet, type Fleet } from '../../composition';
import {
  checkTenantSettingNames,
  settingsForTenant,
  tenantIdOf,
  TENANT_SETTINGS,
} from '../../fleet/tenant-settings';
import { adminConsentLink, permissionsLine } from '../../fleet/tenant-fixes';
import type { TenantRecord } from '../../fleet/tenants-store';
import { isStatus } from '../../store/tables';
import { EXIT, type CliRun } from './context';

interface ChangeOptions {
  name?: string;
  set: string[];
  unset: string[];
  enable?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `NAME=VALUE` pairs from the command line, each a per-tenant setting. */
function parseAssignments(pairs: string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  const problems: string[] = [];
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) problems.push(`--set ${pair} must be NAME=VALUE, for example ACCEPTED_DOMAINS=fabrikam.com`);
    else settings[pair.slice(0, at).trim()] = pair.slice(at + 1);
  }
  if (problems.length > 0) throw new SettingsError(problems);
  checkTenantSettingNames(Object.keys(settings));
  return settings;
}

function onboardingText(fleet: Fleet, tenant: TenantRecord): string {
  const appClientId = fleet.settings.fleet.appClientId as string;
  return [
    `1. The administrator of ${tenant.displayName} (a Global Administrator or Privileged Role Administrator) opens`,
    `   ${adminConsentLink(fleet.settings.credentials.authorityHost, tenant.tenantId, appClientId)}`,
    '   and consents: the app may read the quarantine and the audit log (and send mail, for EMAIL_CHANNEL=graph).',
    '2. Then they (or you, where you have the rights in their tenant) grant the directory role Security Reader:',
    `   ${permissionsLine(tenant.tenantId)}`,
    '',
  ].join('\n');
}

function describe(tenant: TenantRecord): string {
  const lines = [
    `${tenant.displayName} (${tenant.tenantId})`,
    `  enabled:  ${tenant.enabled ? 'yes' : 'no'}`,
    `  added:    ${tenant.addedAt}`,
    `  changed:  ${tenant.changedAt}`,
    `  settings: ${Object.keys(tenant.settings).length === 0 ? 'the app settings' : ''}`,
  ];
  for (const [name, value] of Object.entries(tenant.settings).sort()) lines.push(`    ${name}=${value}`);
  return lines.join('\n') + '\n';
}

/** `tenants`: the customer tenants one deployment serves (docs/architecture.md#many-tenants). */
export function registerTenants(program: Command, run: CliRun): void {
  const tenants = program
    .command('tenants')
    .description('Manage the customer tenants this deployment serves besides its own (many tenants).')
    .addHelpText(
      'after',
      `
Per-tenant settings (--set NAME=VALUE) override the app settings for that tenant only:
  ${TENANT_SETTINGS.join(', ')}

Examples:
  qrn tenants add 8b7c0e52-3f1a-4c1e-9a55-2f0d9c1b7e41 --name Fabrikam --set ACCEPTED_DOMAINS=fabrikam.com
  qrn tenants set 8b7c0e52-3f1a-4c1e-9a55-2f0d9c1b7e41 --set NOTIFY_DRY_RUN=false
  qrn tenants remove 8b7c0e52-3f1a-4c1e-9a55-2f0d9c1b7e41 --purge`,
    );

  const openFleet = async (): Promise<Fleet> => {
    const fleet = createFleet(run.env(), { ...run.io.overrides, logger: run.logger() });
    await fleet.tenants.ensure();
    return fleet;
  };
  const found = async (fleet: Fleet, id: string): Promise<TenantRecord | undefined> => {
    const tenant = await fleet.tenants.get(tenantIdOf(id));
    if (!tenant) {
      run.err(`No tenant ${id} is served by this deployment (qrn tenants list shows them).\n`);
      run.exitCode = EXIT.failed;
    }
    return tenant;
  };
  /** A tenant's settings are checked as the app will read them, before anything is written. */
  const check = (tenant: TenantRecord) => settingsForTenant(run.env(), tenant);

  tenants
    .command('add <tenant-id>')
    .description(
      'Serve a customer tenant; prints the consent link for its administrator and the role to grant.',
    )
    .requiredOption('--name <name>', "the customer's name, as the console and the report show it")
    .option('--set <setting=value>', 'a per-tenant setting (repeatable)', collect, [])
    .action(async (id: string, options: ChangeOptions) => {
      const fleet = await openFleet();
      const tenantId = tenantIdOf(id);
      if (!fleet.settings.fleet.appClientId) {
        throw new SettingsError([
          'FLEET_APP_CLIENT_ID is missing: set it to the multi-tenant app registration the deployment made (azd env get-value FLEET_APP_CLIENT_ID).',
        ]);
      }
      if (tenantId === fleet.settings.tenantId) {
        throw new SettingsError([
          `${tenantId} is this deployment's own tenant (AZURE_TENANT_ID): its app settings serve it.`,
        ]);
      }
      const draft: TenantRecord = {
        tenantId,
        displayName: options.name!.trim(),
        enabled: true,
        settings: parseAssignments(options.set),
        addedAt: '',
        changedAt: '',
      };
      check(draft);
      try {
        const tenant = await fleet.tenants.add(draft);
        run.out(
          `Added ${tenant.displayName} (${tenant.tenantId}). Its first run comes with the next fleet period.\n\n`,
        );
        run.out(onboardingText(fleet, tenant));
      } catch (error) {
        if (!isStatus(error, 409)) throw error;
        run.err(`Tenant ${tenantId} is already served: change it with qrn tenants set.\n`);
        run.exitCode = EXIT.failed;
      }
    });

  tenants
    .command('list')
    .description('List the customer tenants, with whether each is enabled.')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options: { format: string }) => {
      if (!['table', 'json'].includes(options.format)) {
        throw new SettingsError([`--format must be table or json, not "${options.format}"`]);
      }
      const fleet = await openFleet();
      const all = await fleet.tenants.list();
      if (options.format === 'json') return run.out(JSON.stringify(all, null, 2) + '\n');
      if (all.length === 0)
        return run.out('No customer tenants: this deployment serves its own tenant only.\n');
      for (const t of all) {
        run.out(`${t.tenantId}  ${t.enabled ? 'enabled ' : 'disabled'}  ${t.displayName}\n`);
      }
    });

  tenants
    .command('show <tenant-id>')
    .description("Show a tenant's settings, and the consent link and role line again.")
    .action(async (id: string) => {
      const fleet = await openFleet();
      const tenant = await found(fleet, id);
      if (!tenant) return;
      run.out(describe(tenant) + '\n' + onboardingText(fleet, tenant));
    });

  tenants
    .command('set <tenant-id>')
    .description("Change a tenant's name or settings, or enable it again.")
    .option('--name <name>', "the customer's name")
    .option('--set <setting=value>', 'set a per-tenant setting (repeatable)', collect, [])
    .option('--unset <setting>', 'go back to the app setting (repeatable)', collect, [])
    .option('--enable', 'run the tenant again from the next period')
    .action(async (id: string, options: ChangeOptions) => {
      const changes = parseAssignments(options.set);
      checkTenantSettingNames(options.unset);
      const fleet = await openFleet();
      const tenant = await found(fleet, id);
      if (!tenant) return;
      const settings = { ...tenant.settings, ...changes };
      for (const name of options.unset) delete settings[name];
      const changed: TenantRecord = {
        ...tenant,
        displayName: options.name?.trim() || tenant.displayName,
        enabled: options.enable ? true : tenant.enabled,
        settings,
      };
      check(changed);
      run.out(describe(await fleet.tenants.save(changed)));
    });

  tenants
    .command('disable <tenant-id>')
    .description('Stop running a tenant (its data is kept; qrn tenants set --enable starts it again).')
    .action(async (id: string) => {
      const fleet = await openFleet();
      const tenant = await found(fleet, id);
      if (!tenant) return;
      await fleet.tenants.save({ ...tenant, enabled: false });
      run.out(`Disabled ${tenant.displayName} (${tenant.tenantId}): its runs stop from the next period.\n`);
    });

  tenants
    .command('remove <tenant-id>')
    .description('Stop serving a tenant; with --purge, delete every row the deployment holds for it.')
    .option(
      '--purge',
      "also delete the tenant's four tables (its quarantine copy, releases, notifications, state)",
    )
    .action(async (id: string, options: { purge?: boolean }) => {
      const fleet = await openFleet();
      const tenant = await found(fleet, id);
      if (!tenant) return;
      if (options.purge) {
        const tables = fleet.tenantTables(tenant);
        await Promise.all(Object.values(tables).map((t) => t.deleteTable()));
      }
      await fleet.tenants.remove(tenant.tenantId);
      run.out(
        options.purge
          ? `Removed ${tenant.displayName} (${tenant.tenantId}) and deleted its tables: nothing of it is left.\n`
          : `Removed ${tenant.displayName} (${tenant.tenantId}); its tables are kept (remove it again after adding it back, with --purge, to delete them).\n`,
      );
      run.out(
        `Its administrator can now remove the app from their tenant: Entra ID > Enterprise applications > the app (${fleet.settings.fleet.appClientId ?? 'FLEET_APP_CLIENT_ID'}) > Delete.\n`,
      );
    });
}
