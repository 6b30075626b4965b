#!/bin/sh
# azd postprovision hook: grants the app's managed identity its Microsoft 365 permissions with the app's
# own command (`qrn permissions`). That needs a Global Administrator or Privileged Role Administrator; when
# the deploying user is neither, the grant fails and this prints the exact commands to hand to one.
# It never fails the deployment: the app runs without the permissions, and says which one is missing.
#
# Reads the azd environment (outputs of infra/main.bicep): APP_IDENTITY_PRINCIPAL_ID, APP_M365_TENANT_ID,
# APP_EMAIL_CHANNEL, AZURE_TENANT_ID. Set QRN_SKIP_PERMISSIONS=true to only print the commands.
set -u

principal="${APP_IDENTITY_PRINCIPAL_ID:-}"
m365_tenant="${APP_M365_TENANT_ID:-}"
azure_tenant="${AZURE_TENANT_ID:-}"
channel="${APP_EMAIL_CHANNEL:-acs}"

if [ -z "$principal" ]; then
  echo "postprovision: APP_IDENTITY_PRINCIPAL_ID is not in the azd environment; run 'azd provision' first." >&2
  exit 0
fi

mail_send=""
if [ "$channel" = "graph" ]; then
  mail_send=" --mail-send"
fi
# --no: run this project's own `qrn`, never download a package of that name.
grant="npx --no qrn permissions --principal-id $principal$mail_send"

if [ -n "$m365_tenant" ] && [ -n "$azure_tenant" ] && [ "$m365_tenant" != "$azure_tenant" ]; then
  cat >&2 <<EOF

WARNING: the Microsoft 365 tenant ($m365_tenant) is not the tenant of this Azure subscription
($azure_tenant). A managed identity exists only in its subscription's tenant: it cannot be granted
permissions in, or read the quarantine of, another tenant. Deploy into a subscription of the Microsoft 365
tenant (azd env set AZURE_SUBSCRIPTION_ID ...), or leave AZURE_M365_TENANT_ID empty.
EOF
fi

print_manual() {
  cat <<EOF

================================================================================
Microsoft 365 permissions for the app's managed identity are NOT granted yet.
Until they are, each run fails with a message naming the missing permission.

Ask a Global Administrator or Privileged Role Administrator of tenant ${m365_tenant:-<tenant id>}
to run ONE of the following.

1. From this project folder (npm ci && npm run build first), signed in as that administrator
   (az login --tenant ${m365_tenant:-<tenant id>}):

   $grant

2. Or with the Azure CLI alone (az login --tenant ${m365_tenant:-<tenant id>} --allow-no-subscriptions):

   MI=$principal
   # Exchange.ManageAsApp on Office 365 Exchange Online: call the Exchange admin API as an app
   EXO=\$(az ad sp show --id 00000002-0000-0ff1-ce00-000000000000 --query id -o tsv)
   ROLE=\$(az ad sp show --id 00000002-0000-0ff1-ce00-000000000000 --query "appRoles[?value=='Exchange.ManageAsApp'].id" -o tsv)
   az rest --method POST --uri "https://graph.microsoft.com/v1.0/servicePrincipals/\$MI/appRoleAssignments" \\
     --headers Content-Type=application/json \\
     --body "{\"principalId\":\"\$MI\",\"resourceId\":\"\$EXO\",\"appRoleId\":\"\$ROLE\"}"
   # AuditLogsQuery.Read.All on Microsoft Graph: find QuarantineReleaseMessage in the audit log
   GRAPH=\$(az ad sp show --id 00000003-0000-0000-c000-000000000000 --query id -o tsv)
   ROLE=\$(az ad sp show --id 00000003-0000-0000-c000-000000000000 --query "appRoles[?value=='AuditLogsQuery.Read.All'].id" -o tsv)
   az rest --method POST --uri "https://graph.microsoft.com/v1.0/servicePrincipals/\$MI/appRoleAssignments" \\
     --headers Content-Type=application/json \\
     --body "{\"principalId\":\"\$MI\",\"resourceId\":\"\$GRAPH\",\"appRoleId\":\"\$ROLE\"}"
EOF
  if [ -n "$mail_send" ]; then
    cat <<EOF
   # Mail.Send on Microsoft Graph (EMAIL_CHANNEL=graph only): send notifications from a mailbox
   ROLE=\$(az ad sp show --id 00000003-0000-0000-c000-000000000000 --query "appRoles[?value=='Mail.Send'].id" -o tsv)
   az rest --method POST --uri "https://graph.microsoft.com/v1.0/servicePrincipals/\$MI/appRoleAssignments" \\
     --headers Content-Type=application/json \\
     --body "{\"principalId\":\"\$MI\",\"resourceId\":\"\$GRAPH\",\"appRoleId\":\"\$ROLE\"}"
EOF
  fi
  cat <<EOF
   # Security Reader directory role: the least Exchange role that reads the quarantine
   az rest --method POST --uri "https://graph.microsoft.com/v1.0/roleManagement/directory/roleAssignments" \\
     --headers Content-Type=application/json \\
     --body "{\"principalId\":\"\$MI\",\"roleDefinitionId\":\"5d6b6bb7-de71-4623-b4af-96380a352509\",\"directoryScopeId\":\"/\"}"

3. Or in PowerShell (Microsoft.Graph module): see infra/hooks/postprovision.ps1, which prints the same steps.

Permissions can take up to an hour to reach Exchange Online; until then runs log which one is missing.
================================================================================
EOF
}

# Every JSON argument goes to az through a file (@file), never inline: the same on every shell, and on
# Windows, where az is a .cmd and PowerShell strips the inner quotes of an inline JSON argument.
work=$(mktemp -d 2>/dev/null || echo "${TMPDIR:-/tmp}/qrn-postprovision-$$")
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# The releases API's app registration (personal data behind Entra ID sign-in): one per environment, named
# qrn-releases-api-<environment>, with the Releases.Read app role. Each provision finds it (the one in
# API_CLIENT_ID while it exists, else the one of that name) and creates it only when there is none, so a
# second `azd up`, or `azd up` after `azd down`, never adds another. Its ids go into the azd environment;
# the next `azd provision` turns on App Service authentication and sets API_AUDIENCE. Never fails the deployment.
registration="qrn-releases-api-${AZURE_ENV_NAME:-env}"

find_api_registration() {
  if [ -n "${API_CLIENT_ID:-}" ]; then
    found=$(az ad app show --id "$API_CLIENT_ID" --query appId -o tsv 2>"$work/show.err") || found=""
    if [ -n "$found" ]; then
      echo "$found"
      return 0
    fi
    # Only a registration the directory says is gone is replaced; any other failure (signed out, throttled)
    # keeps the known one, so that no second registration is made.
    if ! grep -qiE "does not exist|ResourceNotFound" "$work/show.err"; then
      echo "postprovision: could not read the app registration $API_CLIENT_ID ($(head -n 1 "$work/show.err")); keeping it." >&2
      echo "$API_CLIENT_ID"
      return 0
    fi
    echo "postprovision: the app registration in API_CLIENT_ID ($API_CLIENT_ID) no longer exists; looking for $registration." >&2
  fi
  # An exact name (--display-name would also match qrn-releases-api-<environment>2).
  named=$(az ad app list --filter "displayName eq '$registration'" --query "[].appId" -o tsv 2>/dev/null) || named=""
  first=""
  for id in $named; do
    if [ -z "$first" ]; then
      first="$id"
    else
      echo "postprovision: another app registration named $registration ($id) exists, left by an earlier version of this step; this deployment uses $first. Delete the other: az ad app delete --id $id" >&2
    fi
  done
  echo "$first"
}

ensure_api_registration() {
  if ! command -v az >/dev/null 2>&1; then
    if [ -z "${API_CLIENT_ID:-}" ]; then
      echo "postprovision: the Azure CLI (az) is not installed: the releases API stays closed until an app registration exists (see README, Deploy)." >&2
    fi
    return 0
  fi
  app_id=$(find_api_registration)
  created=""
  if [ -z "$app_id" ]; then
    role_id=$(cat /proc/sys/kernel/random/uuid 2>/dev/null || uuidgen)
    printf '%s' '[{"allowedMemberTypes":["User","Application"],"description":"Read the quarantine release report (personal data).","displayName":"Releases reader","isEnabled":true,"value":"Releases.Read","id":"'"$role_id"'"}]' >"$work/app-roles.json"
    app_id=$(az ad app create --display-name "$registration" --sign-in-audience AzureADMyOrg --app-roles "@$work/app-roles.json" --query appId -o tsv 2>/dev/null) || app_id=""
    if [ -z "$app_id" ]; then
      echo "postprovision: could not create the app registration $registration (an Application Developer role or better is needed); the releases API stays closed." >&2
      return 0
    fi
    created="yes"
  fi
  audience="api://$app_id"
  if [ -n "$created" ]; then
    az ad app update --id "$app_id" --identifier-uris "$audience" >/dev/null 2>&1 || true
  fi
  if ! az ad sp show --id "$app_id" >/dev/null 2>&1; then
    az ad sp create --id "$app_id" >/dev/null 2>&1 ||
      echo "postprovision: could not create the enterprise application of $registration; assign Releases.Read once it exists." >&2
  fi
  if [ "$app_id" = "${API_CLIENT_ID:-}" ] && [ "${API_AUDIENCE:-}" = "$audience" ]; then return 0; fi
  azd env set API_CLIENT_ID "$app_id" >/dev/null
  azd env set API_AUDIENCE "$audience" >/dev/null
  API_CLIENT_ID="$app_id"
  API_AUDIENCE="$audience"
  if [ -n "$created" ]; then
    echo "postprovision: created the app registration $registration ($app_id) with the app role Releases.Read."
  else
    echo "postprovision: using the existing app registration $registration ($app_id)."
  fi
  echo "  Run 'azd provision' once more to turn on App Service authentication (the console's sign-in) and set"
  echo "  API_AUDIENCE, then assign Releases.Read to each administrator who opens /api/console and each reader of"
  echo "  GET /api/releases (Enterprise applications > $registration > Users and groups)."
}
ensure_api_registration

# The administrators' console (a bookmark to https://<app>/api/console): App Service authentication signs a
# browser in with the authorization code flow, as the app registration above, and needs no client secret:
# the app's user-assigned managed identity is a federated identity credential of the registration (issuer
# the tenant's v2.0 endpoint, subject the identity's object id, audience api://AzureADTokenExchange), see
# https://learn.microsoft.com/azure/app-service/configure-authentication-provider-aad#use-a-managed-identity-instead-of-a-secret-preview
# A new identity (after `azd down`, or a new resource group) has a new object id: the credential's subject
# is updated to it, or sign-in could not redeem its code. The registration also needs the sign-in reply
# address, ID tokens for OpenID Connect sign-in, and a delegated scope (user_impersonation) for scripts that
# read the releases API as a user. Every step is idempotent and runs on each provision; none fails the deployment.
ensure_console_sign_in() {
  if [ -z "${API_CLIENT_ID:-}" ] || ! command -v az >/dev/null 2>&1; then return 0; fi
  host="${APP_HOSTNAME:-}"
  if [ -n "$host" ]; then
    az ad app update --id "$API_CLIENT_ID" --web-redirect-uris "https://$host/.auth/login/aad/callback" \
      --enable-id-token-issuance true >/dev/null 2>&1 ||
      echo "postprovision: could not set the sign-in reply address on $API_CLIENT_ID; the console cannot sign a browser in." >&2
  fi
  scope=$(az ad app show --id "$API_CLIENT_ID" --query "api.oauth2PermissionScopes[?value=='user_impersonation'].id | [0]" -o tsv 2>/dev/null) || scope=""
  if [ -z "$scope" ]; then
    scope_id=$(cat /proc/sys/kernel/random/uuid 2>/dev/null || uuidgen)
    printf '%s' '{"api":{"oauth2PermissionScopes":[{"id":"'"$scope_id"'","value":"user_impersonation","type":"User","isEnabled":true,"adminConsentDisplayName":"Open the quarantine release console","adminConsentDescription":"Sign in to the administrators console and read the release report as the signed-in user.","userConsentDisplayName":"Open the quarantine release console","userConsentDescription":"Sign in to the administrators console as you."}]}}' >"$work/scope.json"
    az rest --method PATCH --uri "https://graph.microsoft.com/v1.0/applications(appId='$API_CLIENT_ID')" \
      --headers Content-Type=application/json --body "@$work/scope.json" >/dev/null 2>&1 ||
      echo "postprovision: could not add the user_impersonation scope to $API_CLIENT_ID." >&2
  fi
  if [ -n "$principal" ] && [ -n "$azure_tenant" ]; then
    printf '%s' '{"name":"qrn-app-identity","issuer":"https://login.microsoftonline.com/'"$azure_tenant"'/v2.0","subject":"'"$principal"'","audiences":["api://AzureADTokenExchange"],"description":"The function app signs administrators in with its managed identity, no client secret."}' >"$work/credential.json"
    subject=$(az ad app federated-credential show --id "$API_CLIENT_ID" --federated-credential-id qrn-app-identity --query subject -o tsv 2>/dev/null) || subject=""
    if [ -z "$subject" ]; then
      if az ad app federated-credential create --id "$API_CLIENT_ID" --parameters "@$work/credential.json" >/dev/null 2>&1; then
        echo "postprovision: the app's managed identity now signs the console in for $API_CLIENT_ID (federated credential, no secret)."
      else
        echo "postprovision: could not add the managed identity as federated credential of $API_CLIENT_ID; the console cannot sign a browser in." >&2
      fi
    elif [ "$subject" != "$principal" ]; then
      if az ad app federated-credential update --id "$API_CLIENT_ID" --federated-credential-id qrn-app-identity --parameters "@$work/credential.json" >/dev/null 2>&1; then
        echo "postprovision: the federated credential of $API_CLIENT_ID named an earlier identity ($subject); it now names this deployment's ($principal)."
      else
        echo "postprovision: the federated credential of $API_CLIENT_ID names an earlier identity ($subject) and could not be updated to $principal; the console cannot sign a browser in until it is." >&2
      fi
    fi
  fi
}
ensure_console_sign_in

# Many tenants (README, "Many tenants"): with QRN_FLEET=true, one multi-tenant app registration that customer
# tenants consent to, asking for the application permissions the app reads with, whose only credential is the
# app's managed identity (a federated credential: no secret). Its client id goes into FLEET_APP_CLIENT_ID; the
# next `azd provision` sets the app setting. Created once; never fails the deployment.
ensure_fleet_registration() {
  if [ "${QRN_FLEET:-}" != "true" ] || [ -n "${FLEET_APP_CLIENT_ID:-}" ] || ! command -v az >/dev/null 2>&1; then return 0; fi
  if [ -z "$principal" ] || [ -z "$azure_tenant" ]; then return 0; fi
  role_of() { az ad sp show --id "$1" --query "appRoles[?value=='$2'].id | [0]" -o tsv 2>/dev/null; }
  exchange=00000002-0000-0ff1-ce00-000000000000
  graph=00000003-0000-0000-c000-000000000000
  access='[{"resourceAppId":"'"$exchange"'","resourceAccess":[{"id":"'"$(role_of $exchange Exchange.ManageAsApp)"'","type":"Role"}]},{"resourceAppId":"'"$graph"'","resourceAccess":[{"id":"'"$(role_of $graph AuditLogsQuery.Read.All)"'","type":"Role"},{"id":"'"$(role_of $graph Domain.Read.All)"'","type":"Role"}]}]'
  name="qrn-customers-${AZURE_ENV_NAME:-env}"
  app_id=$(az ad app create --display-name "$name" --sign-in-audience AzureADMultipleOrgs \
    --required-resource-accesses "$access" --web-redirect-uris "https://${APP_HOSTNAME:-localhost}/" --query appId -o tsv 2>/dev/null) || app_id=""
  if [ -z "$app_id" ]; then
    echo "postprovision: could not create the multi-tenant app registration $name; README, Many tenants, says how by hand." >&2
    return 0
  fi
  fic='{"name":"qrn-app-identity","issuer":"https://login.microsoftonline.com/'"$azure_tenant"'/v2.0","subject":"'"$principal"'","audiences":["api://AzureADTokenExchange"],"description":"The function app signs in to customer tenants with its managed identity, no secret."}'
  az ad app federated-credential create --id "$app_id" --parameters "$fic" >/dev/null 2>&1 ||
    echo "postprovision: could not add the managed identity as federated credential of $name; customer tenants cannot be signed in to." >&2
  azd env set FLEET_APP_CLIENT_ID "$app_id" >/dev/null
  echo "postprovision: created the multi-tenant app registration $name ($app_id). Run 'azd provision' once more"
  echo "  to set FLEET_APP_CLIENT_ID, then add each customer with: npx --no qrn tenants add <tenant id> --name <name>"
}
ensure_fleet_registration

if [ "${QRN_SKIP_PERMISSIONS:-}" = "true" ]; then
  print_manual
  exit 0
fi

if [ ! -f dist/lib/entrypoints/cli/main.js ]; then
  echo "postprovision: building the project so that 'qrn' can run..."
  if [ ! -d node_modules ]; then npm ci --no-audit --no-fund >/dev/null 2>&1 || true; fi
  npm run build >/dev/null 2>&1 || true
fi

echo "postprovision: granting the Microsoft 365 permissions to the managed identity $principal"
echo "  (this works when you are a Global Administrator or Privileged Role Administrator)"
echo "  \$ $grant"
if AZURE_TENANT_ID="${m365_tenant:-$azure_tenant}" $grant; then
  echo "postprovision: permissions granted. They can take up to an hour to reach Exchange Online."
else
  print_manual
fi
exit 0
