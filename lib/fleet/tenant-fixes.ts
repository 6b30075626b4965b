/**
 * What a customer tenant's administrator does when the app is refused in their tenant
 * (docs/architecture.md#many-tenants): consent (again) to the multi-tenant app, or grant it the directory
 * role. `qrn tenants add` prints both; `qrn doctor --tenant` and a tenant's failed run name the one needed.
 */

/**
 * Why a customer tenant refused the app: its consent is missing or withdrawn; the directory role is; the
 * consent lacks the audit log's Graph permission; or Entra did not take the deployment's identity as the
 * app's credential (its federated credential does not match).
 */
export type PermissionGap = 'consent' | 'directory-role' | 'audit-log-permission' | 'federated-credential';

/** Where the multi-tenant app signs in: the authority host and the registration's client id. */
export interface FleetApp {
  authorityHost: string;
  appClientId?: string;
}

/** The deployment's multi-tenant app, from its settings. */
export function fleetAppOf(settings: {
  credentials: { authorityHost: string };
  fleet: { appClientId?: string };
}): FleetApp {
  return { authorityHost: settings.credentials.authorityHost, appClientId: settings.fleet.appClientId };
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
  if (gap === 'federated-credential') {
    // The provider's own registration, not the customer's grant: every customer tenant is refused alike.
    return (
      "Entra refused this deployment's managed identity as the app's credential: recreate the app's federated " +
      'credential for the identity (azd provision with QRN_FLEET=true), as README "Many tenants" shows'
    );
  }
  const link = adminConsentLink(app.authorityHost, tenantId, app.appClientId ?? '<FLEET_APP_CLIENT_ID>');
  if (gap === 'audit-log-permission') {
    return (
      'the app lacks the Microsoft Graph application permission AuditLogsQuery.Read.All in the tenant: its ' +
      `administrator consents (again) to the app, which grants it: ${link}`
    );
  }
  return `the tenant's administrator consents (again) to the app: ${link}`;
}
