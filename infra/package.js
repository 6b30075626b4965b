#!/usr/bin/env node
// `npm run package`: the deployment package, holding only what runs in Azure.
//
//   <out>/deploy/                          what azd deploys (azure.yaml: dist), unpacked
//     index.js                             functions/*.ts and everything they import, bundled by esbuild
//     host.json, package.json              package.json without dependencies or scripts: nothing to install
//     THIRD-PARTY-NOTICES.txt              licences of the bundled packages
//     console/app.js, console/app.css      the administrators' console, bundled for the browser
//     index.js.map                         only with --sourcemap
//   <out>/quarantine-release-notifier.zip  the same files, zipped
//
// <out> (default dist/) is emptied first, and the bundle is compiled from the sources, so nothing from
// an earlier build, no test, no devDependency and no local setting can reach the package. The Functions
// worker provides @azure/functions-core at run time: it stays external, as do Node's own modules; any
// other module left outside the bundle fails the run.
//
//   node infra/package.js [--out DIR] [--sourcemap] [--json]
const { builtinModules } = require('node:module');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const ZIP_NAME = 'quarantine-release-notifier.zip';
/** Provided by the Functions Node.js worker; @azure/functions finds it there (in "test mode" without it). */
const WORKER_MODULES = ['@azure/functions-core'];
/** Node 20 locally and in CI, Node 22 in Azure: the bundle's syntax must run on both. */
const TARGET = 'node20';
/** Fixed timestamps: the same sources give the same zip. */
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

function parseArguments(argv) {
  const options = { out: path.join(ROOT, 'dist'), sourcemap: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') options.out = path.resolve(argv[++i] ?? '');
    else if (argv[i] === '--sourcemap') options.sourcemap = true;
    else if (argv[i] === '--json') options.json = true;
    else throw new Error(`unknown argument '${argv[i]}' (expected --out DIR, --sourcemap, --json)`);
  }
  if (options.out === ROOT || ROOT.startsWith(options.out + path.sep)) {
    throw new Error(`--out ${options.out} would empty the project itself`);
  }
  return options;
}

/** The entry point: every function file, in the order the worker's glob (dist/functions/*.js) loads them. */
function entryPoint() {
  const files = fs
    .readdirSync(path.join(ROOT, 'functions'))
    .filter((name) => name.endsWith('.ts'))
    .sort();
  if (files.length === 0) throw new Error('functions/ holds no .ts file');
  return files.map((name) => `import './functions/${name.slice(0, -3)}';`).join('\n');
}

/** The console's browser bundle, as `npm run build:console` makes it, beside the function bundle. */
async function bundleConsole(deploy) {
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, 'lib/console/web/main.ts')],
    absWorkingDir: ROOT,
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    outdir: path.join(deploy, 'console'),
    entryNames: 'app',
    logLevel: 'silent',
  });
  const problems = [...result.errors, ...result.warnings].map((m) => m.text);
  if (problems.length > 0) throw new Error(`esbuild (console):\n  ${problems.join('\n  ')}`);
}

async function bundle(deploy, sourcemap) {
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    stdin: { contents: entryPoint(), resolveDir: ROOT, sourcefile: 'functions/index.ts', loader: 'ts' },
    absWorkingDir: ROOT, // metafile paths are relative to it
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: TARGET,
    external: WORKER_MODULES,
    // ES modules bundled into CommonJS lose import.meta (@azure/storage-common reads import.meta.url).
    banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__bundleUrl' },
    outfile: path.join(deploy, 'index.js'),
    sourcemap: sourcemap ? 'linked' : false,
    // Not minified: names stay readable in stack traces, and minifying did not load faster (see the bench).
    minify: false,
    metafile: true,
    logLevel: 'silent',
  });
  const problems = [...result.errors, ...result.warnings].map((m) => m.text);
  if (problems.length > 0) throw new Error(`esbuild:\n  ${problems.join('\n  ')}`);
  const output =
    result.metafile.outputs[path.relative(ROOT, path.join(deploy, 'index.js')).split(path.sep).join('/')];
  const outside = (output?.imports ?? [])
    .filter((i) => i.external)
    .map((i) => i.path)
    .filter((p) => !isBuiltin(p) && !WORKER_MODULES.includes(p));
  if (!output) throw new Error('esbuild reported no index.js');
  if (outside.length > 0) {
    throw new Error(
      `modules left outside the bundle, which the package does not hold: ${outside.join(', ')}`,
    );
  }
  return Object.keys(output.inputs);
}

function isBuiltin(specifier) {
  const name = specifier.replace(/^node:/, '');
  return builtinModules.includes(name) || builtinModules.includes(name.split('/')[0]);
}

/** Name, version, licence and licence text of every package with code in the bundle. */
function thirdPartyNotices(inputs) {
  const roots = new Set();
  for (const input of inputs) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.split(path.sep).join('/'));
    if (match) roots.add(path.resolve(ROOT, match[1]));
  }
  const sections = [...roots]
    .map((dir) => {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      const licenseFile = fs.readdirSync(dir).find((name) => /^(licen[cs]e|copying)/i.test(name));
      const text = licenseFile
        ? fs.readFileSync(path.join(dir, licenseFile), 'utf8').trim()
        : `(no licence file in the package; its package.json says ${manifest.license ?? 'nothing'})`;
      return { id: `${manifest.name}@${manifest.version}`, license: manifest.license ?? 'unknown', text };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
  const unique = [...new Map(sections.map((s) => [s.id, s])).values()];
  return [
    'Packages bundled into index.js, with their licences.',
    '',
    ...unique.map((s) => `${'='.repeat(78)}\n${s.id} (${s.license})\n${'='.repeat(78)}\n${s.text}\n`),
  ].join('\n');
}

/** package.json of the deployment: what the worker reads (main), nothing to install, nothing to build. */
function deploymentManifest() {
  const source = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const manifest = {};
  for (const key of ['name', 'version', 'description', 'license', 'private']) manifest[key] = source[key];
  manifest.main = 'index.js';
  manifest.engines = source.engines;
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

function zip(deploy, files, zipPath) {
  const yazl = require('yazl');
  const archive = new yazl.ZipFile();
  for (const name of files) {
    archive.addFile(path.join(deploy, name), name, { mtime: ZIP_MTIME, mode: 0o100644 });
  }
  archive.end();
  return new Promise((resolve, reject) => {
    archive.outputStream.pipe(fs.createWriteStream(zipPath)).on('close', resolve).on('error', reject);
  });
}

function listFiles(dir, prefix = '') {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`)
        : [`${prefix}${entry.name}`],
    )
    .sort();
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const started = Date.now();
  fs.rmSync(options.out, { recursive: true, force: true });
  const deploy = path.join(options.out, 'deploy');
  fs.mkdirSync(deploy, { recursive: true });

  const inputs = await bundle(deploy, options.sourcemap);
  await bundleConsole(deploy);
  fs.writeFileSync(path.join(deploy, 'THIRD-PARTY-NOTICES.txt'), thirdPartyNotices(inputs));
  fs.writeFileSync(path.join(deploy, 'package.json'), deploymentManifest());
  fs.copyFileSync(path.join(ROOT, 'host.json'), path.join(deploy, 'host.json'));

  const files = listFiles(deploy);
  const zipPath = path.join(options.out, ZIP_NAME);
  await zip(deploy, files, zipPath);

  const summary = {
    zip: zipPath,
    zipBytes: fs.statSync(zipPath).size,
    deploy,
    files: files.map((name) => ({ name, bytes: fs.statSync(path.join(deploy, name)).size })),
    bundledModules: inputs.length,
    target: TARGET,
    seconds: (Date.now() - started) / 1000,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    const unpacked = summary.files.reduce((n, f) => n + f.bytes, 0);
    process.stdout.write(
      `${path.relative(process.cwd(), zipPath)}: ${(summary.zipBytes / 1e6).toFixed(2)} MB, ` +
        `${files.length} files (${files.join(', ')}), ${(unpacked / 1e6).toFixed(2)} MB unpacked; ` +
        `${inputs.length} source modules bundled for ${TARGET} in ${summary.seconds} s\n`,
    );
  }
}

main().catch((error) => {
  console.error(`package: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
