# azd preprovision hook (Windows): with VNET_ENABLED=true the app's subnet is delegated to
# Microsoft.App/environments (infra/app/network.bicep), and Flex Consumption's networking needs the
# Microsoft.App resource provider registered on the subscription. This registers it and waits, or stops the
# provision with the command to run. Same as preprovision.sh.

if ($env:VNET_ENABLED -ne 'true') { exit 0 }

$namespace = 'Microsoft.App'
$subscription = @()
if ($env:AZURE_SUBSCRIPTION_ID) { $subscription = @('--subscription', $env:AZURE_SUBSCRIPTION_ID) }
$fix = (@('az', 'provider', 'register', '--namespace', $namespace) + $subscription + @('--wait')) -join ' '

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Error "preprovision: VNET_ENABLED=true needs the $namespace resource provider, and the Azure CLI (az) is not installed to check it. Register it (portal: Subscription > Resource providers), or install az and run: $fix"
    exit 1
}

$state = az provider show --namespace $namespace @subscription --query registrationState -o tsv 2>$null
if ($state -eq 'Registered') {
    Write-Host "preprovision: the $namespace resource provider is registered (VNET_ENABLED=true)."
    exit 0
}

Write-Host "preprovision: registering the $namespace resource provider (VNET_ENABLED=true delegates the app's subnet to it); this can take a few minutes..."
az provider register --namespace $namespace @subscription --wait 2>$null | Out-Null
if ($LASTEXITCODE -eq 0) {
    Write-Host "preprovision: $namespace registered."
    exit 0
}
Write-Error "preprovision: could not register $namespace (it needs the register action on the subscription, which Owner and Contributor have). Ask someone who may to run: $fix"
exit 1
