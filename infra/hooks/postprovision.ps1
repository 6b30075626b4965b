# azd postprovision hook (Windows): grants the app's managed identity its Microsoft 365 permissions with the
# app's own command (`qrn permissions`); when the deploying user may not, prints the exact commands for a
# Global Administrator or Privileged Role Administrator. Never fails the deployment.
# Same behaviour as postprovision.sh; reads APP_IDENTITY_PRINCIPAL_ID, APP_M365_TENANT_ID, APP_EMAIL_CHANNEL,
# AZURE_TENANT_ID from the azd environment. Set QRN_SKIP_PERMISSIONS=true to only print the commands.

$principal = $env:APP_IDENTITY_PRINCIPAL_ID
$m365Tenant = $env:APP_M365_TENANT_ID
$azureTenant = $env:AZURE_TENANT_ID
$channel = if ($env:APP_EMAIL_CHANNEL) { $env:APP_EMAIL_CHANNEL } else { 'acs' }

if (-not $principal) {
    Write-Warning "postprovision: APP_IDENTITY_PRINCIPAL_ID is not in the azd environment; run 'azd provision' first."
    exit 0
}
$tenantShown = if ($m365Tenant) { $m365Tenant } else { '<tenant id>' }

# --no: run this project's own `qrn`, never download a package of that name.
$grantArgs = @('--no', 'qrn', 'permissions', '--principal-id', $principal)
if ($channel -eq 'graph') { $grantArgs += '--mail-send' }
$grant = 'npx ' + ($grantArgs -join ' ')

if ($m365Tenant -and $azureTenant -and ($m365Tenant -ne $azureTenant)) {
    Write-Warning ("The Microsoft 365 tenant ($m365Tenant) is not the tenant of this Azure subscription ($azureTenant). " +
        'A managed identity exists only in its subscription''s tenant: deploy into a subscription of the Microsoft 365 tenant, or leave AZURE_M365_TENANT_ID empty.')
}

# Every JSON argument goes to az through a file (@file), never inline: az is a .cmd on Windows, and
# PowerShell strips the inner quotes of an inline JSON argument on its way there.
$work = Join-Path ([System.IO.Path]::GetTempPath()) "qrn-postprovision-$PID"
New-Item -ItemType Directory -Force -Path $work | Out-Null
function Write-JsonFile([string] $name, $value) {
    $file = Join-Path $work $name
    # -Depth: nested arrays and objects; UTF-8 without a byte order mark, which az reads as JSON.
    [System.IO.File]::WriteAllText($file, (ConvertTo-Json -Compress -Depth 8 $value), (New-Object System.Text.UTF8Encoding $false))
    return "@$file"
}
$hasAz = [bool](Get-Command az -ErrorAction SilentlyContinue)

# The releases API's app registration (personal data behind Entra ID sign-in): one per environment, named
# qrn-releases-api-<environment>, with the Releases.Read app role. Each provision finds it (the one in
# API_CLIENT_ID while it exists, else the one of that name) and creates it only when there is none, so a
# second `azd up`, or `azd up` after `azd down`, never adds another. Same as postprovision.sh; never fails
# the deployment.
$registration = "qrn-releases-api-$($env:AZURE_ENV_NAME)"

function Find-ApiRegistration {
    if ($env:API_CLIENT_ID) {
        $found = az ad app show --id $env:API_CLIENT_ID --query appId -o tsv 2>&1
        if ($LASTEXITCODE -eq 0 -and $found) { return $found }
        # Only a registration the directory says is gone is replaced; any other failure (signed out,
        # throttled) keeps the known one, so that no second registration is made.
        if ("$found" -notmatch 'does not exist|ResourceNotFound') {
            Write-Warning "postprovision: could not read the app registration $($env:API_CLIENT_ID) ($found); keeping it."
            return $env:API_CLIENT_ID
        }
        Write-Warning "postprovision: the app registration in API_CLIENT_ID ($($env:API_CLIENT_ID)) no longer exists; looking for $registration."
    }
    # An exact name (--display-name would also match qrn-releases-api-<environment>2).
    $named = @(az ad app list --filter "displayName eq '$registration'" --query '[].appId' -o tsv 2>$null | Where-Object { $_ })
    foreach ($other in ($named | Select-Object -Skip 1)) {
        Write-Warning "postprovision: another app registration named $registration ($other) exists, left by an earlier version of this step; this deployment uses $($named[0]). Delete the other: az ad app delete --id $other"
    }
    return ($named | Select-Object -First 1)
}

if (-not $hasAz) {
    if (-not $env:API_CLIENT_ID) { Write-Warning "postprovision: the Azure CLI (az) is not installed: the releases API stays closed until an app registration exists (see README, Deploy)." }
} else {
    $appId = Find-ApiRegistration
    $created = $false
    if (-not $appId) {
        $roles = Write-JsonFile 'app-roles.json' @(@{
            allowedMemberTypes = @('User', 'Application'); description = 'Read the quarantine release report (personal data).'
            displayName = 'Releases reader'; isEnabled = $true; value = 'Releases.Read'; id = [guid]::NewGuid().ToString()
        })
        $appId = az ad app create --display-name $registration --sign-in-audience AzureADMyOrg --app-roles $roles --query appId -o tsv 2>$null
        if ($LASTEXITCODE -ne 0) { $appId = $null }
        $created = [bool]$appId
        if (-not $appId) { Write-Warning "postprovision: could not create the app registration $registration (an Application Developer role or better is needed); the releases API stays closed." }
    }
    if ($appId) {
        $audience = "api://$appId"
        if ($created) { az ad app update --id $appId --identifier-uris $audience 2>$null | Out-Null }
        az ad sp show --id $appId 2>$null | Out-Null
        if ($LASTEXITCODE -ne 0) {
            az ad sp create --id $appId 2>$null | Out-Null
            if ($LASTEXITCODE -ne 0) { Write-Warning "postprovision: could not create the enterprise application of $registration; assign Releases.Read once it exists." }
        }
        if ($appId -ne $env:API_CLIENT_ID -or $audience -ne $env:API_AUDIENCE) {
            azd env set API_CLIENT_ID $appId | Out-Null
            azd env set API_AUDIENCE $audience | Out-Null
            $env:API_CLIENT_ID = $appId
            $env:API_AUDIENCE = $audience
            if ($created) { Write-Host "postprovision: created the app registration $registration ($appId) with the app role Releases.Read." }
            else { Write-Host "postprovision: using the existing app registration $registration ($appId)." }
            Write-Host "  Run 'azd provision' once more to turn on App Service authentication (the console's sign-in) and set API_AUDIENCE, then assign Releases.Read to each administrator who opens /api/console and each reader of GET /api/releases (Enterprise applications > $registration > Users and groups)."
        }
    }
}

# The administrators' console (a bookmark to https://<app>/api/console): App Service authentication signs a
# browser in as the app registration above with no client secret: the app's managed identity is a federated
# identity credential of the registration, whose subject follows the identity (a new one after `azd down`).
# Also the sign-in reply address, ID tokens, and the user_impersonation scope. Same as postprovision.sh;
# idempotent, never fails the deployment. See
# https://learn.microsoft.com/azure/app-service/configure-authentication-provider-aad#use-a-managed-identity-instead-of-a-secret-preview
if ($env:API_CLIENT_ID -and $hasAz) {
    $apiClientId = $env:API_CLIENT_ID
    if ($env:APP_HOSTNAME) {
        az ad app update --id $apiClientId --web-redirect-uris "https://$($env:APP_HOSTNAME)/.auth/login/aad/callback" --enable-id-token-issuance true 2>$null | Out-Null
        if ($LASTEXITCODE -ne 0) { Write-Warning "postprovision: could not set the sign-in reply address on $apiClientId; the console cannot sign a browser in." }
    }
    $scope = az ad app show --id $apiClientId --query "api.oauth2PermissionScopes[?value=='user_impersonation'].id | [0]" -o tsv 2>$null
    if (-not $scope) {
        $body = Write-JsonFile 'scope.json' @{ api = @{ oauth2PermissionScopes = @(@{
            id = [guid]::NewGuid().ToString(); value = 'user_impersonation'; type = 'User'; isEnabled = $true
            adminConsentDisplayName = 'Open the quarantine release console'
            adminConsentDescription = 'Sign in to the administrators console and read the release report as the signed-in user.'
            userConsentDisplayName = 'Open the quarantine release console'; userConsentDescription = 'Sign in to the administrators console as you.'
        }) } }
        az rest --method PATCH --uri "https://graph.microsoft.com/v1.0/applications(appId='$apiClientId')" --headers Content-Type=application/json --body $body 2>$null | Out-Null
        if ($LASTEXITCODE -ne 0) { Write-Warning "postprovision: could not add the user_impersonation scope to $apiClientId." }
    }
    if ($principal -and $azureTenant) {
        $credential = Write-JsonFile 'credential.json' @{
            name = 'qrn-app-identity'; issuer = "https://login.microsoftonline.com/$azureTenant/v2.0"; subject = $principal
            audiences = @('api://AzureADTokenExchange'); description = 'The function app signs administrators in with its managed identity, no client secret.'
        }
        $subject = az ad app federated-credential show --id $apiClientId --federated-credential-id qrn-app-identity --query subject -o tsv 2>$null
        if ($LASTEXITCODE -ne 0) { $subject = $null }
        if (-not $subject) {
            az ad app federated-credential create --id $apiClientId --parameters $credential 2>$null | Out-Null
            if ($LASTEXITCODE -eq 0) { Write-Host "postprovision: the app's managed identity now signs the console in for $apiClientId (federated credential, no secret)." }
            else { Write-Warning "postprovision: could not add the managed identity as federated credential of $apiClientId; the console cannot sign a browser in." }
        } elseif ($subject -ne $principal) {
            az ad app federated-credential update --id $apiClientId --federated-credential-id qrn-app-identity --parameters $credential 2>$null | Out-Null
            if ($LASTEXITCODE -eq 0) { Write-Host "postprovision: the federated credential of $apiClientId named an earlier identity ($subject); it now names this deployment's ($principal)." }
            else { Write-Warning "postprovision: the federated credential of $apiClientId names an earlier identity ($subject) and could not be updated to $principal; the console cannot sign a browser in until it is." }
        }
    }
}
Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue

function Show-ManualSteps {
    $mailSend = ''
    if ($channel -eq 'graph') {
        $mailSend = @"
    # Mail.Send on Microsoft Graph (EMAIL_CHANNEL=graph only): send notifications from a mailbox
    `$role = `$graph.AppRoles | Where-Object Value -eq 'Mail.Send'
    New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId `$mi -PrincipalId `$mi -ResourceId `$graph.Id -AppRoleId `$role.Id

"@
    }
    Write-Host @"

================================================================================
Microsoft 365 permissions for the app's managed identity are NOT granted yet.
Until they are, each run fails with a message naming the missing permission.

Ask a Global Administrator or Privileged Role Administrator of tenant $tenantShown
to run ONE of the following.

1. From this project folder (npm ci; npm run build first), signed in as that administrator
   (az login --tenant $tenantShown):

    $grant

2. Or in PowerShell with the Microsoft.Graph module:

    Connect-MgGraph -TenantId $tenantShown -Scopes AppRoleAssignment.ReadWrite.All,Application.Read.All,RoleManagement.ReadWrite.Directory
    `$mi = '$principal'
    # Exchange.ManageAsApp on Office 365 Exchange Online: call the Exchange admin API as an app
    `$exo = Get-MgServicePrincipal -Filter "appId eq '00000002-0000-0ff1-ce00-000000000000'"
    `$role = `$exo.AppRoles | Where-Object Value -eq 'Exchange.ManageAsApp'
    New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId `$mi -PrincipalId `$mi -ResourceId `$exo.Id -AppRoleId `$role.Id
    # AuditLogsQuery.Read.All on Microsoft Graph: find QuarantineReleaseMessage in the audit log
    `$graph = Get-MgServicePrincipal -Filter "appId eq '00000003-0000-0000-c000-000000000000'"
    `$role = `$graph.AppRoles | Where-Object Value -eq 'AuditLogsQuery.Read.All'
    New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId `$mi -PrincipalId `$mi -ResourceId `$graph.Id -AppRoleId `$role.Id
$mailSend    # Security Reader directory role: the least Exchange role that reads the quarantine
    New-MgRoleManagementDirectoryRoleAssignment -PrincipalId `$mi -RoleDefinitionId '5d6b6bb7-de71-4623-b4af-96380a352509' -DirectoryScopeId '/'

3. Or with the Azure CLI (az rest): run infra/hooks/postprovision.sh with QRN_SKIP_PERMISSIONS=true to print them.

Permissions can take up to an hour to reach Exchange Online; until then runs log which one is missing.
================================================================================
"@
}

# Many tenants (README, "Many tenants"): with QRN_FLEET=true, one multi-tenant app registration that customer
# tenants consent to, asking for the application permissions the app reads with, whose only credential is the
# app's managed identity (a federated credential: no secret). Its client id goes into FLEET_APP_CLIENT_ID; the
# next `azd provision` sets the app setting. Created once; never fails the deployment.
if ($env:QRN_FLEET -eq 'true' -and -not $env:FLEET_APP_CLIENT_ID -and $principal -and $azureTenant -and $hasAz) {
    $exchange = '00000002-0000-0ff1-ce00-000000000000'
    $graph = '00000003-0000-0000-c000-000000000000'
    function Get-AppRoleId($app, $value) { az ad sp show --id $app --query "appRoles[?value=='$value'].id | [0]" -o tsv 2>$null }
    $access = Write-JsonFile 'fleet-access.json' @(
        @{ resourceAppId = $exchange; resourceAccess = @(@{ id = (Get-AppRoleId $exchange 'Exchange.ManageAsApp'); type = 'Role' }) },
        @{ resourceAppId = $graph; resourceAccess = @(
            @{ id = (Get-AppRoleId $graph 'AuditLogsQuery.Read.All'); type = 'Role' },
            @{ id = (Get-AppRoleId $graph 'Domain.Read.All'); type = 'Role' }) }
    )
    $fleetName = "qrn-customers-$($env:AZURE_ENV_NAME)"
    $replyHost = if ($env:APP_HOSTNAME) { $env:APP_HOSTNAME } else { 'localhost' }
    $fleetAppId = az ad app create --display-name $fleetName --sign-in-audience AzureADMultipleOrgs --required-resource-accesses $access --web-redirect-uris "https://$replyHost/" --query appId -o tsv 2>$null
    if (-not $fleetAppId) {
        Write-Warning "postprovision: could not create the multi-tenant app registration $fleetName; README, Many tenants, says how by hand."
    } else {
        $fic = Write-JsonFile 'fleet-fic.json' @{
            name = 'qrn-app-identity'; issuer = "https://login.microsoftonline.com/$azureTenant/v2.0"; subject = $principal
            audiences = @('api://AzureADTokenExchange'); description = 'The function app signs in to customer tenants with its managed identity, no secret.'
        }
        az ad app federated-credential create --id $fleetAppId --parameters $fic 2>$null | Out-Null
        if ($LASTEXITCODE -ne 0) { Write-Warning "postprovision: could not add the managed identity as federated credential of $fleetName; customer tenants cannot be signed in to." }
        azd env set FLEET_APP_CLIENT_ID $fleetAppId | Out-Null
        Write-Host "postprovision: created the multi-tenant app registration $fleetName ($fleetAppId). Run 'azd provision' once more"
        Write-Host "  to set FLEET_APP_CLIENT_ID, then add each customer with: npx --no qrn tenants add <tenant id> --name <name>"
    }
}

if ($env:QRN_SKIP_PERMISSIONS -eq 'true') {
    Show-ManualSteps
    exit 0
}

if (-not (Test-Path 'dist/lib/entrypoints/cli/main.js')) {
    Write-Host "postprovision: building the project so that 'qrn' can run..."
    if (-not (Test-Path 'node_modules')) { npm ci --no-audit --no-fund | Out-Null }
    npm run build | Out-Null
}

Write-Host "postprovision: granting the Microsoft 365 permissions to the managed identity $principal"
Write-Host '  (this works when you are a Global Administrator or Privileged Role Administrator)'
Write-Host "  > $grant"
$previousTenant = $env:AZURE_TENANT_ID
if ($m365Tenant) { $env:AZURE_TENANT_ID = $m365Tenant }
& npx @grantArgs
$granted = ($LASTEXITCODE -eq 0)
$env:AZURE_TENANT_ID = $previousTenant
if ($granted) {
    Write-Host 'postprovision: permissions granted. They can take up to an hour to reach Exchange Online.'
} else {
    Show-ManualSteps
}
exit 0
