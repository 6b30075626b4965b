'use strict';
/**
 * A stand-in for `az` and `azd` as the deployment hooks (infra/hooks/*) call them: it answers from a
 * scripted state (a JSON file named by FAKE_AZURE_STATE: app registrations, resource providers, the azd
 * environment) and records every call, with the contents of each `@file` argument read at call time (the
 * hooks delete their files afterwards). Like `az` on Windows, where PowerShell strips the inner quotes of an
 * argument, it refuses a JSON argument given inline. Only the commands the hooks use are known; any other
 * fails loudly, so a new command in a hook needs a deliberate answer here.
 *
 * Run as: node fake-azure-cli.js az|azd <args...> (test/infra/hooks.test.ts puts `az` and `azd` wrappers on PATH).
 */
const fs = require('node:fs');
const crypto = require('node:crypto');

const stateFile = process.env.FAKE_AZURE_STATE;
const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
const [tool, ...args] = process.argv.slice(2);

const call = { tool, args, files: {} };
state.calls.push(call);
function save() {
  fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
}
function finish(code, out = '', err = '') {
  save();
  if (out) process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
  if (err) process.stderr.write(err.endsWith('\n') ? err : `${err}\n`);
  process.exit(code);
}

for (const arg of args) {
  let inlineJson = false;
  try {
    inlineJson = typeof JSON.parse(arg) === 'object' && arg.trim() !== 'null';
  } catch {
    // not JSON: an ordinary argument (a JMESPath query such as [].appId is not JSON either)
  }
  if (inlineJson) finish(2, '', `inline JSON argument refused: ${arg.slice(0, 40)}`);
}
/** The value after a flag; an @file value is read, parsed and recorded. */
function option(flag) {
  const at = args.indexOf(flag);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (value === undefined) finish(2, '', `${flag} needs a value`);
  if (!value.startsWith('@')) return value;
  const text = fs.readFileSync(value.slice(1), 'utf8');
  try {
    call.files[flag] = JSON.parse(text);
  } catch {
    finish(2, '', `${flag} ${value}: not JSON: ${text.slice(0, 60)}`);
  }
  return call.files[flag];
}
const command = args
  .filter((a, i) => !a.startsWith('-') && (i === 0 || !args[i - 1].startsWith('-')))
  .join(' ');
const query = option('--query');
const app = (id) => state.apps.find((a) => a.appId === id);
const notFound = (id) =>
  finish(
    3,
    '',
    `ERROR: Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

if (tool === 'azd') {
  if (args[0] === 'env' && args[1] === 'set' && args[2]) {
    state.env[args[2]] = args[3] ?? '';
    finish(0);
  }
  finish(127, '', `fake azd: unknown command ${args.join(' ')}`);
}

switch (command) {
  case 'ad app list': {
    const name = /^displayName eq '(.*)'$/.exec(option('--filter') ?? '')?.[1];
    if (name === undefined || query !== '[].appId')
      finish(127, '', 'fake az: ad app list needs --filter displayName and --query [].appId');
    finish(
      0,
      state.apps
        .filter((a) => a.displayName === name)
        .map((a) => a.appId)
        .join('\n'),
    );
    break;
  }
  case 'ad app show': {
    if (state.refuse.includes('read')) finish(1, '', "ERROR: Please run 'az login' to setup account.");
    const found = app(option('--id'));
    if (!found) notFound(option('--id'));
    if (query === 'appId') finish(0, found.appId);
    if (query === "api.oauth2PermissionScopes[?value=='user_impersonation'].id | [0]") {
      finish(0, found.scopes.find((s) => s.value === 'user_impersonation')?.id ?? '');
    }
    if (query === undefined) finish(0, JSON.stringify(found));
    finish(127, '', `fake az: unknown query ${query}`);
    break;
  }
  case 'ad app create': {
    if (state.refuse.includes('create'))
      finish(1, '', 'ERROR: Insufficient privileges to complete the operation.');
    const created = {
      appId: crypto.randomUUID(),
      displayName: option('--display-name'),
      signInAudience: option('--sign-in-audience'),
      appRoles: option('--app-roles') ?? [],
      identifierUris: [],
      redirectUris: [],
      idTokens: false,
      scopes: [],
      credentials: [],
      servicePrincipal: false,
    };
    state.apps.push(created);
    finish(0, query === 'appId' ? created.appId : JSON.stringify(created));
    break;
  }
  case 'ad app update': {
    const found = app(option('--id'));
    if (!found) notFound(option('--id'));
    if (option('--identifier-uris')) found.identifierUris = [option('--identifier-uris')];
    if (option('--web-redirect-uris')) found.redirectUris = [option('--web-redirect-uris')];
    if (option('--enable-id-token-issuance') === 'true') found.idTokens = true;
    finish(0);
    break;
  }
  case 'ad app delete': {
    const id = option('--id');
    if (!app(id)) notFound(id);
    if (state.refuse.includes('delete'))
      finish(1, '', 'ERROR: Insufficient privileges to complete the operation.');
    state.apps = state.apps.filter((a) => a.appId !== id);
    finish(0);
    break;
  }
  case 'ad sp show':
  case 'ad sp create': {
    const found = app(option('--id'));
    if (!found) notFound(option('--id'));
    if (command === 'ad sp show' && !found.servicePrincipal) notFound(option('--id'));
    found.servicePrincipal = true;
    finish(0, JSON.stringify({ appId: found.appId }));
    break;
  }
  case 'rest': {
    const id = /applications\(appId='([^']+)'\)$/.exec(option('--uri') ?? '')?.[1];
    const body = option('--body');
    if (option('--method') !== 'PATCH' || !id || typeof body !== 'object') {
      finish(127, '', `fake az: unknown rest call ${args.join(' ')}`);
    }
    const found = app(id);
    if (!found) notFound(id);
    found.scopes = body.api.oauth2PermissionScopes;
    finish(0);
    break;
  }
  case 'ad app federated-credential show': {
    const found = app(option('--id'));
    if (!found) notFound(option('--id'));
    const credential = found.credentials.find((c) => c.name === option('--federated-credential-id'));
    if (!credential) notFound(option('--federated-credential-id'));
    if (query !== 'subject') finish(127, '', `fake az: unknown query ${query}`);
    finish(0, credential.subject);
    break;
  }
  case 'ad app federated-credential create':
  case 'ad app federated-credential update': {
    const found = app(option('--id'));
    if (!found) notFound(option('--id'));
    const parameters = option('--parameters');
    if (typeof parameters !== 'object') finish(2, '', '--parameters must be JSON');
    const name = command.endsWith('update') ? option('--federated-credential-id') : parameters.name;
    const existing = found.credentials.some((c) => c.name === name);
    if (command.endsWith('create') && existing) finish(1, '', `ERROR: a credential named ${name} exists`);
    if (command.endsWith('update') && !existing) notFound(name);
    found.credentials = found.credentials.filter((c) => c.name !== name).concat([{ ...parameters, name }]);
    finish(0);
    break;
  }
  case 'provider show': {
    const registration = state.providers[option('--namespace')] ?? 'NotRegistered';
    if (query !== 'registrationState') finish(127, '', `fake az: unknown query ${query}`);
    finish(0, registration);
    break;
  }
  case 'provider register': {
    if (state.refuse.includes('register')) finish(1, '', 'ERROR: AuthorizationFailed: no register action.');
    state.providers[option('--namespace')] = 'Registered';
    finish(0);
    break;
  }
  default:
    finish(127, '', `fake az: unknown command ${args.join(' ')}`);
}
