#!/bin/sh
# azd postdown hook: removes what the post-provision step created outside the resource group, the app
# registration qrn-releases-api-<environment> (with its enterprise application, its app role assignments
# and the managed identity's federated credential), and forgets its ids in the azd environment, so that
# the next `azd up` starts clean. It runs after `azd down` removed the resource group: a cancelled or failed
# down keeps the registration, and the next `azd up` reuses it. The Microsoft 365 permissions went with the
# managed identity. Where the registration cannot be deleted (no az, or not its owner), it prints the commands.
set -u

registration="qrn-releases-api-${AZURE_ENV_NAME:-env}"

print_commands() {
  echo ""
  echo "The app registration $registration was NOT deleted. Ask its owner, or an Application Administrator, to run:"
  echo ""
  if [ $# -eq 0 ]; then
    echo "   az ad app list --filter \"displayName eq '$registration'\" --query \"[].appId\" -o tsv   # then, for each id:"
    echo "   az ad app delete --id <id>"
  fi
  for id in "$@"; do echo "   az ad app delete --id $id"; done
  echo ""
  echo "and then, here: azd env set API_CLIENT_ID \"\" && azd env set API_AUDIENCE \"\""
}

if ! command -v az >/dev/null 2>&1; then
  echo "postdown: the Azure CLI (az) is not installed." >&2
  # shellcheck disable=SC2086 # one id or none
  print_commands ${API_CLIENT_ID:-}
  exit 0
fi

named=$(az ad app list --filter "displayName eq '$registration'" --query "[].appId" -o tsv 2>/dev/null) || named=""
ids=""
for id in ${API_CLIENT_ID:-} $named; do
  case " $ids " in *" $id "*) ;; *) ids="$ids $id" ;; esac
done

left=""
for id in $ids; do
  if az ad app delete --id "$id" >/dev/null 2>&1; then
    echo "postdown: deleted the app registration $registration ($id)."
  elif az ad app show --id "$id" >/dev/null 2>&1; then
    left="$left $id"
  fi
done

if [ -n "$left" ]; then
  # shellcheck disable=SC2086 # one word per id
  print_commands $left
  exit 0
fi
if [ -n "${API_CLIENT_ID:-}" ] || [ -n "${API_AUDIENCE:-}" ]; then
  azd env set API_CLIENT_ID "" >/dev/null
  azd env set API_AUDIENCE "" >/dev/null
fi
exit 0
