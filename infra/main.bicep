// One deployment per Microsoft 365 tenant: `azd up` creates a resource group holding the function app
// (Flex Consumption, Node 22), its user-assigned managed identity, storage reached only with that identity,
// Application Insights with Entra authentication, and Communication Services Email.
// Structure follows Azure-Samples/functions-quickstart-typescript-azd (see README, "Deploy").
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment (one per tenant); it seeds the unique names of every resource.')
param environmentName string

@minLength(1)
@description('Region of the resource group and the Flex Consumption function app.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID). Empty: no role for the user.')
param principalId string = ''

@description('Kind of principal named by principalId: User, or ServicePrincipal when a pipeline deploys.')
@allowed(['', 'User', 'ServicePrincipal'])
param principalType string = ''

@description('Microsoft 365 tenant (directory) id whose quarantine is read. Empty: the tenant of this subscription. The managed identity lives in the subscription\'s tenant and can only be granted permissions there, so the two must match.')
param m365TenantId string = ''

@description('How notifications are sent: acs (Communication Services Email, the default) or graph (sendMail from a mailbox).')
@allowed(['', 'acs', 'graph'])
param emailChannel string = ''

@description('EMAIL_CHANNEL=graph only: the mailbox that sends the notifications (its address).')
param emailSenderMailbox string = ''

@description('Display name shown with the sender address (set on the email domain\'s sender username; ACS cannot set it per email).')
@maxLength(100)
param emailSenderDisplayName string = ''

@description('Who senders should contact with questions (an address or a sentence), shown in every email.')
param emailSupportContact string = ''

@description('Optional custom email domain (for example notify.contoso.com). Created unverified; link it after adding its DNS records.')
param customEmailDomain string = ''

@description('Set to true once the custom domain is verified: it is then linked and becomes the sender domain.')
@allowed(['', 'true', 'false'])
param customEmailDomainVerified string = ''

@description('Where Communication Services keeps its data at rest (for example United States, Europe, UK).')
@allowed([
  ''
  'Africa'
  'Asia Pacific'
  'Australia'
  'Brazil'
  'Canada'
  'Europe'
  'France'
  'Germany'
  'India'
  'Japan'
  'Korea'
  'Norway'
  'Switzerland'
  'UAE'
  'UK'
  'United States'
])
param communicationDataLocation string = ''

@description('NCRONTAB schedule (UTC, six fields) of the snapshot timer. Empty: every 15 minutes.')
param snapshotSchedule string = ''

@description('NCRONTAB schedule (UTC, six fields) of the notify timer. Empty: every 15 minutes, 5 minutes after the snapshot.')
param notifySchedule string = ''

@description('Pilot: true composes and records notifications and sends nothing. Empty: true, so nothing is emailed until you go live.')
@allowed(['', 'true', 'false'])
param notifyDryRun string = ''

@description('Pilot: send every notification to this administrator address instead of the sender.')
param notifyRedirectTo string = ''

@description('Pilot: only notify these senders (addresses or domains, comma separated).')
param notifyAllowedSenders string = ''

@description('Memory of each Flex Consumption instance in MB. Empty: 512 (every job peaks under 256 MB). Billing is per GB-second of it.')
@allowed(['', '512', '2048', '4096'])
param functionInstanceMemoryMB string = ''

@description('Operations: administrators emailed by the alerts, comma separated (several allowed). Empty: the alerts fire in the portal only.')
param alertEmailAddresses string = ''

@description('Operations: alert when a job has had no successful run for this many minutes (ALERT_NO_SUCCESS_MINUTES). Empty: 60.')
param alertNoSuccessMinutes string = ''

param resourceGroupName string = ''

@description('true: storage is reachable only from the function app, over a private network (VNet integration and private endpoints, infra/app/network.bicep). Costs more: see the README.')
param vnetEnabled string = ''

@description('Client id and Application ID URI of the releases API\'s app registration (set by the post-provision step); empty until then.')
param apiClientId string = ''
param apiAudience string = ''

@description('Many tenants: client id of the multi-tenant app registration the post-provision step creates when QRN_FLEET=true (FLEET_APP_CLIENT_ID); empty: only this tenant is served.')
param fleetAppClientId string = ''

@description('Many tenants: how many customer tenants the deployment is sized for (QRN_FLEET_TENANTS). Empty: 1000. The instance limit is derived from it (README "Many tenants").')
param fleetTenants string = ''

var abbrs = loadJsonContent('./abbreviations.json')

// The instance limit, from the fleet bench's measured figures (fleet-sizing.json, written by
// `npm run bench -- --fleet`): twice the tenants' runs, each holding its place in an instance's batch for its
// measured time plus the longest wait for its audit query, fit in the spread of the period; an instance runs
// host.json's batch plus the next one. Whole numbers: Bicep has no ceil, so (a + b - 1) / b. Flex
// Consumption allows 40 to 1000 instances.
var fleetSizing = loadJsonContent('./fleet-sizing.json')
var fleetTenantCount = empty(fleetTenants) ? 1000 : int(fleetTenants)
var fleetRunsPerInstance = fleetSizing.batchSize + fleetSizing.newBatchThreshold
var fleetWorkMilliseconds = fleetSizing.headroom * fleetTenantCount * (fleetSizing.tenantRunMilliseconds + fleetSizing.auditWaitSeconds * 1000)
var fleetCapacityMilliseconds = fleetRunsPerInstance * fleetSizing.spreadSeconds * 1000
var maximumInstanceCount = min(1000, max(40, (fleetWorkMilliseconds + fleetCapacityMilliseconds - 1) / fleetCapacityMilliseconds))
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}qrn-${resourceToken}'
var deploymentStorageContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'

// Empty azd variables arrive as empty strings: fall back to the app's own defaults (lib/config/settings.ts;
// test/infra checks these match the settings catalogue).
var defaults = {
  snapshotSchedule: '0 */15 * * * *'
  notifySchedule: '0 5-59/15 * * * *'
  emailSenderDisplayName: 'Mail quarantine'
  emailChannel: 'acs'
}
var resolvedTenantId = empty(m365TenantId) ? tenant().tenantId : m365TenantId
var resolvedEmailChannel = empty(emailChannel) ? defaults.emailChannel : emailChannel
var resolvedDisplayName = empty(emailSenderDisplayName) ? defaults.emailSenderDisplayName : emailSenderDisplayName
// Literal branches only: Bicep does not narrow a union after empty(), so `empty(x) ? 'User' : x` would keep
// the '' member, which rbac.bicep's 'User' | 'ServicePrincipal' parameter refuses (BCP036).
var resolvedPrincipalType = principalType == 'ServicePrincipal' ? 'ServicePrincipal' : 'User'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// The app's one identity: host storage, the app's tables, telemetry, email, and (granted after provisioning)
// Exchange Online and Microsoft Graph. Roles are in app/rbac.bicep.
module appIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'appIdentity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}qrn-${resourceToken}'
    location: location
    tags: tags
  }
}

module appServicePlan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'appServicePlan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
    location: location
    tags: tags
  }
}

// Host storage and the app's tables. No shared keys: everything is reached with the managed identity.
module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    skuName: 'Standard_LRS' // the tables are a cache of Exchange data plus run state: no geo-replication needed
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    dnsEndpointType: 'Standard'
    publicNetworkAccess: vnetEnabled == 'true' ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: vnetEnabled == 'true' ? 'Deny' : 'Allow'
      bypass: vnetEnabled == 'true' ? 'None' : 'AzureServices'
    }
    blobServices: {
      containers: [{ name: deploymentStorageContainerName }]
    }
    minimumTlsVersion: 'TLS1_2'
    location: location
    tags: tags
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: '${uniqueString(deployment().name, location)}-loganalytics'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

module monitoring 'br/public:avm/res/insights/component:0.6.0' = {
  name: '${uniqueString(deployment().name, location)}-appinsights'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
  }
}

module email 'app/email.bicep' = {
  name: 'email'
  scope: rg
  params: {
    communicationServiceName: '${abbrs.communicationCommunicationServices}${resourceToken}'
    emailServiceName: '${abbrs.communicationEmailServices}${resourceToken}'
    tags: tags
    dataLocation: empty(communicationDataLocation) ? 'United States' : communicationDataLocation
    senderDisplayName: resolvedDisplayName
    customDomainName: customEmailDomain
    customDomainVerified: customEmailDomainVerified == 'true'
  }
}

// Every setting the app reads (lib/config/settings.ts). Host and platform settings are added in app/api.bicep.
// test/infra/infra.test.ts fails when a required setting is missing here or an unknown one appears.
var appSettings = {
  AZURE_TENANT_ID: resolvedTenantId
  AZURE_CLIENT_ID: appIdentity.outputs.clientId
  EMAIL_CHANNEL: resolvedEmailChannel
  ACS_ENDPOINT: email.outputs.endpoint
  EMAIL_SENDER_ADDRESS: resolvedEmailChannel == 'graph' ? emailSenderMailbox : email.outputs.senderAddress
  EMAIL_SENDER_DISPLAY_NAME: resolvedDisplayName
  EMAIL_SUPPORT_CONTACT: emailSupportContact
  SNAPSHOT_SCHEDULE: empty(snapshotSchedule) ? defaults.snapshotSchedule : snapshotSchedule
  NOTIFY_SCHEDULE: empty(notifySchedule) ? defaults.notifySchedule : notifySchedule
  NOTIFY_DRY_RUN: empty(notifyDryRun) ? 'true' : notifyDryRun
  NOTIFY_REDIRECT_TO: notifyRedirectTo
  NOTIFY_ALLOWED_SENDERS: notifyAllowedSenders
  ALERT_NO_SUCCESS_MINUTES: string(resolvedAlertNoSuccessMinutes)
  API_AUDIENCE: apiAudience
  FLEET_APP_CLIENT_ID: fleetAppClientId
}

module network 'app/network.bicep' = if (vnetEnabled == 'true') {
  name: 'network'
  scope: rg
  params: {
    name: 'vnet-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.name
    appServicePlanId: appServicePlan.outputs.resourceId
    runtimeName: 'node'
    runtimeVersion: '22'
    // Literal branches: api.bicep's @allowed makes its parameter 512 | 2048 | 4096, which a plain int
    // (int(...)) is not assignable to (BCP036). Default 512: the bench's peak RSS stays within half of it.
    instanceMemoryMB: functionInstanceMemoryMB == '4096' ? 4096 : (functionInstanceMemoryMB == '2048' ? 2048 : 512)
    maximumInstanceCount: maximumInstanceCount
    storageAccountName: storage.outputs.name
    deploymentStorageContainerName: deploymentStorageContainerName
    identityId: appIdentity.outputs.resourceId
    identityClientId: appIdentity.outputs.clientId
    appSettings: appSettings
    virtualNetworkSubnetId: vnetEnabled == 'true' ? network.outputs.appSubnetId : ''
  }
}

module auth 'app/auth.bicep' = if (!empty(apiClientId)) {
  name: 'auth'
  scope: rg
  params: {
    functionAppName: api.outputs.SERVICE_API_NAME
    apiClientId: apiClientId
    apiAudience: apiAudience
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbacAssignments'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.name
    communicationServiceName: email.outputs.communicationServiceName
    managedIdentityPrincipalId: appIdentity.outputs.principalId
    userIdentityPrincipalId: principalId
    userIdentityPrincipalType: resolvedPrincipalType
    alertRulePrincipalIds: alerts.outputs.rulePrincipalIds
  }
}

// Operations: alerts to the administrators when a job stops succeeding (app/alerts.bicep, README "Operations").
var alertCatalogue = loadJsonContent('../lib/config/alerts.json')
var resolvedAlertNoSuccessMinutes = empty(alertNoSuccessMinutes) ? alertCatalogue.noSuccessMinutesDefault : int(alertNoSuccessMinutes)
module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    namePrefix: 'qrn-${resourceToken}'
    applicationInsightsName: monitoring.outputs.name
    alertEmailAddresses: alertEmailAddresses
    noSuccessMinutes: resolvedAlertNoSuccessMinutes
  }
}

// Read by azd and by infra/hooks/postprovision.* (names differ from the inputs above, so that azd writing
// outputs back into the environment never turns a computed value into an override).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.SERVICE_API_NAME
output AZURE_FUNCTION_NAME string = api.outputs.SERVICE_API_NAME
output APP_IDENTITY_PRINCIPAL_ID string = appIdentity.outputs.principalId
output APP_IDENTITY_CLIENT_ID string = appIdentity.outputs.clientId
// The post-provision step registers https://<this>/.auth/login/aad/callback as the sign-in reply address.
output APP_HOSTNAME string = api.outputs.defaultHostname
output APP_M365_TENANT_ID string = resolvedTenantId
output APP_EMAIL_CHANNEL string = resolvedEmailChannel
output APP_EMAIL_SENDER_ADDRESS string = appSettings.EMAIL_SENDER_ADDRESS
output APP_ACS_ENDPOINT string = email.outputs.endpoint
output APP_STORAGE_TABLE_ENDPOINT string = api.outputs.tableServiceUri
output CUSTOM_EMAIL_DOMAIN_VERIFICATION_RECORDS object = email.outputs.customDomainVerificationRecords
