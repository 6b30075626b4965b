// Communication Services Email: an Email Communication Service with a free Azure-managed domain
// (DoNotReply@<guid>.azurecomm.net, no DNS needed), an optional custom domain, and the Communication
// Services resource the app sends through (ACS_ENDPOINT), linked to the domain(s).
param communicationServiceName string
param emailServiceName string
param tags object = {}
@description('Data location of both resources (they must match to be linked).')
param dataLocation string
@description('From display name. ACS takes it from the domain\'s sender username, never from the email itself.')
param senderDisplayName string
@description('Optional custom domain, for example notify.contoso.com.')
param customDomainName string = ''
@description('True once the custom domain\'s DNS records are verified; an unverified domain cannot be linked.')
param customDomainVerified bool = false

var hasCustomDomain = !empty(customDomainName)
var useCustomDomain = hasCustomDomain && customDomainVerified
// The sender every domain has from the start; its display name is the one thing we may change on an
// Azure-managed domain (extra sender usernames need raised sending limits).
var senderUsername = 'DoNotReply'

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource managedDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled' // no tracking pixels or rewritten links in mail to the tenant's users
  }
}

resource managedDomainSender 'Microsoft.Communication/emailServices/domains/senderUsernames@2023-04-01' = {
  parent: managedDomain
  name: toLower(senderUsername)
  properties: {
    username: senderUsername
    displayName: senderDisplayName
  }
}

resource customDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = if (hasCustomDomain) {
  parent: emailService
  name: hasCustomDomain ? customDomainName : 'unused.invalid'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'CustomerManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource customDomainSender 'Microsoft.Communication/emailServices/domains/senderUsernames@2023-04-01' = if (hasCustomDomain) {
  parent: customDomain
  name: toLower(senderUsername)
  properties: {
    username: senderUsername
    displayName: senderDisplayName
  }
}

// Access keys off (disableLocalAuth): the app sends with its managed identity only (rbac.bicep gives it the
// data-plane role), so no connection string with a key exists that could leak and send as the tenant.
resource communicationService 'Microsoft.Communication/communicationServices@2025-05-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    disableLocalAuth: true
    linkedDomains: useCustomDomain ? [managedDomain.id, customDomain.id] : [managedDomain.id]
  }
}

output communicationServiceName string = communicationService.name
output endpoint string = 'https://${communicationService.properties.hostName}'
output senderAddress string = useCustomDomain ? '${senderUsername}@${customDomainName}' : '${senderUsername}@${managedDomain.properties.fromSenderDomain}'
@description('DNS records (domain, SPF, DKIM, DKIM2, DMARC) to create for the custom domain before verifying it.')
output customDomainVerificationRecords object = hasCustomDomain ? customDomain.properties.verificationRecords : {}
