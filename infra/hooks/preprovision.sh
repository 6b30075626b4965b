#!/bin/sh
# azd preprovision hook: with VNET_ENABLED=true the app's subnet is delegated to Microsoft.App/environments
# (infra/app/network.bicep), and Flex Consumption's networking needs the Microsoft.App resource provider
# registered on the subscription, which a fresh subscription has not. This registers it and waits, or stops
# the provision with the command to run: a deployment without it fails later, with a less helpful error.
set -u

if [ "${VNET_ENABLED:-}" != "true" ]; then exit 0; fi

namespace="Microsoft.App"
subscription="${AZURE_SUBSCRIPTION_ID:-}"
fix="az provider register --namespace $namespace${subscription:+ --subscription $subscription} --wait"

if ! command -v az >/dev/null 2>&1; then
  echo "preprovision: VNET_ENABLED=true needs the $namespace resource provider, and the Azure CLI (az) is not installed to check it. Register it (portal: Subscription > Resource providers), or install az and run: $fix" >&2
  exit 1
fi

# shellcheck disable=SC2086 # the subscription option is two words or none
state=$(az provider show --namespace "$namespace" ${subscription:+--subscription $subscription} --query registrationState -o tsv 2>/dev/null) || state=""
if [ "$state" = "Registered" ]; then
  echo "preprovision: the $namespace resource provider is registered (VNET_ENABLED=true)."
  exit 0
fi

echo "preprovision: registering the $namespace resource provider (VNET_ENABLED=true delegates the app's subnet to it); this can take a few minutes..."
# shellcheck disable=SC2086 # the subscription option is two words or none
if az provider register --namespace "$namespace" ${subscription:+--subscription $subscription} --wait >/dev/null 2>&1; then
  echo "preprovision: $namespace registered."
  exit 0
fi
echo "preprovision: could not register $namespace (it needs the register action on the subscription, which Owner and Contributor have). Ask someone who may to run: $fix" >&2
exit 1
