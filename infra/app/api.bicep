// The function app on Flex Consumption, with identity-based host storage and Entra-authenticated telemetry.
param name string
param location string = resourceGroup().location
param tags object = {}
param applicationInsightsName string
param appServicePlanId string
@description('The app\'s own settings (see main.bicep); host and platform settings are added here.')
param appSettings object
param runtimeName string
param runtimeVersion string
param serviceName string = 'api'
param storageAccountName string
param deploymentStorageContainerName string
// 512: the bench's largest peak RSS (197 MB at 100,000 quarantine rows) stays within half of it.
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 512
// From the fleet bench's figures and the tenants the deployment is sized for (main.bicep).
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int
param identityId string
param identityClientId string
@description('Subnet the app joins (VNet integration, network.bicep); empty for none.')
param virtualNetworkSubnetId string = ''

resource stg 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Host and platform settings. No keys anywhere: the host reaches storage with the managed identity
// (credential + clientId + service URIs) and sends telemetry with an Entra token (local auth is off).
// Blob: host locks and timer schedule status (the deployment package uses functionAppConfig below).
// Table: the app's own tables resolve to this URI too (lib/config/settings.ts, AzureWebJobsStorage__tableServiceUri).
// Queue: the tenant runs of a deployment serving many tenants (functions/fleet.ts, docs/architecture.md#many-tenants).
var hostSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: stg.properties.primaryEndpoints.blob
  AzureWebJobsStorage__tableServiceUri: stg.properties.primaryEndpoints.table
  AzureWebJobsStorage__queueServiceUri: stg.properties.primaryEndpoints.queue
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // App Service authentication signs administrators in with this identity instead of a client secret
  // (auth.bicep): the identity's client id, not the app registration's. Unused while authentication is off.
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identityClientId
}

module api 'br/public:avm/res/web/site:0.15.1' = {
  name: '${serviceName}-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    serverFarmResourceId: appServicePlanId
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [identityId]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${stg.properties.primaryEndpoints.blob}${deploymentStorageContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: runtimeName
        version: runtimeVersion
      }
    }
    siteConfig: {
      alwaysOn: false
    }
    virtualNetworkSubnetId: !empty(virtualNetworkSubnetId) ? virtualNetworkSubnetId : null
    appSettingsKeyValuePairs: union(appSettings, hostSettings)
  }
}

output SERVICE_API_NAME string = api.outputs.name
output defaultHostname string = api.outputs.defaultHostname
output tableServiceUri string = stg.properties.primaryEndpoints.table
