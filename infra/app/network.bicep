// Optional private network (vnetEnabled), as the azd Functions quickstart builds it: a virtual network whose
// "app" subnet the function app joins (VNet integration; Flex Consumption delegates it to
// Microsoft.App/environments), and private endpoints for the storage account's blob and table services in a
// "private-endpoints" subnet, with their private DNS zones, so storage answers only inside the network.
param name string
param location string = resourceGroup().location
param tags object = {}
param storageAccountName string

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: ['10.0.0.0/16'] }
    subnets: [
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: '10.0.1.0/24'
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
      {
        name: 'app'
        properties: {
          addressPrefix: '10.0.2.0/24'
          delegations: [
            { name: 'flex-consumption', properties: { serviceName: 'Microsoft.App/environments' } }
          ]
        }
      }
    ]
  }
}

// One private endpoint and DNS zone per storage service the app and its host use (no queues, no files).
var storageServices = ['blob', 'table']

resource dnsZones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for service in storageServices: {
    name: 'privatelink.${service}.${environment().suffixes.storage}'
    location: 'global'
    tags: tags
  }
]

resource dnsLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (service, i) in storageServices: {
    parent: dnsZones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: { id: vnet.id }
    }
  }
]

resource endpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for service in storageServices: {
    name: '${storageAccountName}-${service}-pe'
    location: location
    tags: tags
    properties: {
      subnet: { id: vnet.properties.subnets[0].id }
      privateLinkServiceConnections: [
        {
          name: '${storageAccountName}-${service}'
          properties: { privateLinkServiceId: storageAccount.id, groupIds: [service] }
        }
      ]
    }
  }
]

resource endpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (service, i) in storageServices: {
    parent: endpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [{ name: service, properties: { privateDnsZoneId: dnsZones[i].id } }]
    }
  }
]

output appSubnetId string = vnet.properties.subnets[1].id
