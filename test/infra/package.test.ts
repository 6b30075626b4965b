import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  buildPackage,
  entryPointsOf,
  loadEntryPoints,
  PROJECT_ROOT,
  unzip,
  writeWorkerStub,
  type LoadResult,
  type PackageSummary,
} from '../support/package';

/**
 * The deployment package (npm run package) holds only what runs, and runs on its own: unzipped into an
 * empty folder, with nothing installed but the module the Functions worker provides, its entry point
 * registers the four functions with the schedules and routes the README states.
 */

const README = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
/** Packages the app imports: none of them may be found from the unpacked folder (they are bundled). */
const DEPENDENCIES = Object.keys(
  (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: object })
    .dependencies,
);

let work: string;
let summary: PackageSummary;
let unpacked: string;
let names: string[];
let loaded: LoadResult;

beforeAll(async () => {
  // Outside the project, so that nothing of its node_modules can be found by walking up the folders.
  work = mkdtempSync(path.join(os.tmpdir(), 'qrn-package-'));
  summary = buildPackage(path.join(work, 'out'));
  unpacked = path.join(work, 'unpacked');
  names = await unzip(summary.zip, unpacked);
  const workerModules = writeWorkerStub(path.join(work, 'worker'));
  loaded = loadEntryPoints(entryPointsOf(unpacked), unpacked, workerModules, DEPENDENCIES);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('deployment package: what it holds', () => {
  it("GIVEN npm run package WHEN the zip is listed THEN it holds the bundle, the console's browser bundle, host.json, package.json and the notices, nothing else", () => {
    expect([...names].sort()).toEqual([
      'THIRD-PARTY-NOTICES.txt',
      'console/app.css',
      'console/app.js',
      'host.json',
      'index.js',
      'package.json',
    ]);
    expect(readFileSync(path.join(unpacked, 'host.json'), 'utf8')).toBe(
      readFileSync(path.join(PROJECT_ROOT, 'host.json'), 'utf8'),
    );
  });

  it('GIVEN the zip WHEN measured THEN it is under 5 MB', () => {
    expect(summary.zipBytes).toBeLessThanOrEqual(5 * 1024 * 1024);
  });

  it('GIVEN its package.json WHEN read THEN the worker loads the bundle, and there is nothing to install or build (a remote build does nothing)', () => {
    const manifest = JSON.parse(readFileSync(path.join(unpacked, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest.main).toBe('index.js');
    for (const key of ['dependencies', 'devDependencies', 'optionalDependencies', 'scripts', 'type']) {
      expect({ key, present: key in manifest }).toEqual({ key, present: false });
    }
    // Node 20 here, Node 22 in Azure: both satisfy it, and the bundle's syntax targets Node 20.
    expect(manifest.engines).toEqual({ node: '>=20.0.0' });
    expect(summary.target).toBe('node20');
  });

  it('GIVEN the bundle WHEN read THEN it has no source map, no test code and no simulator', () => {
    const bundle = readFileSync(path.join(unpacked, 'index.js'), 'utf8');
    expect(bundle).not.toMatch(/sourceMappingURL/);
    expect(bundle).not.toMatch(/\btest\/support\b|\blib\/simulator\b|\blib\/local\b/);
    expect(bundle).not.toMatch(/require\("(azurite|jest|selfsigned|esbuild|typescript)"\)/);
  });
});

describe('deployment package: the functions it registers', () => {
  const fn = (name: string) => {
    const found = loaded.functions.find((f) => f.name === name);
    if (!found) throw new Error(`no function '${name}' registered`);
    return Object.values(found.bindings).find((b) => String(b.type).endsWith('Trigger'))!;
  };

  it('GIVEN the unpacked folder WHEN its entry point loads in a fresh Node THEN no bundled package can be found there', () => {
    expect(loaded.resolvable).toEqual([]);
    expect(loaded.programmingModel).toBe('@azure/functions');
  });

  it('GIVEN the entry point WHEN loaded THEN exactly the eight functions register, and the start hook that validates settings', () => {
    expect(loaded.functions.map((f) => f.name).sort()).toEqual([
      'console',
      'fleet',
      'health',
      'notify',
      'releases',
      'snapshot',
      'tenantRun',
      'tenantRunPoisoned',
    ]);
    expect(loaded.functions.every((f) => f.handler === 'function')).toBe(true);
    expect(loaded.hooks).toEqual(['appStart']);
  });

  it('GIVEN the timers WHEN registered THEN their schedules come from the settings the README documents, never run on startup', () => {
    for (const [name, setting] of [
      ['snapshot', 'SNAPSHOT_SCHEDULE'],
      ['notify', 'NOTIFY_SCHEDULE'],
    ]) {
      expect(fn(name)).toMatchObject({ type: 'timerTrigger', schedule: `%${setting}%`, runOnStartup: false });
      expect(README).toContain(`\`${setting}\``);
    }
  });

  it("GIVEN many tenants WHEN registered THEN the fleet timer never runs on startup, and the tenant runs and their poison queue are read from the host storage's queues", () => {
    expect(fn('fleet')).toMatchObject({
      type: 'timerTrigger',
      schedule: '0 */15 * * * *',
      runOnStartup: false,
    });
    expect(fn('tenantRun')).toMatchObject({
      type: 'queueTrigger',
      queueName: 'qrn-tenant-runs',
      connection: 'AzureWebJobsStorage',
    });
    expect(fn('tenantRunPoisoned')).toMatchObject({
      type: 'queueTrigger',
      queueName: 'qrn-tenant-runs-poison',
    });
  });

  it('GIVEN the HTTP functions WHEN registered THEN their routes are the GET endpoints the README lists: health behind its function key, releases behind the Entra sign-in the app checks itself', () => {
    const documented = [...README.matchAll(/^- `GET \/api\/(\w+)/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(['health', 'releases']);
    const authLevel: Record<string, string> = { health: 'function', releases: 'anonymous' };
    for (const route of documented) {
      expect(fn(route)).toMatchObject({
        type: 'httpTrigger',
        route,
        methods: ['GET'],
        authLevel: authLevel[route],
      });
    }
  });
});
