import { loadSettings, SettingsError, type Environment, type Settings } from '../config/settings';
import { TABLE_SUFFIXES } from '../store/tables';

/**
 * The settings one customer tenant may hold differently from the deployment's app settings
 * (docs/architecture.md#many-tenants). Each keeps the app setting's name, and is validated by the same
 * schema (lib/config/settings.ts), so a tenant's row can never hold what an app setting could not.
 */
export const TENANT_SETTINGS = [
  'ACCEPTED_DOMAINS',
  'EMAIL_CHANNEL',
  'EMAIL_SENDER_ADDRESS',
  'EMAIL_SENDER_DISPLAY_NAME',
  'EMAIL_DEFAULT_LANGUAGE',
  'EMAIL_DEFAULT_TIME_ZONE',
  'EMAIL_ORGANISATION_NAME',
  'EMAIL_LOGO',
  'EMAIL_ACCENT_COLOUR',
  'EMAIL_SUPPORT_CONTACT',
  'EMAIL_DISCLAIMER',
  'EMAIL_HIDE_RELEASER',
  'NOTIFY_SYSTEM_RELEASES',
  'NOTIFY_DRY_RUN',
  'NOTIFY_REDIRECT_TO',
  'NOTIFY_ALLOWED_SENDERS',
  'MAX_EMAILS_PER_RUN',
] as const;

export type TenantSettingName = (typeof TENANT_SETTINGS)[number];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tenant id as keys and table names hold it: a GUID, lower case; anything else is refused. */
export function tenantIdOf(text: string): string {
  const id = text.trim().toLowerCase();
  if (!GUID.test(id)) throw new SettingsError([`tenant id ${JSON.stringify(text)} must be a GUID`]);
  return id;
}

/** A table name holds at most 63 letters and digits. */
const MAX_TABLE_NAME = 63;

/**
 * The prefix of one customer tenant's four tables: the deployment's prefix, 't', and the tenant id's 32
 * hex digits, so every row a tenant owns is in tables named after it (docs/architecture.md#many-tenants).
 */
export function tenantTablePrefix(deploymentPrefix: string, tenantId: string): string {
  const prefix = `${deploymentPrefix}t${tenantIdOf(tenantId).replace(/-/g, '')}`;
  const longest = Math.max(...Object.values(TABLE_SUFFIXES).map((s) => s.length));
  if (prefix.length + longest > MAX_TABLE_NAME) {
    throw new SettingsError([
      `TABLE_NAME_PREFIX is too long for many tenants: use at most ${MAX_TABLE_NAME - longest - 33} letters and digits, so each tenant's tables fit Table Storage's 63 characters.`,
    ]);
  }
  return prefix;
}

/** Refuses a name that is not a per-tenant setting, with the list of those that are. */
export function checkTenantSettingNames(names: Iterable<string>): void {
  const unknown = [...names].filter((n) => !(TENANT_SETTINGS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new SettingsError(
      unknown.map((n) => `${n} is not a per-tenant setting: use one of ${TENANT_SETTINGS.join(', ')}`),
    );
  }
}

/**
 * One customer tenant's settings: the app settings with the tenant's own over them, the tenant's id, and
 * its own tables. Throws the same SettingsError as a bad app setting.
 */
export function settingsForTenant(
  env: Environment,
  tenant: { tenantId: string; settings: Readonly<Record<string, string>> },
): Settings {
  checkTenantSettingNames(Object.keys(tenant.settings));
  const settings = loadSettings({ ...env, ...tenant.settings, AZURE_TENANT_ID: tenant.tenantId });
  return { ...settings, tableNamePrefix: tenantTablePrefix(settings.tableNamePrefix, tenant.tenantId) };
}
