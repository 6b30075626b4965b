import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The shared fixtures (../shared/fixtures beside the repository), or a copy under test/fixtures. */
export function fixturePath(relative: string): string {
  const candidates = [
    path.resolve(__dirname, '../fixtures', relative),
    path.resolve(__dirname, '../../../shared/fixtures', relative),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`fixture ${relative} not found in ${candidates.join(' or ')}`);
  return found;
}

export function fixtureText(relative: string): string {
  return readFileSync(fixturePath(relative), 'utf8');
}

export function fixtureJson<T = unknown>(relative: string): T {
  return JSON.parse(fixtureText(relative)) as T;
}

/** The six rows of the Get-QuarantineMessage fixture page. */
export function quarantineFixtureRows(): Record<string, unknown>[] {
  return fixtureJson<{ value: Record<string, unknown>[] }>('exchange/get-quarantinemessage.page.json').value;
}
