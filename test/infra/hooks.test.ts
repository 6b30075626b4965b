import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The deployment hooks (infra/hooks/*.sh) run by sh against stand-ins of `az` and `azd`
 * (test/support/fake-azure-cli.js): a scripted directory and subscription, every call recorded. `up` runs the
 * hooks azd runs around a provision, with the outputs main.bicep gives (a new managed identity after a
 * down); `down` runs the hook azd runs after removing the resource group. The azd environment carries over
 * between runs, as it does between commands.
 */
const repo = path.resolve(__dirname, '../..');
const TENANT = '8a2e4d6c-1111-4222-8333-944455556666';
const FIRST_IDENTITY = '11111111-aaaa-4bbb-8ccc-000000000001';
const SECOND_IDENTITY = '22222222-aaaa-4bbb-8ccc-000000000002';

interface FakeApp {
  appId: string;
  displayName: string;
  appRoles: { value: string; allowedMemberTypes: string[] }[];
  identifierUris: string[];
  redirectUris: string[];
  idTokens: boolean;
  scopes: { value: string }[];
  credentials: { name: string; issuer: string; subject: string; audiences: string[] }[];
  servicePrincipal: boolean;
}
interface Call {
  tool: 'az' | 'azd';
  args: string[];
  files: Record<string, unknown>;
}
interface FakeState {
  apps: FakeApp[];
  providers: Record<string, string>;
  env: Record<string, string>;
  refuse: ('create' | 'delete' | 'register' | 'read')[];
  calls: Call[];
}

let dir: string;
let stateFile: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'qrn-hooks-'));
  stateFile = path.join(dir, 'state.json');
  const cli = path.join(repo, 'test/support/fake-azure-cli.js');
  for (const tool of ['az', 'azd']) {
    writeFileSync(path.join(dir, tool), `#!/bin/sh\nexec "${process.execPath}" "${cli}" ${tool} "$@"\n`);
    chmodSync(path.join(dir, tool), 0o755);
  }
  save({ apps: [], providers: {}, env: { AZURE_ENV_NAME: 'contoso' }, refuse: [], calls: [] });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function state(): FakeState {
  return JSON.parse(readFileSync(stateFile, 'utf8')) as FakeState;
}
function save(next: FakeState) {
  writeFileSync(stateFile, JSON.stringify(next));
}
function change(edit: (s: FakeState) => void) {
  const s = state();
  edit(s);
  save(s);
}

/** Runs one hook as azd does: the azd environment (plus any extra values) in its environment. */
function hook(name: string, extra: Record<string, string> = {}) {
  const run = spawnSync('sh', [path.join(repo, 'infra/hooks', name)], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      PATH: `${dir}:/usr/bin:/bin`,
      FAKE_AZURE_STATE: stateFile,
      QRN_SKIP_PERMISSIONS: 'true', // the Microsoft 365 grant (npx qrn) is the CLI's own, tested there
      ...state().env,
      ...extra,
    },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `azd up`: preprovision, then the provision's outputs into the environment, then postprovision. */
function up(identity: string, extra: Record<string, string> = {}) {
  const before = hook('preprovision.sh', extra);
  expect(before.status).toBe(0);
  change((s) =>
    Object.assign(s.env, {
      AZURE_TENANT_ID: TENANT,
      APP_IDENTITY_PRINCIPAL_ID: identity,
      APP_M365_TENANT_ID: TENANT,
      APP_HOSTNAME: 'func-qrn-abc.azurewebsites.net',
    }),
  );
  const after = hook('postprovision.sh', extra);
  expect(after.status).toBe(0);
  return after;
}

function down() {
  const run = hook('postdown.sh');
  expect(run.status).toBe(0);
  change((s) => {
    for (const output of ['APP_IDENTITY_PRINCIPAL_ID', 'APP_HOSTNAME']) delete s.env[output];
  });
  return run;
}

const registrations = () => state().apps.filter((a) => a.displayName === 'qrn-releases-api-contoso');
const azCalls = (prefix: string) =>
  state().calls.filter((c) => c.tool === 'az' && c.args.join(' ').startsWith(prefix));

describe('the deployment hooks converge: up, up again, down, up after down', () => {
  it('GIVEN a first azd up THEN one registration exists with the app role, the scope, the reply address and a federated credential naming this identity; its ids are in the azd environment', () => {
    const run = up(FIRST_IDENTITY);
    const [app, ...others] = registrations();
    expect(others).toEqual([]);
    expect(app.appRoles.map((r) => [r.value, r.allowedMemberTypes])).toEqual([
      ['Releases.Read', ['User', 'Application']],
    ]);
    expect(app.identifierUris).toEqual([`api://${app.appId}`]);
    expect(app.servicePrincipal).toBe(true);
    expect(app.redirectUris).toEqual(['https://func-qrn-abc.azurewebsites.net/.auth/login/aad/callback']);
    expect(app.idTokens).toBe(true);
    expect(app.scopes.map((s) => s.value)).toEqual(['user_impersonation']);
    expect(app.credentials).toEqual([
      expect.objectContaining({
        name: 'qrn-app-identity',
        issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        subject: FIRST_IDENTITY,
        audiences: ['api://AzureADTokenExchange'],
      }),
    ]);
    expect(state().env).toMatchObject({ API_CLIENT_ID: app.appId, API_AUDIENCE: `api://${app.appId}` });
    expect(run.stdout).toMatch(/created the app registration qrn-releases-api-contoso/);
    expect(run.stdout).toMatch(/Run 'azd provision' once more/);
  });

  it('GIVEN a second azd up THEN nothing is created or changed: the same registration, the same credential, no advice to provision again', () => {
    up(FIRST_IDENTITY);
    const first = registrations();
    const callsBefore = state().calls.length;
    const run = up(FIRST_IDENTITY);
    expect(registrations()).toEqual(first);
    const again = state()
      .calls.slice(callsBefore)
      .map((c) => c.args.slice(0, 4).join(' '));
    expect(again.filter((c) => /^ad app create|federated-credential (create|update)|^rest/.test(c))).toEqual(
      [],
    );
    expect(run.stdout).not.toMatch(/Run 'azd provision' once more/);
  });

  it('GIVEN azd down THEN the registration is deleted and its ids forgotten; the next azd up creates exactly one again, its credential naming the new identity', () => {
    up(FIRST_IDENTITY);
    const old = registrations()[0].appId;
    const gone = down();
    expect(gone.stdout).toMatch(`deleted the app registration qrn-releases-api-contoso (${old})`);
    expect(state().apps).toEqual([]);
    expect(state().env).toMatchObject({ API_CLIENT_ID: '', API_AUDIENCE: '' });

    up(SECOND_IDENTITY);
    const [app, ...others] = registrations();
    expect(others).toEqual([]);
    expect(app.appId).not.toBe(old);
    expect(app.credentials.map((c) => c.subject)).toEqual([SECOND_IDENTITY]);
    expect(state().env.API_CLIENT_ID).toBe(app.appId);
  });

  it('GIVEN azd down could not delete the registration (not its owner) THEN it prints the command and keeps the ids; the next up reuses the registration and moves the credential to the new identity', () => {
    up(FIRST_IDENTITY);
    const kept = registrations()[0].appId;
    change((s) => s.refuse.push('delete'));
    const gone = down();
    expect(gone.stdout).toMatch(`az ad app delete --id ${kept}`);
    expect(state().env.API_CLIENT_ID).toBe(kept);

    const run = up(SECOND_IDENTITY);
    expect(registrations().map((a) => a.appId)).toEqual([kept]);
    expect(registrations()[0].credentials.map((c) => c.subject)).toEqual([SECOND_IDENTITY]);
    expect(azCalls('ad app federated-credential update')).toHaveLength(1);
    expect(run.stdout).toMatch(`named an earlier identity (${FIRST_IDENTITY})`);
  });

  it('GIVEN the azd environment lost API_CLIENT_ID (a new machine, a new environment of the same name) THEN the registration of that name is found and reused, never a second one', () => {
    up(FIRST_IDENTITY);
    const kept = registrations()[0].appId;
    change((s) => {
      delete s.env.API_CLIENT_ID;
      delete s.env.API_AUDIENCE;
    });
    const run = up(FIRST_IDENTITY);
    expect(registrations().map((a) => a.appId)).toEqual([kept]);
    expect(azCalls('ad app create')).toHaveLength(1);
    expect(state().env).toMatchObject({ API_CLIENT_ID: kept, API_AUDIENCE: `api://${kept}` });
    expect(run.stdout).toMatch(`using the existing app registration qrn-releases-api-contoso (${kept})`);
  });

  it('GIVEN API_CLIENT_ID names a registration deleted by hand THEN the hook says so and makes a new one', () => {
    change((s) =>
      Object.assign(s.env, { API_CLIENT_ID: 'deleted-by-hand', API_AUDIENCE: 'api://deleted-by-hand' }),
    );
    const run = up(FIRST_IDENTITY);
    expect(run.stderr).toMatch(/API_CLIENT_ID \(deleted-by-hand\) no longer exists/);
    expect(registrations()).toHaveLength(1);
    expect(state().env.API_CLIENT_ID).toBe(registrations()[0].appId);
  });

  it('GIVEN az cannot read the registration API_CLIENT_ID names (signed out, throttled) THEN the known one is kept, never replaced by a new one', () => {
    up(FIRST_IDENTITY);
    const kept = registrations()[0].appId;
    change((s) => s.refuse.push('read'));
    const run = up(FIRST_IDENTITY);
    expect(run.stderr).toMatch(`could not read the app registration ${kept}`);
    expect(registrations().map((a) => a.appId)).toEqual([kept]);
    expect(azCalls('ad app create')).toHaveLength(1);
    expect(state().env.API_CLIENT_ID).toBe(kept);
  });

  it('GIVEN two registrations of the name, left by an earlier version of the hook THEN one is used and the other named with its delete command', () => {
    up(FIRST_IDENTITY);
    const [kept] = registrations();
    change((s) => {
      s.apps.push({ ...kept, appId: 'older-duplicate', credentials: [] });
      delete s.env.API_CLIENT_ID;
    });
    const run = up(FIRST_IDENTITY);
    expect(state().env.API_CLIENT_ID).toBe(kept.appId);
    expect(run.stderr).toMatch('az ad app delete --id older-duplicate');
    expect(azCalls('ad app create')).toHaveLength(1);
  });

  it('GIVEN the deploying user may not create registrations THEN the deployment goes on, saying the releases API stays closed, with nothing in the environment', () => {
    change((s) => s.refuse.push('create'));
    const run = up(FIRST_IDENTITY);
    expect(run.stderr).toMatch(/could not create the app registration qrn-releases-api-contoso/);
    expect(state().env.API_CLIENT_ID).toBeUndefined();
  });

  it("GIVEN the README's walk through up, up again, down and up after down THEN every hook message it quotes is one the hooks print", () => {
    const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
    const walk = readme.slice(
      readme.indexOf('**Up, up again, down, and up after down.**'),
      readme.indexOf('**Private network (`VNET_ENABLED=true`).**'),
    );
    const quoted = [
      ...walk.matchAll(/`((?:postprovision|postdown): [^`]+|Run '[^`]+|the federated credential of [^`]+)`/g),
    ].map((m) => m[1]);
    expect(quoted.length).toBeGreaterThanOrEqual(4);
    const printed = [up(FIRST_IDENTITY), up(FIRST_IDENTITY), down(), up(SECOND_IDENTITY)]
      .concat(
        (() => {
          change((s) => s.refuse.push('delete'));
          return [down(), up(FIRST_IDENTITY)];
        })(),
      )
      .map((run) => run.stdout)
      .join('\n');
    for (const message of quoted) {
      const pattern = message
        .split(/<[a-z]+>/)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('\\S+');
      expect({ message, printed: new RegExp(pattern).test(printed) }).toEqual({ message, printed: true });
    }
  });

  it('GIVEN any run THEN every JSON argument reached az through a file (the stand-in refuses inline JSON, as PowerShell breaks it on Windows)', () => {
    up(FIRST_IDENTITY);
    const withJson = state().calls.filter((c) => Object.keys(c.files).length > 0);
    expect(withJson.map((c) => Object.keys(c.files)[0]).sort()).toEqual([
      '--app-roles',
      '--body',
      '--parameters',
    ]);
    // The hook's temporary files are gone afterwards.
    for (const call of withJson) {
      const file = call.args.find((a) => a.startsWith('@'))!.slice(1);
      expect(() => readFileSync(file)).toThrow();
    }
  });
});

describe('the preprovision hook: the Microsoft.App provider a private network needs', () => {
  it('GIVEN VNET_ENABLED unset or false THEN it asks nothing of Azure', () => {
    expect(hook('preprovision.sh').status).toBe(0);
    expect(hook('preprovision.sh', { VNET_ENABLED: 'false' }).status).toBe(0);
    expect(state().calls).toEqual([]);
  });

  it('GIVEN VNET_ENABLED=true on a fresh subscription THEN it registers Microsoft.App and waits; registered already THEN it only checks', () => {
    const run = hook('preprovision.sh', { VNET_ENABLED: 'true', AZURE_SUBSCRIPTION_ID: 'sub-1' });
    expect(run.status).toBe(0);
    expect(azCalls('provider register').map((c) => c.args)).toEqual([
      ['provider', 'register', '--namespace', 'Microsoft.App', '--subscription', 'sub-1', '--wait'],
    ]);
    expect(state().providers['Microsoft.App']).toBe('Registered');
    expect(hook('preprovision.sh', { VNET_ENABLED: 'true' }).stdout).toMatch(
      /Microsoft\.App resource provider is registered/,
    );
    expect(azCalls('provider register')).toHaveLength(1);
  });

  it('GIVEN the deploying user may not register providers THEN the provision stops with the command to hand on', () => {
    change((s) => s.refuse.push('register'));
    const run = hook('preprovision.sh', { VNET_ENABLED: 'true', AZURE_SUBSCRIPTION_ID: 'sub-1' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch('az provider register --namespace Microsoft.App --subscription sub-1 --wait');
  });
});

/**
 * The PowerShell hooks cannot run here: Debian ships no PowerShell, and npm's `pwsh` package downloads it
 * from GitHub at install time, which this project's CI cannot reach. What breaks them on Windows is
 * checked from their text instead: a JSON argument given to az inline (az is a .cmd there, and PowerShell
 * strips its inner quotes), and a step the sh hook takes that the PowerShell one lacks.
 */
describe('the PowerShell hooks, read', () => {
  const read = (name: string) => readFileSync(path.join(repo, 'infra/hooks', name), 'utf8');
  const JSON_FLAGS = /--(app-roles|parameters|body|required-resource-accesses|optional-claims)\s+(\S+)/g;
  /**
   * `az <words>` of every call a hook makes, up to its first option: its steps. Text it only prints (here-docs,
   * here-strings, echo and Write-* lines) is left out.
   */
  const azSteps = (text: string) => {
    const code = text
      .replace(/<<EOF[\s\S]*?\nEOF\n/g, '')
      .replace(/@"[\s\S]*?\n"@/g, '')
      .split('\n')
      .filter((line) => !/^\s*(#|echo\b|Write-(Host|Warning|Error)\b)/.test(line))
      .join('\n');
    return new Set([...code.matchAll(/(?:^|[\s(=!])az((?:\s+[a-z][a-z-]*)+)/gm)].map((m) => m[1].trim()));
  };

  for (const hookName of ['postprovision', 'postdown', 'preprovision']) {
    it(`GIVEN ${hookName}.ps1 THEN every JSON argument to az is a file written by Write-JsonFile, never inline`, () => {
      const text = read(`${hookName}.ps1`);
      const fromFile = new Set([...text.matchAll(/^\s*(\$\w+)\s*=\s*Write-JsonFile\b/gm)].map((m) => m[1]));
      for (const line of text.split('\n').filter((l) => /^\s*(?:\$\w+\s*=\s*)?az\s/.test(l))) {
        for (const [, flag, value] of line.matchAll(JSON_FLAGS)) {
          expect({ flag, value, fromFile: fromFile.has(value) }).toEqual({ flag, value, fromFile: true });
        }
        expect(line).not.toMatch(/\s['"]?[[{]\s*["'@{]/);
      }
      // ConvertTo-Json only inside Write-JsonFile, so no JSON string can reach az another way.
      expect([...text.matchAll(/ConvertTo-Json/g)].length).toBeLessThanOrEqual(1);
      if (/ConvertTo-Json/.test(text)) expect(text).toMatch(/function Write-JsonFile[^}]+ConvertTo-Json/);
    });

    it(`GIVEN ${hookName}.ps1 THEN it takes every az step ${hookName}.sh takes`, () => {
      expect([...azSteps(read(`${hookName}.ps1`))].sort()).toEqual(
        [...azSteps(read(`${hookName}.sh`))].sort(),
      );
    });
  }

  it('GIVEN the checks above WHEN a hook passes JSON inline THEN they fail (the check itself can fail)', () => {
    const inline =
      "$roles = ConvertTo-Json @(@{ value = 'Releases.Read' })\n$appId = az ad app create --app-roles $roles\n";
    const fromFile = new Set([...inline.matchAll(/^\s*(\$\w+)\s*=\s*Write-JsonFile\b/gm)].map((m) => m[1]));
    const values = [...inline.matchAll(JSON_FLAGS)].map((m) => m[2]);
    expect(values).toEqual(['$roles']);
    expect(values.every((v) => fromFile.has(v))).toBe(false);
  });
});
