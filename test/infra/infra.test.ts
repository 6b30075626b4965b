import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadSettings, SETTINGS_CATALOGUE } from '../../lib/config/settings';
import alertCatalogue from '../../lib/config/alerts.json';
import {
  allowedParamMistakes,
  allowedValues,
  BicepFile,
  entries,
  literalMembers,
  matchingBracket,
  objectEntry,
  readSimpleYaml,
  type YamlValue,
} from './bicep-text';

/**
 * The infrastructure, read as text (the Bicep compiler cannot run here), against what the app reads:
 * the settings catalogue, and the Azure roles its code needs.
 */

const ROOT = path.resolve(__dirname, '../..');
const INFRA = path.join(ROOT, 'infra');
const read = (relative: string) => readFileSync(path.join(ROOT, relative), 'utf8');
const bicep = (relative: string) => new BicepFile(relative, read(relative));

function bicepFiles(dir = INFRA): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return bicepFiles(full);
    return entry.name.endsWith('.bicep') ? [path.relative(ROOT, full)] : [];
  });
}

/** The README's text under a heading ('### Prerequisites'), up to the next heading of its level or higher. */
function readmeSection(heading: string): string {
  const lines = read('README.md').split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) throw new Error(`README.md has no heading ${heading}`);
  const level = heading.indexOf(' ');
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && line.indexOf(' ') <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}
const main = bicep('infra/main.bicep');
const api = bicep('infra/app/api.bicep');
const rbac = bicep('infra/app/rbac.bicep');
const email = bicep('infra/app/email.bicep');
const alerts = bicep('infra/app/alerts.bicep');
const allBicep = bicepFiles().map(bicep);
const catalogue = new Map(SETTINGS_CATALOGUE.map((spec) => [spec.name, spec]));

/**
 * Settings of the Functions host and platform, which the app's catalogue does not list. Anything else the
 * infrastructure sets must be a setting the app knows.
 */
const PLATFORM_SETTINGS = new Set([
  'AzureWebJobsStorage__credential', // identity-based host storage: use a managed identity
  'AzureWebJobsStorage__clientId', // ... the user-assigned one
  'AzureWebJobsStorage__blobServiceUri', // host locks and timer status
  'AzureWebJobsStorage__queueServiceUri', // the tenant runs' queue trigger (many tenants); in the catalogue too
  'AzureWebJobsStorage__tableServiceUri', // also read by the app (its tables), and in the catalogue
  'APPLICATIONINSIGHTS_CONNECTION_STRING', // where telemetry goes; holds no secret with local auth off
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', // telemetry sent with an Entra token of the identity
  'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID', // App Service authentication signs in with the identity, no secret
]);

/**
 * Settings the app needs in Azure beyond those the catalogue marks required (the catalogue cannot mark
 * them: locally they are optional or have alternatives).
 */
const REQUIRED_IN_AZURE: Record<string, string> = {
  AZURE_CLIENT_ID:
    'selects the user-assigned managed identity (ManagedIdentityCredential, lib/composition.ts)',
  ACS_ENDPOINT: 'the ACS channel sends with the identity, not a connection string',
  EMAIL_SENDER_ADDRESS: 'the app refuses to start without a From address',
  SNAPSHOT_SCHEDULE: "the host resolves '%SNAPSHOT_SCHEDULE%' from app settings, not from the app's defaults",
  NOTIFY_SCHEDULE: "the host resolves '%NOTIFY_SCHEDULE%' from app settings, not from the app's defaults",
  AzureWebJobsStorage__tableServiceUri: "the app's tables, reached with the identity",
};

/** Settings that carry or need a secret: the infrastructure never sets them (identity everywhere). */
const SECRET_SETTINGS = [
  'AzureWebJobsStorage', // the connection-string form of host storage
  'TABLES_CONNECTION_STRING',
  'ACS_CONNECTION_STRING',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
];

/** Settings Flex Consumption refuses or ignores: the runtime is set in functionAppConfig instead. */
const NOT_ON_FLEX = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
];

/**
 * Azure built-in roles the infrastructure may assign, each with what in the code needs it. A role
 * assignment naming any other id fails; so does a justification nobody uses any more.
 */
const JUSTIFIED_ROLES: Record<string, { role: string; why: string }> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': {
    role: 'Storage Blob Data Owner',
    why: 'Flex Consumption deployment container (functionAppConfig.deployment, identity auth) and the host storage blobs (AzureWebJobsStorage__blobServiceUri: locks, timer status)',
  },
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': {
    role: 'Storage Table Data Contributor',
    why: "the app's tables (lib/store: create at start, read and write entities) through AzureWebJobsStorage__tableServiceUri; the deploying user's qrn CLI against them",
  },
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': {
    role: 'Storage Queue Data Contributor',
    why: "the tenant runs' queue and its poison queue (functions/fleet.ts): the fleet timer sends, the queue trigger receives and deletes",
  },
  '3913510d-42f4-4e42-8a64-420c390055eb': {
    role: 'Monitoring Metrics Publisher',
    why: 'telemetry to Application Insights with local auth disabled (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)',
  },
  '09976791-48a7-449e-bb21-39d1a415f350': {
    role: 'Communication and Email Service Owner',
    why: 'lib/mail/acs-channel.ts sends with EmailClient(endpoint, managed identity): the narrowest built-in role allowing an Entra-authenticated send',
  },
  'acdd72a7-3385-43ef-8e1b-8a43b9f1f2a6': {
    role: 'Reader',
    why: "each alert rule's own identity reads the logs of the Application Insights component it queries (alerts.bicep)",
  },
};

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

function suppliedSettings(): Map<string, string> {
  return new Map([...main.objectVar('appSettings'), ...api.objectVar('hostSettings')]);
}

function moduleNamed(file: BicepFile, name: string) {
  const found = file.modules().find((m) => m.name === name);
  if (!found) throw new Error(`${file.path}: no module '${name}'`);
  return found;
}

/** A Bicep string literal's value, or undefined when the expression is not a plain literal. */
function literal(expression: string): string | undefined {
  const match = /^'((?:[^'\\]|\\.)*)'$/.exec(expression.trim());
  return match ? match[1].replace(/\\(.)/g, '$1') : undefined;
}

describe('infrastructure: app settings', () => {
  const supplied = suppliedSettings();

  it('GIVEN the Bicep WHEN the app settings are gathered THEN they all flow through the two objects the test reads', () => {
    const sinks = allBicep.flatMap((file) =>
      [...file.text.matchAll(/appSettingsKeyValuePairs\s*:\s*(.+)/g)].map(
        (m) => `${file.path}: ${m[1].trim()}`,
      ),
    );
    expect(sinks).toEqual(['infra/app/api.bicep: union(appSettings, hostSettings)']);
    // union() lets the second object win silently: a name in both would hide the app's value.
    const app = main.objectVar('appSettings');
    expect([...api.objectVar('hostSettings').keys()].filter((name) => app.has(name))).toEqual([]);
    expect(objectEntry(moduleNamed(main, 'api').body!, 'params')?.get('appSettings')).toBe('appSettings');
    for (const file of allBicep) {
      // The one sites/config resource allowed is App Service authentication (auth.bicep), not settings.
      const configs = [
        ...file.text.matchAll(/Microsoft\.Web\/sites\/config@[\d-]+'\s*=\s*\{[^}]*?name:\s*'(\w+)'/g),
      ];
      expect(configs.map((m) => `${file.path}: ${m[1]}`)).toEqual(
        file.path === 'infra/app/auth.bicep' ? ['infra/app/auth.bicep: authsettingsV2'] : [],
      );
      expect(file.text).not.toMatch(/\bconfigs\s*:/);
    }
  });

  it('GIVEN the settings catalogue WHEN compared with the Bicep THEN every setting the app requires in Azure is supplied', () => {
    const required = [
      ...SETTINGS_CATALOGUE.filter((spec) => spec.required).map((spec) => spec.name),
      ...Object.keys(REQUIRED_IN_AZURE),
    ];
    for (const name of Object.keys(REQUIRED_IN_AZURE)) {
      expect({ name, inCatalogue: catalogue.has(name) }).toEqual({ name, inCatalogue: true });
    }
    const missing = required.filter((name) => !supplied.has(name));
    expect(missing).toEqual([]);
  });

  it('GIVEN the Bicep WHEN its settings are listed THEN each is a setting the app knows or an allowed platform setting', () => {
    const unknown = [...supplied.keys()].filter(
      (name) => !catalogue.has(name) && !PLATFORM_SETTINGS.has(name),
    );
    expect(unknown).toEqual([]);
    const notOnFlex = [...supplied.keys()].filter((name) => NOT_ON_FLEX.includes(name));
    expect(notOnFlex).toEqual([]);
  });

  it('GIVEN the Bicep WHEN its settings are read THEN none carries a key, a connection string with a key, or a secret', () => {
    expect([...supplied.keys()].filter((name) => SECRET_SETTINGS.includes(name))).toEqual([]);
    for (const [name, value] of supplied) {
      expect({ name, value }).not.toEqual({
        name,
        value: expect.stringMatching(
          /listKeys|listConnectionStrings|AccountKey=|accesskey=|SharedAccessSignature|primaryKey|secret/i,
        ),
      });
    }
    for (const file of allBicep) {
      expect({ file: file.path, listKeys: /\blist(Keys|ConnectionStrings)\s*\(/.test(file.text) }).toEqual({
        file: file.path,
        listKeys: false,
      });
      expect({ file: file.path, secure: /@secure\s*\(/.test(file.text) }).toEqual({
        file: file.path,
        secure: false,
      });
    }
  });

  it('GIVEN the identity-based settings WHEN read THEN host storage, tables and telemetry use the user-assigned identity', () => {
    expect(supplied.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(supplied.get('AzureWebJobsStorage__clientId')).toBe('identityClientId');
    expect(supplied.get('AzureWebJobsStorage__blobServiceUri')).toMatch(/primaryEndpoints\.blob$/);
    expect(supplied.get('AzureWebJobsStorage__tableServiceUri')).toMatch(/primaryEndpoints\.table$/);
    expect(supplied.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(
      "'ClientId=${identityClientId};Authorization=AAD'",
    );
    expect(supplied.get('AZURE_CLIENT_ID')).toBe('appIdentity.outputs.clientId');
    const apiParams = objectEntry(moduleNamed(main, 'api').body!, 'params')!;
    expect(apiParams.get('identityClientId')).toBe('appIdentity.outputs.clientId');
    expect(apiParams.get('identityId')).toBe('appIdentity.outputs.resourceId');
  });

  it("GIVEN the Bicep's fallbacks for empty azd variables WHEN compared THEN they equal the catalogue's defaults", () => {
    const defaults = main.objectVar('defaults');
    const expected: Record<string, string> = {
      snapshotSchedule: 'SNAPSHOT_SCHEDULE',
      notifySchedule: 'NOTIFY_SCHEDULE',
      emailSenderDisplayName: 'EMAIL_SENDER_DISPLAY_NAME',
      emailChannel: 'EMAIL_CHANNEL',
    };
    for (const [key, setting] of Object.entries(expected)) {
      expect({ key, value: literal(defaults.get(key) ?? '') }).toEqual({
        key,
        value: catalogue.get(setting)?.default,
      });
    }
  });

  it('GIVEN sample values for what Azure fills in WHEN the supplied settings are loaded THEN the app starts with them', () => {
    // What the deployment computes, as it would look at run time.
    const samples: Record<string, string> = {
      resolvedTenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      'appIdentity.outputs.clientId': '3b9d3f1e-5d2c-4a8e-9f6b-0c1d2e3f4a5b',
      identityClientId: '3b9d3f1e-5d2c-4a8e-9f6b-0c1d2e3f4a5b',
      'email.outputs.endpoint': 'https://acs-abc.unitedstates.communication.azure.com',
      'stg.properties.primaryEndpoints.blob': 'https://stabc.blob.core.windows.net/',
      'stg.properties.primaryEndpoints.table': 'https://stabc.table.core.windows.net/',
      'stg.properties.primaryEndpoints.queue': 'https://stabc.queue.core.windows.net/',
      'applicationInsights.properties.ConnectionString':
        'InstrumentationKey=00000000-0000-0000-0000-000000000000',
      emailSupportContact: '',
      notifyRedirectTo: '',
      notifyAllowedSenders: '',
      'string(resolvedAlertNoSuccessMinutes)': '60',
      apiAudience: '',
      fleetAppClientId: '',
    };
    const defaults = main.objectVar('defaults');
    const resolve = (name: string, expression: string): string => {
      const plain = literal(expression);
      if (plain !== undefined) return plain.replace(/\$\{identityClientId\}/g, samples.identityClientId);
      if (expression in samples) return samples[expression];
      // empty(x) ? fallback : x  -> the fallback (azd variable left empty)
      const fallback = /^empty\(\w+\)\s*\?\s*(.+?)\s*:\s*\w+$/.exec(expression);
      if (fallback) {
        const value = fallback[1].startsWith('defaults.')
          ? defaults.get(fallback[1].slice('defaults.'.length))
          : fallback[1];
        return literal(value ?? '') ?? '';
      }
      if (/^resolved\w+$/.test(expression)) {
        const declared = main.vars().find((v) => v.name === expression)?.value ?? '';
        return resolve(name, declared);
      }
      if (name === 'EMAIL_SENDER_ADDRESS')
        return 'DoNotReply@0c5e1a2b-1d2e-4f5a-8b9c-0d1e2f3a4b5c.azurecomm.net';
      throw new Error(`no sample value for ${name} = ${expression}: add one to this test`);
    };
    const env = Object.fromEntries(
      [...supplied].map(([name, expression]) => [name, resolve(name, expression)]),
    );
    const settings = loadSettings(env);
    expect(settings.credentials.clientId).toBe(samples.identityClientId);
    expect(settings.tables).toEqual({
      kind: 'accountUrl',
      accountUrl: 'https://stabc.table.core.windows.net',
    });
    expect(settings.email).toMatchObject({ channel: 'acs', acs: { kind: 'endpoint' } });
    expect(settings.schedules).toEqual({ snapshot: '0 */15 * * * *', notify: '0 5-59/15 * * * *' });
    // A fresh deployment pilots: it records notifications and sends nothing until NOTIFY_DRY_RUN=false.
    expect(settings.pilot.dryRun).toBe(true);
  });
});

describe('infrastructure: parameters and modules', () => {
  it('GIVEN main.parameters.json WHEN parsed THEN it is valid JSON whose parameters main.bicep declares, fed from azd variables', () => {
    const parameters = JSON.parse(read('infra/main.parameters.json')) as {
      parameters: Record<string, { value: unknown }>;
    };
    const declared = new Map(main.params().map((p) => [p.name, p]));
    for (const [name, { value }] of Object.entries(parameters.parameters)) {
      expect({ name, declared: declared.has(name) }).toEqual({ name, declared: true });
      expect({ name, value }).toEqual({ name, value: expect.stringMatching(/^\$\{[A-Z][A-Z0-9_]*\}$/) });
    }
    const withoutDefault = [...declared.values()].filter((p) => p.value === undefined).map((p) => p.name);
    expect(withoutDefault.filter((name) => !(name in parameters.parameters))).toEqual([]);
    for (const expected of ['environmentName', 'location', 'principalId', 'm365TenantId']) {
      expect(Object.keys(parameters.parameters)).toContain(expected);
    }
    expect(parameters.parameters.environmentName.value).toBe('${AZURE_ENV_NAME}');
    expect(parameters.parameters.location.value).toBe('${AZURE_LOCATION}');
    expect(parameters.parameters.principalId.value).toBe('${AZURE_PRINCIPAL_ID}');
  });

  it('GIVEN each module call WHEN compared with its module THEN local files exist, every passed param is declared and every required param is passed', () => {
    for (const file of allBicep) {
      for (const module of file.modules()) {
        const passed = objectEntry(module.body!, 'params') ?? new Map<string, string>();
        if (module.type.startsWith('br/public:avm/')) {
          expect(module.type).toMatch(/^br\/public:avm\/res\/[\w-]+\/[\w-]+:\d+\.\d+\.\d+$/);
          // AVM modules can assign roles themselves; all assignments stay in rbac.bicep, where they are checked.
          expect({ module: module.name, roleAssignments: passed.has('roleAssignments') }).toEqual({
            module: module.name,
            roleAssignments: false,
          });
          continue;
        }
        const target = path.join(path.dirname(file.path), module.type);
        expect({ module: module.type, exists: existsSync(path.join(ROOT, target)) }).toEqual({
          module: module.type,
          exists: true,
        });
        const declared = bicep(target).params();
        const names = new Set(declared.map((p) => p.name));
        expect([...passed.keys()].filter((name) => !names.has(name))).toEqual([]);
        const required = declared.filter((p) => p.value === undefined).map((p) => p.name);
        expect({ module: module.type, missing: required.filter((name) => !passed.has(name)) }).toEqual({
          module: module.type,
          missing: [],
        });
      }
    }
  });

  it('GIVEN each call of a local module WHEN a parameter declared with @allowed is fed THEN its value is within the list, as Bicep types it (else BCP036)', () => {
    // A parameter with @allowed has the union of its literals as type: a function call (int(...)) or a
    // parameter with a wider list (Bicep does not narrow after empty()) fails the compile, here caught offline.
    const mistakes = allBicep.flatMap((file) =>
      file
        .modules()
        .filter((module) => !module.type.startsWith('br/'))
        .flatMap((module) =>
          allowedParamMistakes(
            file,
            objectEntry(module.body!, 'params') ?? new Map<string, string>(),
            bicep(path.join(path.dirname(file.path), module.type)),
          ).map((mistake) => ({ file: file.path, module: module.name, ...mistake })),
        ),
    );
    expect(mistakes).toEqual([]);
  });

  it('GIVEN every parameter declared with @allowed WHEN it has a default THEN the default is in its list', () => {
    for (const file of allBicep) {
      const declared = new Map(file.params().map((p) => [p.name, p]));
      for (const [name, allowed] of allowedValues(file)) {
        const value = declared.get(name)?.value;
        if (value === undefined) continue;
        const type = literalMembers(value, file);
        expect({
          file: file.path,
          name,
          outside: 'members' in type ? type.members.filter((m) => !allowed.includes(m)) : type,
        }).toEqual({
          file: file.path,
          name,
          outside: [],
        });
      }
    }
  });

  it('GIVEN an empty FUNCTION_INSTANCE_MEMORY_MB WHEN the api module is called THEN instances get 512 MB, or 2048 or 4096 when asked', () => {
    const expression = objectEntry(moduleNamed(main, 'api').body!, 'params')!.get('instanceMemoryMB')!;
    expect(literalMembers(expression, main)).toEqual({ members: ['4096', '2048', '512'] });
    expect(expression).toBe(
      "functionInstanceMemoryMB == '4096' ? 4096 : (functionInstanceMemoryMB == '2048' ? 2048 : 512)",
    );
    expect(api.params().find((p) => p.name === 'instanceMemoryMB')?.value).toBe('512');
  });

  it('GIVEN the function app WHEN read THEN it runs Node 22 on a Flex Consumption (FC1) plan', () => {
    const apiParams = objectEntry(moduleNamed(main, 'api').body!, 'params')!;
    expect(apiParams.get('runtimeName')).toBe("'node'");
    expect(apiParams.get('runtimeVersion')).toBe("'22'");
    const plan = objectEntry(moduleNamed(main, 'appServicePlan').body!, 'params')!;
    const sku = entries(plan.get('sku')!.slice(1, -1));
    expect(sku.get('name')).toBe("'FC1'");
    expect(sku.get('tier')).toBe("'FlexConsumption'");
    const site = objectEntry(moduleNamed(api, 'api').body!, 'params')!;
    expect(site.get('kind')).toBe("'functionapp,linux'");
    const config = site.get('functionAppConfig')!;
    const runtime = entries(
      entries(config.slice(1, matchingBracket(config, 0)))
        .get('runtime')!
        .slice(1, -1),
    );
    expect(runtime.get('name')).toBe('runtimeName');
    expect(runtime.get('version')).toBe('runtimeVersion');
    expect(config).toMatch(/type:\s*'UserAssignedIdentity'/);
  });

  it('GIVEN storage and monitoring WHEN read THEN shared keys and local authentication are off', () => {
    const storage = objectEntry(moduleNamed(main, 'storage').body!, 'params')!;
    expect(storage.get('allowSharedKeyAccess')).toBe('false');
    expect(storage.get('allowBlobPublicAccess')).toBe('false');
    const monitoring = objectEntry(moduleNamed(main, 'monitoring').body!, 'params')!;
    expect(monitoring.get('disableLocalAuth')).toBe('true');
  });

  it('GIVEN Communication Services WHEN read THEN its access keys are off (disableLocalAuth): the app sends with its managed identity, and no connection string is supplied', () => {
    const acs = email
      .resources()
      .find((r) => r.type.startsWith('Microsoft.Communication/communicationServices@'))!;
    expect(objectEntry(acs.body!, 'properties')?.get('disableLocalAuth')).toBe('true');
    const supplied = suppliedSettings();
    expect(supplied.has('ACS_CONNECTION_STRING')).toBe(false);
    expect(supplied.get('ACS_ENDPOINT')).toBe('email.outputs.endpoint');
  });

  it('GIVEN vnetEnabled WHEN read THEN storage refuses public access and the app joins a subnet with private endpoints for blob and table; without it nothing changes', () => {
    expect(main.params().find((p) => p.name === 'vnetEnabled')?.value).toBe("''");
    const storage = objectEntry(moduleNamed(main, 'storage').body!, 'params')!;
    expect(storage.get('publicNetworkAccess')).toBe("vnetEnabled == 'true' ? 'Disabled' : 'Enabled'");
    const acls = entries(storage.get('networkAcls')!.slice(1, -1));
    expect(acls.get('defaultAction')).toBe("vnetEnabled == 'true' ? 'Deny' : 'Allow'");
    expect(moduleNamed(main, 'network').type).toBe('app/network.bicep');
    expect(main.text).toMatch(/module network 'app\/network\.bicep' = if \(vnetEnabled == 'true'\)/);
    const apiParams = objectEntry(moduleNamed(main, 'api').body!, 'params')!;
    expect(apiParams.get('virtualNetworkSubnetId')).toBe(
      "vnetEnabled == 'true' ? network.outputs.appSubnetId : ''",
    );
    const network = bicep('infra/app/network.bicep');
    expect(network.text).toMatch(/var storageServices = \['blob', 'table'\]/);
    expect(network.text).toMatch(/serviceName: 'Microsoft\.App\/environments'/);
    expect(network.text).toMatch(/groupIds: \[service\]/);
    expect(read('infra/main.parameters.json')).toMatch(/"vnetEnabled": \{ "value": "\$\{VNET_ENABLED\}" \}/);
  });

  it('GIVEN VNET_ENABLED=true WHEN provisioning THEN the preprovision hooks register the resource provider of the namespace the app subnet is delegated to (a fresh subscription has not)', () => {
    const delegation = /serviceName: '([\w.]+)\/environments'/.exec(
      bicep('infra/app/network.bicep').text,
    )?.[1];
    expect(delegation).toBe('Microsoft.App');
    for (const script of ['infra/hooks/preprovision.sh', 'infra/hooks/preprovision.ps1']) {
      const text = read(script);
      expect(text).toMatch(new RegExp(`namespace\\s*=\\s*["']${delegation!.replace('.', '\\.')}["']`));
      expect(text).toMatch(/VNET_ENABLED/);
      expect(text).toMatch(/provider register --namespace/);
      expect(text).toMatch(/--wait/);
    }
  });

  it('GIVEN App Service authentication WHEN read THEN a browser is sent to Entra ID sign-in, the health check and the releases API are left to the app (function key; its own 401), once the post-provision step made the registration', () => {
    expect(main.text).toMatch(/module auth 'app\/auth\.bicep' = if \(!empty\(apiClientId\)\)/);
    const auth = bicep('infra/app/auth.bicep');
    const config = auth.resources().find((r) => r.name === 'auth')!;
    const properties = objectEntry(config.body!, 'properties')!;
    const validation = entries(properties.get('globalValidation')!.slice(1, -1));
    expect(validation.get('requireAuthentication')).toBe('true');
    expect(validation.get('unauthenticatedClientAction')).toBe("'RedirectToLoginPage'");
    // Everything else, /api/console included, needs a signed-in session or a token.
    expect(validation.get('excludedPaths')).toBe("['/api/health', '/api/releases']");
    expect(main.objectVar('appSettings').get('API_AUDIENCE')).toBe('apiAudience');
    for (const script of ['infra/hooks/postprovision.sh', 'infra/hooks/postprovision.ps1']) {
      const text = read(script);
      expect(text).toMatch(/Releases\.Read/);
      expect(text).toMatch(/azd env set API_CLIENT_ID/);
      expect(text).toMatch(/azd env set API_AUDIENCE/);
    }
  });

  it("GIVEN the console sign-in WHEN read THEN it needs no secret: the managed identity is the client credential (a federated credential of the registration), and the token store is off (no store every instance shares is reachable with the identity): the ID token's claims decide", () => {
    const auth = bicep('infra/app/auth.bicep');
    const properties = objectEntry(auth.resources().find((r) => r.name === 'auth')!.body!, 'properties')!;
    const aad = entries(
      entries(properties.get('identityProviders')!.slice(1, -1)).get('azureActiveDirectory')!.slice(1, -1),
    );
    const registration = entries(aad.get('registration')!.slice(1, -1));
    expect(registration.get('clientId')).toBe('apiClientId');
    // The setting named as "client secret" holds the identity's client id, and is set by api.bicep.
    expect(registration.get('clientSecretSettingName')).toBe('managedIdentityAssertionSetting');
    expect(auth.vars().find((v) => v.name === 'managedIdentityAssertionSetting')?.value).toBe(
      "'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'",
    );
    expect(suppliedSettings().get('OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID')).toBe('identityClientId');
    expect(objectEntry(moduleNamed(main, 'api').body!, 'params')?.get('identityClientId')).toBe(
      'appIdentity.outputs.clientId',
    );
    expect(auth.text).not.toMatch(/MICROSOFT_PROVIDER_AUTHENTICATION_SECRET|clientSecretCertificate/);
    expect(entries(aad.get('login')!.slice(1, -1)).get('loginParameters')).toBe(
      "['scope=openid profile email']",
    );
    expect(entries(aad.get('validation')!.slice(1, -1)).get('allowedAudiences')).toBe(
      '[apiClientId, apiAudience]',
    );
    expect(properties.get('login')).toMatch(/tokenStore: \{ enabled: false \}/);
    expect(auth.text).not.toMatch(/azureBlobStorage|sasUrlSettingName/);
    expect(moduleNamed(main, 'auth').body).toMatch(/apiAudience: apiAudience/);
    // The hook registers the reply address on the app's host name, which main.bicep outputs.
    expect(main.outputs().find((o) => o.name === 'APP_HOSTNAME')?.value).toBe('api.outputs.defaultHostname');
    expect(api.outputs().find((o) => o.name === 'defaultHostname')?.value).toBe(
      'api.outputs.defaultHostname',
    );
  });

  it('GIVEN the post-provision step WHEN read THEN both shells add the managed identity as federated credential of the registration, the reply address, ID tokens and the user_impersonation scope, and store no secret', () => {
    for (const script of ['infra/hooks/postprovision.sh', 'infra/hooks/postprovision.ps1']) {
      const text = read(script);
      expect(text).toMatch(/az ad app federated-credential create --id "?\$(\{?API_CLIENT_ID|apiClientId)/);
      expect(text).toMatch(/login\.microsoftonline\.com\/['"]*\$(azure_tenant|azureTenant)\b/);
      expect(text).toMatch(/api:\/\/AzureADTokenExchange/);
      // The credential's subject is the app's managed identity (its object id, APP_IDENTITY_PRINCIPAL_ID).
      expect(text).toMatch(/subject['":\s=]+\$principal\b/);
      expect(text).toMatch(/\.auth\/login\/aad\/callback/);
      expect(text).toMatch(/APP_HOSTNAME/);
      expect(text).toMatch(/--enable-id-token-issuance true/);
      expect(text).toMatch(/user_impersonation/);
      expect(text).not.toMatch(/credential reset|password|client-secret|--append.*secret/i);
    }
  });

  it('GIVEN the email module WHEN read THEN an Azure-managed domain (and the optional custom one) is linked, with a settable display name', () => {
    const resources = email.resources();
    const managed = resources.find((r) => r.name === 'managedDomain')!;
    expect(entries(managed.body!).get('name')).toBe("'AzureManagedDomain'");
    expect(objectEntry(managed.body!, 'properties')?.get('domainManagement')).toBe("'AzureManaged'");
    const senders = resources.filter((r) =>
      r.type.startsWith('Microsoft.Communication/emailServices/domains/senderUsernames@'),
    );
    expect(senders.map((s) => objectEntry(s.body!, 'properties')?.get('displayName'))).toEqual([
      'senderDisplayName',
      'senderDisplayName',
    ]);
    const acs = resources.find((r) => r.type.startsWith('Microsoft.Communication/communicationServices@'))!;
    expect(objectEntry(acs.body!, 'properties')?.get('linkedDomains')).toMatch(/managedDomain\.id/);
    expect(email.outputs().find((o) => o.name === 'senderAddress')?.value).toMatch(/fromSenderDomain/);
  });
});

describe('infrastructure: role assignments', () => {
  const assignments = allBicep.flatMap((file) =>
    file
      .resources()
      .filter((r) => r.type.startsWith('Microsoft.Authorization/roleAssignments@'))
      .map((r) => ({ file, resource: r })),
  );

  function roleIdOf(file: BicepFile, expression: string): string {
    const direct = GUID.exec(expression);
    if (direct) return direct[0].toLowerCase();
    const viaRoles = /\broles\.(\w+)/.exec(expression);
    if (viaRoles) {
      const value = file.objectVar('roles').get(viaRoles[1]);
      if (value && GUID.test(value)) return GUID.exec(value)![0].toLowerCase();
    }
    const viaVar = /\b(\w+)\)?\s*$/.exec(expression);
    const declared = viaVar && file.vars().find((v) => v.name === viaVar[1]);
    if (declared?.value && GUID.test(declared.value)) return GUID.exec(declared.value)![0].toLowerCase();
    throw new Error(`${file.path}: cannot resolve the role of '${expression}'`);
  }

  it('GIVEN the Bicep WHEN role assignments are listed THEN there are some, all in rbac.bicep', () => {
    expect(assignments.length).toBeGreaterThan(0);
    expect(new Set(assignments.map((a) => a.file.path))).toEqual(new Set(['infra/app/rbac.bicep']));
  });

  it('GIVEN every role assignment WHEN its role id is resolved THEN it is one the code needs, and every justified role is used', () => {
    const used = new Set<string>();
    for (const { file, resource } of assignments) {
      const roleDefinitionId = objectEntry(resource.body!, 'properties')?.get('roleDefinitionId');
      expect({ resource: resource.name, roleDefinitionId: typeof roleDefinitionId }).toEqual({
        resource: resource.name,
        roleDefinitionId: 'string',
      });
      const id = roleIdOf(file, roleDefinitionId!);
      expect({ resource: resource.name, id, justified: id in JUSTIFIED_ROLES }).toEqual({
        resource: resource.name,
        id,
        justified: true,
      });
      used.add(id);
    }
    expect([...used].sort()).toEqual(Object.keys(JUSTIFIED_ROLES).sort());
    // Every role id written in rbac.bicep is assigned (no stale, unexplained ids lying around).
    const written = [...rbac.objectVar('roles').values()].map((v) => GUID.exec(v)![0].toLowerCase());
    expect(written.sort()).toEqual([...used].sort());
  });

  it('GIVEN the managed identity WHEN its assignments are listed THEN each is scoped to the one resource it needs', () => {
    const scopes = Object.fromEntries(
      assignments
        .filter(
          ({ resource }) =>
            objectEntry(resource.body!, 'properties')?.get('principalId') === 'managedIdentityPrincipalId',
        )
        .map(({ file, resource }) => [
          JUSTIFIED_ROLES[roleIdOf(file, objectEntry(resource.body!, 'properties')!.get('roleDefinitionId')!)]
            .role,
          entries(resource.body!).get('scope'),
        ]),
    );
    expect(scopes).toEqual({
      'Storage Blob Data Owner': 'storageAccount',
      'Storage Table Data Contributor': 'storageAccount',
      'Storage Queue Data Contributor': 'storageAccount',
      'Monitoring Metrics Publisher': 'applicationInsights',
      'Communication and Email Service Owner': 'communicationService',
    });
  });
});

describe('infrastructure: azd project and hooks', () => {
  const yaml = readSimpleYaml(read('azure.yaml'));
  const at = (value: YamlValue | undefined, ...keys: string[]): YamlValue | undefined =>
    keys.reduce<YamlValue | undefined>((v, k) => (v && typeof v === 'object' ? v[k] : undefined), value);

  it('GIVEN azure.yaml WHEN read THEN it declares the function app service and the preprovision, postprovision and postdown hooks for both shells', () => {
    expect(typeof yaml.name).toBe('string');
    expect(at(yaml, 'services', 'api')).toMatchObject({ project: '.', language: 'ts', host: 'function' });
    for (const hook of ['preprovision', 'postprovision', 'postdown']) {
      for (const [platform, shell, script] of [
        ['posix', 'sh', `./infra/hooks/${hook}.sh`],
        ['windows', 'pwsh', `./infra/hooks/${hook}.ps1`],
      ]) {
        expect(at(yaml, 'hooks', hook, platform, 'shell')).toBe(shell);
        expect(at(yaml, 'hooks', hook, platform, 'run')).toBe(script);
        expect(existsSync(path.join(ROOT, script))).toBe(true);
      }
    }
  });

  it('GIVEN azure.yaml WHEN read THEN it names the azd version it needs, the README says the same, and every hook, project or service, says its shell (azd before 1.20 refuses an inline hook without one)', () => {
    const required = at(yaml, 'requiredVersions', 'azd');
    expect(required).toMatch(/^>= \d+\.\d+\.\d+$/);
    const version = String(required).replace('>= ', '');
    expect(readmeSection('### Prerequisites')).toContain(`(\`azd\`) ${version} or later`);
    const hookSets = [at(yaml, 'hooks'), at(yaml, 'services', 'api', 'hooks')];
    const hooks = hookSets.flatMap((set) => Object.entries(set as Record<string, YamlValue>));
    expect(hooks.map(([name]) => name).sort()).toEqual([
      'postdown',
      'postprovision',
      'prepackage',
      'preprovision',
    ]);
    for (const [name, hook] of hooks) {
      for (const platform of ['posix', 'windows']) {
        expect([name, platform, at(hook, platform, 'shell')]).toEqual([
          name,
          platform,
          platform === 'posix' ? 'sh' : 'pwsh',
        ]);
        expect(at(hook, platform, 'run')).toBeTruthy();
      }
      expect(at(hook, 'run')).toBeUndefined();
    }
  });

  it('GIVEN the api service WHEN azd packages it THEN it deploys the folder npm run package stages, built before packaging, with no remote build', () => {
    expect(at(yaml, 'services', 'api', 'dist')).toBe('dist/deploy');
    expect(at(yaml, 'services', 'api', 'remoteBuild')).toBe('false');
    for (const platform of ['posix', 'windows']) {
      expect(at(yaml, 'services', 'api', 'hooks', 'prepackage', platform, 'run')).toBe('npm run package');
    }
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.package).toMatch(/node infra\/package\.js$/);
    // infra/package.js stages into <out>/deploy, <out> being dist/ by default.
    expect(read('infra/package.js')).toMatch(/out: path\.join\(ROOT, 'dist'\)/);
    expect(read('infra/package.js')).toMatch(/path\.join\(options\.out, 'deploy'\)/);
    // azd (1.23.12 and later) refuses remoteBuild: false when .funcignore excludes node_modules.
    const ignored = read('.funcignore')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(ignored.filter((line) => /^\/?node_modules\/?$/.test(line))).toEqual([]);
  });

  it('GIVEN the hooks WHEN read THEN they grant with the app own command and read only outputs main.bicep declares', () => {
    const outputs = new Set(main.outputs().map((o) => o.name));
    for (const script of ['infra/hooks/postprovision.sh', 'infra/hooks/postprovision.ps1']) {
      const text = read(script);
      expect(text).toMatch(/qrn['\s,]+permissions['\s,]+--principal-id/);
      expect(text).toMatch(/--no\b/); // never fetch a registry package named qrn
      expect(text).toMatch(/--mail-send/);
      expect(text).toMatch(/graph/);
      const variables = new Set(
        [...text.matchAll(/(?:\$\{|\$env:)(APP_[A-Z0-9_]+|AZURE_TENANT_ID)/g)].map((m) => m[1]),
      );
      expect([...variables].filter((name) => !outputs.has(name))).toEqual([]);
      expect(variables.has('APP_IDENTITY_PRINCIPAL_ID')).toBe(true);
    }
  });
});

describe("infrastructure: the README's deploy section", () => {
  const section = readmeSection('## Deploy');
  const parameters = (
    JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> }
  ).parameters;
  /** azd variable -> the main.bicep parameter it fills. */
  const azdVariables = new Map(
    Object.entries(parameters).flatMap(([param, { value }]) => {
      const variable = /^\$\{(\w+)\}$/.exec(value)?.[1];
      return variable ? [[variable, param] as const] : [];
    }),
  );
  /** A parameter main.bicep declares and also reads. */
  const used = (param: string) => (main.text.match(new RegExp(`\\b${param}\\b`, 'g')) ?? []).length > 1;
  // Named in the section, set by no Bicep, each for the reason the section gives.
  const NOT_SET_BY_THE_DEPLOYMENT: Record<string, string> = {
    AUDIT_QUERY_POLL_SECONDS: 'its default, quoted to explain the notify run time in the cost figures',
  };

  it('GIVEN every setting the section names THEN the deployment sets it: an azd variable mapped to a parameter main.bicep uses, an app setting the Bicep supplies, or an output of main.bicep', () => {
    const supplied = suppliedSettings();
    const outputs = new Set(main.outputs().map((o) => o.name));
    const named = new Set([...section.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((m) => m[1]));
    expect(named.size).toBeGreaterThan(15);
    for (const name of named) {
      const param = azdVariables.get(name);
      const how = param
        ? used(param)
          ? 'azd variable'
          : `parameter ${param} unused`
        : supplied.has(name)
          ? 'app setting'
          : outputs.has(name)
            ? 'output'
            : name in NOT_SET_BY_THE_DEPLOYMENT
              ? 'explained'
              : 'set by nothing';
      expect({ name, how }).toEqual({
        name,
        how: expect.stringMatching(/^(azd variable|app setting|output|explained)$/),
      });
    }
  });

  it('GIVEN the azd variables table and the commands of the section THEN each variable is one main.parameters.json maps, and each value read back is an output or a variable', () => {
    const tableVariables = [...section.matchAll(/^\| `([A-Z0-9_]+)`(?:, `([A-Z0-9_]+)`)?/gm)].flatMap((m) =>
      [m[1], m[2]].filter(Boolean),
    );
    expect(tableVariables.length).toBeGreaterThan(15);
    for (const name of tableVariables)
      expect({ name, mapped: azdVariables.has(name) }).toEqual({ name, mapped: true });
    const readBack = [...section.matchAll(/azd env get-value (\w+)/g)].map((m) => m[1]);
    const outputs = new Set(main.outputs().map((o) => o.name));
    expect(readBack.length).toBeGreaterThan(0);
    for (const name of readBack) {
      expect({ name, known: outputs.has(name) || azdVariables.has(name) }).toEqual({ name, known: true });
    }
  });

  it('GIVEN the section on hand-added app settings THEN it says they stay, as the site module merges the current settings', () => {
    expect(section).toMatch(/they \*\*stay\*\*/);
    expect(section).not.toMatch(/removes them/);
    expect(read('infra/app/api.bicep')).toMatch(/'br\/public:avm\/res\/web\/site:/);
  });
});

describe('infrastructure: alerts to the administrators', () => {
  const resources = alerts.resources();
  const actionGroup = resources.find((r) => r.name === 'actionGroup')!;
  const rules = resources.find((r) => r.name === 'rules')!;

  it("GIVEN main.bicep WHEN it calls the alerts module THEN the rules watch the app's Application Insights and email the administrators given to azd", () => {
    const params = objectEntry(moduleNamed(main, 'alerts').body!, 'params')!;
    expect(params.get('applicationInsightsName')).toBe('monitoring.outputs.name');
    expect(params.get('alertEmailAddresses')).toBe('alertEmailAddresses');
    expect(params.get('noSuccessMinutes')).toBe('resolvedAlertNoSuccessMinutes');
    const parameters = JSON.parse(read('infra/main.parameters.json')) as {
      parameters: Record<string, { value: string }>;
    };
    expect(parameters.parameters.alertEmailAddresses.value).toBe('${ALERT_EMAIL_ADDRESSES}');
    expect(parameters.parameters.alertNoSuccessMinutes.value).toBe('${ALERT_NO_SUCCESS_MINUTES}');
    // The app gets the same threshold, so qrn doctor and the health of the deployed app agree with the alert.
    expect(main.objectVar('appSettings').get('ALERT_NO_SUCCESS_MINUTES')).toBe(
      'string(resolvedAlertNoSuccessMinutes)',
    );
    const resolved = main.vars().find((v) => v.name === 'resolvedAlertNoSuccessMinutes')!.value;
    expect(resolved).toBe(
      'empty(alertNoSuccessMinutes) ? alertCatalogue.noSuccessMinutesDefault : int(alertNoSuccessMinutes)',
    );
    expect(main.vars().find((v) => v.name === 'alertCatalogue')?.value).toBe(
      "loadJsonContent('../lib/config/alerts.json')",
    );
    expect(alerts.vars().find((v) => v.name === 'catalogue')?.value).toBe(
      "loadJsonContent('../../lib/config/alerts.json')",
    );
    // The module's accepted range is the setting's.
    expect(alerts.text).toMatch(/@minValue\(15\)\s*@maxValue\(1440\)\s*param noSuccessMinutes int/);
    expect(catalogue.get('ALERT_NO_SUCCESS_MINUTES')?.fix).toMatch(/between 15 and 1440/);
  });

  it('GIVEN the action group WHEN read THEN it is global, enabled, and emails every address given, one receiver each', () => {
    expect(actionGroup.type).toBe('Microsoft.Insights/actionGroups@2023-01-01');
    const body = entries(actionGroup.body!);
    expect(body.get('location')).toBe("'global'");
    const properties = objectEntry(actionGroup.body!, 'properties')!;
    expect(properties.get('enabled')).toBe('true');
    const shortName = literal(properties.get('groupShortName')!);
    expect(shortName).toBeDefined();
    expect(shortName!.length).toBeLessThanOrEqual(12);
    expect(properties.get('emailReceivers')).toMatch(/^\[for \(address, i\) in addresses: \{/);
    expect(properties.get('emailReceivers')).toMatch(/emailAddress: address/);
    // Several addresses, separated by commas or semicolons, spaces trimmed, empty entries dropped.
    expect(alerts.vars().find((v) => v.name === 'addresses')?.value).toBe(
      "filter(map(split(replace(alertEmailAddresses, ';', ','), ','), address => trim(address)), address => !empty(address))",
    );
  });

  it('GIVEN the rules WHEN read THEN there is one log alert per catalogue entry, scoped to Application Insights, acting through the action group', () => {
    expect(rules.type).toBe('Microsoft.Insights/scheduledQueryRules@2023-12-01');
    expect(alerts.text).toMatch(/resource rules '[^']+' = \[for rule in catalogue\.rules: \{/);
    const body = entries(rules.body!);
    expect(body.get('kind')).toBe("'LogAlert'");
    const properties = objectEntry(rules.body!, 'properties')!;
    expect(properties.get('scopes')).toBe('[applicationInsights.id]');
    expect(properties.get('enabled')).toBe('true');
    expect(entries(properties.get('actions')!.slice(1, -1)).get('actionGroups')).toBe('[actionGroup.id]');
    // Every field of a rule the Bicep reads exists in every rule of the catalogue.
    const read = new Set([...rules.body!.matchAll(/\brule\.(\w+)/g)].map((m) => m[1]));
    expect([...read].sort()).toEqual(
      ['description', 'displayName', 'evaluationFrequency', 'id', 'query', 'severity', 'windowSize'].sort(),
    );
    for (const rule of alertCatalogue.rules) {
      for (const field of read) {
        expect({ rule: rule.id, field, present: field in rule }).toEqual({
          rule: rule.id,
          field,
          present: true,
        });
      }
    }
    // Rule names are unique per deployment and valid resource names.
    expect(new Set(alertCatalogue.rules.map((r) => r.id)).size).toBe(alertCatalogue.rules.length);
    for (const rule of alertCatalogue.rules) expect(rule.id).toMatch(/^[a-z][a-z-]+$/);
    expect(entries(rules.body!).get('name')).toBe("'${namePrefix}-${rule.id}'");
  });

  it('GIVEN the rules WHEN deployed on a new workspace THEN the query is not validated (no traces yet), and each runs as its own system-assigned identity with Reader on the component it queries, the least role that reads its logs', () => {
    const properties = objectEntry(rules.body!, 'properties')!;
    expect(properties.get('skipQueryValidation')).toBe('true');
    expect(objectEntry(rules.body!, 'identity')?.get('type')).toBe("'SystemAssigned'");
    // Their principals reach rbac.bicep, which gives each Reader on Application Insights, nothing more.
    expect(alerts.outputs().find((o) => o.name === 'rulePrincipalIds')?.value).toBe(
      '[for (rule, i) in catalogue.rules: rules[i].identity.principalId]',
    );
    expect(objectEntry(moduleNamed(main, 'rbac').body!, 'params')?.get('alertRulePrincipalIds')).toBe(
      'alerts.outputs.rulePrincipalIds',
    );
    const readers = rbac.resources().find((r) => r.name === 'alertRuleReaders')!;
    expect(rbac.text).toMatch(
      /resource alertRuleReaders '[^']+' = \[for rulePrincipalId in alertRulePrincipalIds: \{/,
    );
    expect(entries(readers.body!).get('scope')).toBe('applicationInsights');
    const assignment = objectEntry(readers.body!, 'properties')!;
    expect(assignment.get('principalId')).toBe('rulePrincipalId');
    expect(assignment.get('roleDefinitionId')).toMatch(/roles\.reader\)$/);
    expect(rbac.objectVar('roles').get('reader')).toBe("'acdd72a7-3385-43ef-8e1b-8a43b9f1f2a6'");
  });
});
