/**
 * The deployment package against what azd shipped before it (the project folder as .funcignore filtered
 * it: compiled dist/ and the whole node_modules, devDependencies included): size, file count, and the
 * time a fresh Node process takes to load the entry points, as the Functions worker does at a cold start.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yazl from 'yazl';
import { buildPackage, loadEntryPoints, unzip, writeWorkerStub, type LoadResult } from '../support/package';

export interface PackageFigures {
  ours: { zipBytes: number; files: number; unpackedBytes: number; bundledModules: number };
  /** The project folder as azd zipped it before: unpacked always, zipped only in a full run (over a minute). */
  today: { files: number; unpackedBytes: number; zipBytes: number | null };
  coldLoad: {
    runs: number;
    /** Medians of the time to require the entry points inside a fresh process. */
    oursMs: number;
    todayMs: number;
    /** Medians of the CPU time those loads took: steadier on a shared machine. */
    oursCpuMs: number;
    todayCpuMs: number;
    /** Medians of the whole fresh process (Node's own start included). */
    oursProcessMs: number;
    todayProcessMs: number;
    functionsRegistered: { ours: string[]; today: string[] };
  };
}

/** .funcignore's patterns (all are plain names or globs without '/': they match a name at any depth). */
function funcignore(root: string): RegExp[] {
  return readFileSync(path.join(root, '.funcignore'), 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((pattern) => {
      if (pattern.replace(/\/$/, '').includes('/'))
        throw new Error(`.funcignore: '${pattern}' is not read here`);
      const glob = pattern
        .replace(/\/$/, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*');
      return new RegExp(`^${glob}$`);
    });
}

function walk(dir: string, ignored: RegExp[], found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (ignored.some((pattern) => pattern.test(entry.name))) continue;
    const full = path.join(dir, entry.name);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isDirectory()) walk(full, ignored, found);
    else found.push(full);
  }
  return found;
}

function zipSize(files: { full: string; name: string }[], zipPath: string): Promise<number> {
  const archive = new yazl.ZipFile();
  for (const file of files) archive.addFile(file.full, file.name);
  archive.end();
  return new Promise((resolve, reject) =>
    archive.outputStream
      .pipe(createWriteStream(zipPath))
      .on('close', () => resolve(statSync(zipPath).size))
      .on('error', reject),
  );
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export async function measurePackage(
  root: string,
  options: { runs: number; zipToday: boolean },
): Promise<PackageFigures> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'qrn-bench-package-'));
  // Today's compiled dist/, fresh, inside the project so that it finds node_modules as it did.
  const unbundled = path.join(root, '.local/bench/unbundled');
  try {
    const ours = buildPackage(path.join(work, 'out'), root);
    const unpacked = path.join(work, 'unpacked');
    await unzip(ours.zip, unpacked);
    const workerModules = writeWorkerStub(path.join(work, 'worker'));

    rmSync(unbundled, { recursive: true, force: true });
    const tsc = spawnSync(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc', { paths: [root] }),
        '-p',
        'tsconfig.json',
        '--outDir',
        unbundled,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`);

    const ignored = funcignore(root);
    const todayFiles = [
      ...['host.json', 'package.json'].map((name) => ({ full: path.join(root, name), name })),
      ...walk(unbundled, ignored).map((full) => ({
        full,
        name: path.join('dist', path.relative(unbundled, full)),
      })),
      ...walk(path.join(root, 'node_modules'), ignored).map((full) => ({
        full,
        name: path.relative(root, full),
      })),
    ];
    const todayBytes = todayFiles.reduce((n, f) => n + statSync(f.full).size, 0);
    const todayZip = options.zipToday ? await zipSize(todayFiles, path.join(work, 'today.zip')) : null;

    const oursEntries = [path.join(unpacked, 'index.js')];
    const todayEntries = readdirSync(path.join(unbundled, 'functions'))
      .filter((name) => name.endsWith('.js'))
      .sort()
      .map((name) => path.join(unbundled, 'functions', name));
    const oursRuns: LoadResult[] = [];
    const todayRuns: LoadResult[] = [];
    for (let i = 0; i < options.runs; i++) {
      // Alternated, so that a noisy neighbour slows both alike.
      oursRuns.push(loadEntryPoints(oursEntries, unpacked, workerModules));
      todayRuns.push(loadEntryPoints(todayEntries, root, workerModules));
    }
    const names = (r: LoadResult) => r.functions.map((f) => f.name).sort();
    return {
      ours: {
        zipBytes: ours.zipBytes,
        files: ours.files.length,
        unpackedBytes: ours.files.reduce((n, f) => n + f.bytes, 0),
        bundledModules: ours.bundledModules,
      },
      today: { files: todayFiles.length, unpackedBytes: todayBytes, zipBytes: todayZip },
      coldLoad: {
        runs: options.runs,
        oursMs: median(oursRuns.map((r) => r.loadMs)),
        todayMs: median(todayRuns.map((r) => r.loadMs)),
        oursCpuMs: median(oursRuns.map((r) => r.loadCpuMs)),
        todayCpuMs: median(todayRuns.map((r) => r.loadCpuMs)),
        oursProcessMs: median(oursRuns.map((r) => r.processMs)),
        todayProcessMs: median(todayRuns.map((r) => r.processMs)),
        functionsRegistered: { ours: names(oursRuns[0]), today: names(todayRuns[0]) },
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(unbundled, { recursive: true, force: true });
  }
}
