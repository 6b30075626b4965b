/**
 * What a customer tenant's administrator does when the app is refused in their tenant
 * (docs/architecture.md#many-tenants): consent (again) to the multi-tenant app, or grant it the directory
 * role. `qrn tenants add` prints both; `qrn doctor --tenant` and a tenant's failed run name the one needed.
 */

/** Why a customer tenant refused the app: its consent is missing or withdrawn, or the directory role is. */
export type PermissionGap = 'consent' | 'directory-role';

/** Where the multi-tenant app signs in: the authority host and the registration's client id. */
export interface FleetApp {
  authorityHost: string;
  appClientId?: string;
}

/** The link the customer's administrator opens to consent to the multi-tenant app in their tenant. */
export function adminConsentLink(authorityHost: string, tenantId: string, appClientId: string): string {
  return `${authorityHost}/${tenantId}/adminconsent?client_id=${appClientId}`;
}

/** The one line that grants the app its directory role (Security Reader) in the customer tenant. */
export function permissionsLine(tenantId: string): string {
  return `qrn permissions --tenant ${tenantId}`;
}

/** The fix of one gap, in one line, worded for the customer tenant's administrator. */
export function tenantFix(gap: PermissionGap, tenantId: string, app: FleetApp): string {
  if (gap === 'directory-role') {
    return `grant the app the directory role Security Reader in the tenant: ${permissionsLine(tenantId)}`;
  }
  const link = adminConsentLink(app.authorityHost, tenantId, app.appClientId ?? '<FLEET_APP_CLIENT_ID>');
  return `the tenant's administrator consents (again) to the app: ${link}`;
}
