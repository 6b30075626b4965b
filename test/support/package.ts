/**
 * The deployment package seen from outside, for its test and the bench: build it (infra/package.js),
 * unzip it, and load entry points in a fresh Node process the way the Functions worker does, with a
 * stand-in for the one module the worker provides (@azure/functions-core) that records what registers.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

export const PROJECT_ROOT = path.resolve(__dirname, '../..');

export interface PackageSummary {
  zip: string;
  zipBytes: number;
  deploy: string;
  files: { name: string; bytes: number }[];
  bundledModules: number;
  target: string;
  seconds: number;
}

/** Runs `node infra/package.js --out <out> --json` from `root` and returns its summary. */
export function buildPackage(out: string, root = PROJECT_ROOT): PackageSummary {
  const run = spawnSync(process.execPath, [path.join(root, 'infra/package.js'), '--out', out, '--json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`infra/package.js failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as PackageSummary;
}

/** Unzips every entry of `zip` into `dir`, refusing a name that would land outside it; returns the names. */
export async function unzip(zip: string, dir: string): Promise<string[]> {
  const archive = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zip, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file))),
  );
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    archive.on('error', reject);
    archive.on('end', resolve);
    archive.on('entry', (entry: yauzl.Entry) => {
      const target = path.resolve(dir, entry.fileName);
      if (!target.startsWith(path.resolve(dir) + path.sep)) {
        reject(new Error(`zip entry outside the folder: ${entry.fileName}`));
        return;
      }
      names.push(entry.fileName);
      if (entry.fileName.endsWith('/')) {
        mkdirSync(target, { recursive: true });
        archive.readEntry();
        return;
      }
      mkdirSync(path.dirname(target), { recursive: true });
      archive.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        pipeline(stream, createWriteStream(target)).then(() => archive.readEntry(), reject);
      });
    });
    archive.readEntry();
  });
  return names;
}

/**
 * Writes a stand-in for @azure/functions-core into `<dir>/node_modules` and returns that folder, for
 * NODE_PATH (so the folder under test holds nothing extra). It records what @azure/functions registers.
 */
export function writeWorkerStub(dir: string): string {
  const modules = path.join(dir, 'node_modules');
  const stub = path.join(modules, '@azure/functions-core');
  mkdirSync(stub, { recursive: true });
  writeFileSync(path.join(stub, 'package.json'), '{"name":"@azure/functions-core","main":"index.js"}\n');
  writeFileSync(
    path.join(stub, 'index.js'),
    `const recorded = { programmingModel: null, functions: [], hooks: [] };
module.exports = {
  recorded,
  setProgrammingModel(model) { recorded.programmingModel = model.name; },
  registerFunction(metadata, handler) {
    recorded.functions.push({ name: metadata.name, bindings: metadata.bindings, handler: typeof handler });
    return { dispose() {} };
  },
  registerHook(name) { recorded.hooks.push(name); return { dispose() {} }; },
  log() {},
};
`,
  );
  return modules;
}

export interface Registration {
  name: string;
  bindings: Record<string, Record<string, unknown>>;
  handler: string;
}

export interface LoadResult {
  /** Time to require the entry points, inside the process (Node's own start excluded). */
  loadMs: number;
  /** CPU time (user + system) the process spent on it: steadier than loadMs on a busy machine. */
  loadCpuMs: number;
  /** The whole fresh process, Node's start included. */
  processMs: number;
  programmingModel: string | null;
  functions: Registration[];
  hooks: string[];
  /** Which of these packages the process could resolve from `cwd`. */
  resolvable: string[];
}

/**
 * Loads `entries` (absolute paths) in a fresh Node process started in `cwd`, with `nodePath` as its only
 * extra module folder, and reports what registered and how long the loading took.
 */
export function loadEntryPoints(
  entries: string[],
  cwd: string,
  nodePath: string,
  probe: string[] = [],
): LoadResult {
  const script = `
const cpu = process.cpuUsage();
const started = process.hrtime.bigint();
for (const entry of ${JSON.stringify(entries)}) require(entry);
const loadMs = Number(process.hrtime.bigint() - started) / 1e6;
const used = process.cpuUsage(cpu);
const loadCpuMs = (used.user + used.system) / 1000;
const { recorded } = require('@azure/functions-core');
const resolvable = ${JSON.stringify(probe)}.filter((name) => {
  try { require.resolve(name, { paths: [process.cwd()] }); return true; } catch { return false; }
});
process.stdout.write(JSON.stringify({ loadMs, loadCpuMs, ...recorded, resolvable }));
`;
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['-e', script], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, NODE_PATH: nodePath },
  });
  const processMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`loading ${entries.join(', ')} failed: ${run.stderr}`);
  return { ...(JSON.parse(run.stdout) as Omit<LoadResult, 'processMs'>), processMs };
}

/** The entry points a folder declares in its package.json `main` (a file, or a `dir/*.js` glob). */
export function entryPointsOf(folder: string): string[] {
  const main = (JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as { main: string }).main;
  const glob = /^(.*)\/\*\.js$/.exec(main);
  if (!glob) return [path.join(folder, main)];
  const dir = path.join(folder, glob[1]);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.js'))
    .sort()
    .map((name) => path.join(dir, name));
}
