// App Service authentication (Easy Auth) in front of the function app, for two kinds of callers:
//
// - Administrators open https://<app>/api/console from a bookmark. A browser without a session is sent to
//   Entra ID sign-in (RedirectToLoginPage: "a browser client is redirected to /.auth/login/<provider>",
//   https://learn.microsoft.com/azure/app-service/overview-authentication-authorization#authorization-behavior)
//   and comes back with a session cookie, which every instance reads. On each request the platform forwards
//   the user's claims as X-MS-CLIENT-PRINCIPAL, a header external requests cannot set
//   (https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities#access-user-claims-in-app-code);
//   the app checks audience, issuer and app role in it (lib/entrypoints/platform-sign-in.ts).
// - The token store is off. On App Service its only shared store is a blob container named by a SAS URL app
//   setting (BlobStorageTokenStore has sasUrlSettingName and nothing else:
//   https://learn.microsoft.com/azure/templates/microsoft.web/sites/config-authsettingsv2); reaching the
//   container with a managed identity exists for Container Apps only
//   (https://learn.microsoft.com/azure/container-apps/token-store). A SAS needs the account key this storage
//   account refuses, or a user delegation key that lasts seven days at most; without a store the tokens
//   would live in one instance's file system and vanish on restart or scale-out. The console needs no
//   provider token: the claims suffice (README, "Deploy").
// - Scripts call GET /api/releases with a bearer token. That path is excluded from the redirect, so a caller
//   without a token gets the app's own 401 (with a Bearer challenge), not a sign-in page.
//
// Either way the app decides itself: a bearer token by signature, issuer, audience, lifetime and app role
// (lib/entrypoints/sign-in.ts), the forwarded claims by audience, issuer and role
// (lib/entrypoints/platform-sign-in.ts). Easy Auth never checks the role. The health check keeps its own
// function key.
//
// No client secret: the sign-in (authorization code flow) proves the app registration's identity with a
// token of the app's user-assigned managed identity, which the post-provision step adds to the registration
// as a federated identity credential. clientSecretSettingName names the app setting that holds that
// identity's client id (api.bicep), as documented in "Use a managed identity instead of a secret (preview)":
// https://learn.microsoft.com/azure/app-service/configure-authentication-provider-aad#use-a-managed-identity-instead-of-a-secret-preview
// Built-in authentication on Flex Consumption: the Functions MCP tutorial enables it on a Flex Consumption app
// (https://learn.microsoft.com/azure/azure-functions/functions-mcp-tutorial#enable-built-in-server-authorization-and-authentication);
// the plan's preview-era page said it was not supported yet (see README, "Deploy").
param functionAppName string
@description('Client id of the API\'s app registration (API_CLIENT_ID, set by the post-provision step).')
param apiClientId string
@description('Its Application ID URI (api://...), accepted as audience besides the client id.')
param apiAudience string

// The name App Service reads for a managed identity as federated credential; api.bicep sets it.
var managedIdentityAssertionSetting = 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      excludedPaths: ['/api/health', '/api/releases']
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: apiClientId
          clientSecretSettingName: managedIdentityAssertionSetting
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        login: {
          // The ID token names the registration (client id) as audience and carries the user's app roles.
          loginParameters: ['scope=openid profile email']
        }
        validation: {
          allowedAudiences: [apiClientId, apiAudience]
        }
      }
    }
    login: { tokenStore: { enabled: false } }
  }
}
