// App Service authentication (Easy Auth) in front of the function app, for two kinds of callers:
//
// - Administrators open https://<app>/api/console from a bookmark. A browser without a session is sent to
//   Entra ID sign-in (RedirectToLoginPage: "a browser client is redirected to /.auth/login/<provider>",
//   https://learn.microsoft.com/azure/app-service/overview-authentication-authorization#authorization-behavior)
//   and comes back with a session cookie; with the token store on, the platform then forwards the access
//   token to the app as X-MS-TOKEN-AAD-ACCESS-TOKEN
//   (https://learn.microsoft.com/azure/app-service/configure-authentication-oauth-tokens#retrieve-tokens-in-app-code).
//   loginParameters ask for the API's own scope, so that token's audience is the API and the app's check
//   passes ("the scope that gives you a JWT token that includes the backend app as a token audience",
//   https://learn.microsoft.com/azure/app-service/tutorial-auth-aad#configure-app-service-to-return-a-usable-access-token).
// - Scripts call GET /api/releases with a bearer token. That path is excluded from the redirect, so a caller
//   without a token gets the app's own 401 (with a Bearer challenge), not a sign-in page.
//
// Either way the app verifies the token itself: signature, issuer, audience, lifetime and the app role
// (lib/entrypoints/sign-in.ts; lib/console/access.ts for the forwarded header). Easy Auth never checks the
// role. The health check keeps its own function key.
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
          // offline_access: a refresh token in the store, so GET /.auth/refresh can renew the access token.
          loginParameters: ['scope=openid profile email offline_access ${apiAudience}/user_impersonation']
        }
        validation: {
          allowedAudiences: [apiClientId, apiAudience]
        }
      }
    }
    login: { tokenStore: { enabled: true } }
  }
}
