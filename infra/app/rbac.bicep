// Azure role assignments: exactly what the app's code and its host use, each on the one resource it needs.
// (Microsoft 365 permissions are granted after provisioning: infra/hooks/postprovision.*.)
// test/infra/infra.test.ts keeps a justified list of these role ids and fails on any other.
param storageAccountName string
param appInsightsName string
param communicationServiceName string
@description('Principal (object) id of the app\'s user-assigned managed identity.')
param managedIdentityPrincipalId string
@description('Object id of the deploying user; empty for none.')
param userIdentityPrincipalId string = ''
@allowed(['User', 'ServicePrincipal'])
param userIdentityPrincipalType string = 'User'
@description('Principal ids of the alert rules\' system-assigned identities (alerts.bicep).')
param alertRulePrincipalIds array = []

var roles = {
  // Flex Consumption keeps the deployment package in its blob container and reads it with this identity
  // (functionAppConfig.deployment in api.bicep), and the Functions host keeps its locks and timer schedule
  // status in blobs (AzureWebJobsStorage__blobServiceUri). Owner, as the template and the Functions
  // documentation ask for identity-based host storage.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // The app creates its four tables at start and reads and writes their entities (lib/store/tables.ts,
  // through AzureWebJobsStorage__tableServiceUri); the host may also write diagnostic events there.
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // The tenant runs' queue and its poison queue (many tenants): send, receive, delete.
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Telemetry with local authentication off: ingestion needs an Entra token with this role.
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  // Sending email with an Entra token (EmailClient with ManagedIdentityCredential, lib/mail/acs-channel.ts)
  // needs Microsoft.Communication/CommunicationServices/Read and /Write and EmailServices/write. No built-in
  // role is narrower (there is no send-only role; Contributor is broader), so it is scoped to the one
  // Communication Services resource.
  communicationAndEmailServiceOwner: '09976791-48a7-449e-bb21-39d1a415f350'
  // The alert rules query Application Insights (their scope) as their own identities: Reader on that one
  // component is the least built-in role that lets a resource-context log query read its logs (`*/read`;
  // Log Analytics Reader adds workspace-wide search and support actions).
  reader: 'acdd72a7-3385-43ef-8e1b-8a43b9f1f2a6'
}
// No Storage Queue Data Contributor: no queue triggers, no Durable Functions, and the app uses no queues.

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource communicationService 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}

resource identityBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, managedIdentityPrincipalId, roles.storageBlobDataOwner)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource identityTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, managedIdentityPrincipalId, roles.storageTableDataContributor)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource identityQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, managedIdentityPrincipalId, roles.storageQueueDataContributor)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource identityMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, managedIdentityPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource identityEmailSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communicationService.id, managedIdentityPrincipalId, roles.communicationAndEmailServiceOwner)
  scope: communicationService
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.communicationAndEmailServiceOwner)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The deploying user (as in the template): the tables only, so that `qrn` on the administrator's machine
// (report, doctor, a job run once) works against the deployed tables. `azd deploy` itself needs no data
// role: it publishes through the app's deployment endpoint with the user's Azure Resource Manager token.
resource userTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userIdentityPrincipalId)) {
  name: guid(storageAccount.id, userIdentityPrincipalId, roles.storageTableDataContributor)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: userIdentityPrincipalId
    principalType: userIdentityPrincipalType
  }
}

resource alertRuleReaders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for rulePrincipalId in alertRulePrincipalIds: {
  name: guid(applicationInsights.id, rulePrincipalId, roles.reader)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.reader)
    principalId: rulePrincipalId
    principalType: 'ServicePrincipal'
  }
}]
