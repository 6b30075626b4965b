/**
 * The repository stands alone: a clone with nothing beside it must build, run and test. So no code, test
 * or script reaches a path outside it, and comments cite the repository's own documents.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const SCANNED = ['lib', 'functions', 'test', 'infra', '.ci', 'package.json', 'jest.config.js', 'azure.yaml'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'fixtures', '.local']);

function filesUnder(entry: string): string[] {
  const full = path.join(ROOT, entry);
  if (!statSync(full, { throwIfNoEntry: false })) return [];
  if (statSync(full).isFile()) return [full];
  return readdirSync(full, { withFileTypes: true }).flatMap((d) =>
    SKIPPED_DIRS.has(d.name) ? [] : filesUnder(path.join(entry, d.name)),
  );
}

const sources = SCANNED.flatMap(filesUnder).filter((f) =>
  /\.(ts|js|mjs|json|ya?ml|sh|ps1|bicep)$|\/run$/.test(f),
);
const relativeToRoot = (f: string) => path.relative(ROOT, f);

describe('the repository stands alone', () => {
  it('GIVEN every source, test and script WHEN read THEN none names the team folder beside the clone', () => {
    const offenders = sources.filter((f) => /\.\.\/(\.\.\/)*shared\b/.test(readFileSync(f, 'utf8')));
    expect(offenders.map(relativeToRoot)).toEqual([]);
  });

  it('GIVEN every relative import and __dirname path WHEN resolved THEN it stays inside the repository', () => {
    const escaping: string[] = [];
    const pattern =
      /(?:from\s+|require\(|import\(|jest\.mock\(|path\.(?:resolve|join)\(__dirname,\s*)(['"])(\.\.?\/[^'"]*[A-Za-z][^'"]*)\1/g;
    for (const file of sources.filter((f) => /\.(ts|js|mjs)$/.test(f))) {
      for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
        const target = path.resolve(path.dirname(file), match[2]);
        if (!target.startsWith(ROOT + path.sep)) escaping.push(`${relativeToRoot(file)}: ${match[2]}`);
      }
    }
    expect(escaping).toEqual([]);
  });

  it('GIVEN the code and the infrastructure WHEN their comments cite a document THEN it is one in docs/', () => {
    const foreign = /design decisions?\s+\d|wire-facts|\bissue\s+#?\d+\b|§\s*\d/i;
    const offenders = sources
      .filter((f) => !f.includes(`${path.sep}test${path.sep}`))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relativeToRoot(f)}:${i + 1}` }))
          .filter(({ line }) => foreign.test(line))
          .map(({ at }) => at),
      );
    expect(offenders).toEqual([]);
  });

  it('GIVEN a comment citing a heading of the architecture document WHEN the document is read THEN the anchor exists', () => {
    const architecture = readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
    const anchors = new Set(
      [...architecture.matchAll(/^#{2,3}\s+(.+)$/gm)].map((m) =>
        m[1]
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/\s+/g, '-'),
      ),
    );
    const cited = sources.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/docs\/architecture\.md#([a-z0-9-]+)/g)].map((m) => ({
        anchor: m[1],
        at: relativeToRoot(f),
      })),
    );
    expect(cited.filter(({ anchor }) => !anchors.has(anchor))).toEqual([]);
  });
});
