import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The layering of docs/architecture.md#layers, read from the code: every relative import of lib/ and
 * functions/ (type-only imports and JSON included), parsed by the TypeScript compiler.
 */
const ROOT = path.resolve(__dirname, '..');

/** The layers from the bottom, as docs/architecture.md#layers lists them; a top-level file is a folder of its own. */
const LAYERS: readonly (readonly string[])[] = [
  ['lib/core'],
  ['lib/config', 'lib/mail'],
  ['lib/store', 'lib/sources', 'lib/fleet'],
  ['lib/jobs'],
  ['lib/composition.ts'],
  ['lib/ops', 'lib/report', 'lib/permissions', 'lib/console', 'lib/health', 'lib/doctor'],
  ['lib/simulator', 'lib/local'],
  ['lib/entrypoints'],
  ['functions'],
];

function filesUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return filesUnder(relative);
    return /\.(ts|json)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [relative] : [];
  });
}

/** The repository files a module imports (relative specifiers only: packages are not layers). */
function importsOf(file: string): string[] {
  if (file.endsWith('.json')) return [];
  const { importedFiles } = ts.preProcessFile(readFileSync(path.join(ROOT, file), 'utf8'), true, true);
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .flatMap((specifier) => {
      const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier));
      const found = [target, `${target}.ts`, `${target}/index.ts`].find(
        (candidate) => /\.(ts|json)$/.test(candidate) && existsSync(path.join(ROOT, candidate)),
      );
      return found && !found.endsWith('.css') ? [found.split(path.sep).join('/')] : [];
    });
}

function layerOf(file: string): number {
  const layer = LAYERS.findIndex((folders) =>
    folders.some((folder) => file === folder || file.startsWith(`${folder}/`)),
  );
  if (layer < 0) throw new Error(`${file} is in no layer: add its folder to docs/architecture.md#layers`);
  return layer;
}

const files = [...filesUnder('lib'), ...filesUnder('functions')];
const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** Every import cycle, each as the path that closes it (depth-first search over the import graph). */
function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    trail.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...trail.slice(trail.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    trail.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return found;
}

describe('the layering of lib/ and functions/', () => {
  it('GIVEN the import graph THEN it was read: every layer has modules, and some import others', () => {
    for (const folders of LAYERS)
      expect(files.filter((file) => folders.some((f) => file.startsWith(f)))).not.toEqual([]);
    expect([...graph.values()].flat().length).toBeGreaterThan(files.length);
  });

  it('GIVEN every module THEN it imports only from its own layer or the layers below', () => {
    const upward = [...graph].flatMap(([file, targets]) =>
      targets.filter((target) => layerOf(target) > layerOf(file)).map((target) => `${file} -> ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('GIVEN every module THEN no import leads back to it (no cycle, however long)', () => {
    expect(cycles().map((cycle) => cycle.join(' -> '))).toEqual([]);
  });
});
