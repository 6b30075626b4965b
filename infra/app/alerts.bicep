// Alerts for the administrators: when the app stops working, someone hears about it.
// The app writes one run event per job run to Application Insights `traces` (lib/ops/run-event.ts); each rule
// below is a scheduled log query over those events. The queries, thresholds and texts live in
// lib/config/alerts.json, which the app reads too (`qrn doctor` applies the same thresholds), and which
// test/ops/alerts.test.ts checks against the event's fields: renaming a field breaks a test, not an alert.
param location string
param tags object = {}
@description('Name prefix of the action group and the rules.')
param namePrefix string
@description('Application Insights component whose traces the rules query.')
param applicationInsightsName string
@description('Administrators to email, comma or semicolon separated. Empty: the rules still fire (visible in the portal), nobody is emailed.')
param alertEmailAddresses string = ''
@description('ALERT_NO_SUCCESS_MINUTES: a job with no successful run for longer than this raises an alert.')
@minValue(15)
@maxValue(1440)
param noSuccessMinutes int

var catalogue = loadJsonContent('../../lib/config/alerts.json')
var addresses = filter(map(split(replace(alertEmailAddresses, ';', ','), ','), address => trim(address)), address => !empty(address))

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-administrators'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'qrn-admins'
    enabled: true
    emailReceivers: [for (address, i) in addresses: {
      name: 'administrator-${i + 1}'
      emailAddress: address
      useCommonAlertSchema: true
    }]
  }
}

// One rule per entry of the catalogue; its query with the placeholders filled in. Each rule runs its query as
// its own system-assigned identity (Reader on the component, given in rbac.bicep), not with the permissions
// of whoever last edited it. skipQueryValidation: a new workspace has no `traces` table until the app's first
// log arrives, and the rule's query would otherwise be refused at deployment.
resource rules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for rule in catalogue.rules: {
  name: '${namePrefix}-${rule.id}'
  location: location
  tags: tags
  kind: 'LogAlert'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    skipQueryValidation: true
    displayName: rule.displayName
    description: rule.description
    severity: rule.severity
    enabled: true
    evaluationFrequency: rule.evaluationFrequency
    windowSize: rule.windowSize
    scopes: [applicationInsights.id]
    criteria: {
      allOf: [
        {
          query: replace(replace(replace(rule.query, '{events}', catalogue.events), '{noSuccessMinutes}', string(noSuccessMinutes)), '{consecutiveFailures}', string(catalogue.consecutiveFailures))
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [actionGroup.id]
      customProperties: {
        firstStep: 'Run `qrn doctor` with the app\'s settings.'
      }
    }
  }
}]

output actionGroupId string = actionGroup.id
output ruleNames array = [for (rule, i) in catalogue.rules: rules[i].name]
output rulePrincipalIds array = [for (rule, i) in catalogue.rules: rules[i].identity.principalId]
