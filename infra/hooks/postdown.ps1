# azd postdown hook (Windows): removes what the post-provision step created outside the resource group, the
# app registration qrn-releases-api-<environment> (with its enterprise application, app role assignments and
# the managed identity's federated credential), and forgets its ids in the azd environment. It runs after
# `azd down` removed the resource group, so a cancelled or failed down keeps the registration and the next
# `azd up` reuses it. Where the registration cannot be deleted, it prints the commands. Same as postdown.sh.

$registration = "qrn-releases-api-$($env:AZURE_ENV_NAME)"

function Show-Commands([string[]] $ids) {
    Write-Host ''
    Write-Host "The app registration $registration was NOT deleted. Ask its owner, or an Application Administrator, to run:"
    Write-Host ''
    if (-not $ids) {
        Write-Host "   az ad app list --filter `"displayName eq '$registration'`" --query `"[].appId`" -o tsv   # then, for each id:"
        Write-Host '   az ad app delete --id <id>'
    }
    foreach ($id in $ids) { Write-Host "   az ad app delete --id $id" }
    Write-Host ''
    Write-Host 'and then, here: azd env set API_CLIENT_ID "" ; azd env set API_AUDIENCE ""'
}

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Warning 'postdown: the Azure CLI (az) is not installed.'
    Show-Commands @($env:API_CLIENT_ID | Where-Object { $_ })
    exit 0
}

$named = @(az ad app list --filter "displayName eq '$registration'" --query '[].appId' -o tsv 2>$null | Where-Object { $_ })
$ids = @(@($env:API_CLIENT_ID) + $named | Where-Object { $_ } | Select-Object -Unique)
$left = @()
foreach ($id in $ids) {
    az ad app delete --id $id 2>$null | Out-Null
    if ($LASTEXITCODE -eq 0) {
        Write-Host "postdown: deleted the app registration $registration ($id)."
        continue
    }
    az ad app show --id $id 2>$null | Out-Null
    if ($LASTEXITCODE -eq 0) { $left += $id }
}

if ($left.Count -gt 0) {
    Show-Commands $left
    exit 0
}
if ($env:API_CLIENT_ID -or $env:API_AUDIENCE) {
    # --%: the empty value reaches azd as "" whatever the PowerShell version's native argument passing.
    azd env set API_CLIENT_ID --% ""
    azd env set API_AUDIENCE --% ""
}
exit 0
