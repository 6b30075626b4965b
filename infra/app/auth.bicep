// App Service authentication (Easy Auth) in front of the function app: every request but the health check
// needs an Entra ID token for the API's app registration (created by infra/hooks/postprovision.*). The app
// validates the token again itself, app role included (lib/entrypoints/sign-in.ts): Easy Auth checks
// issuer, audience and signature, but not the role. The health check keeps its own function key.
param functionAppName string
@description('Client id of the API\'s app registration (API_CLIENT_ID, set by the post-provision step).')
param apiClientId string
@description('Its Application ID URI (api://...), accepted as audience besides the client id.')
param apiAudience string

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
      unauthenticatedClientAction: 'Return401'
      excludedPaths: ['/api/health']
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: apiClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [apiClientId, apiAudience]
        }
      }
    }
    login: { tokenStore: { enabled: false } }
  }
}
