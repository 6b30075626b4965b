/**
 * The one way tests read fixtures: payloads shaped like the real services' responses, kept in
 * test/fixtures/ (test/fixtures/README.md says where each shape comes from).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const FIXTURES_DIR = path.resolve(__dirname, '../fixtures');

export function fixturePath(relative: string): string {
  const found = path.resolve(FIXTURES_DIR, relative);
  if (!found.startsWith(FIXTURES_DIR + path.sep))
    throw new Error(`fixture ${relative} is outside test/fixtures`);
  if (!existsSync(found)) throw new Error(`fixture ${relative} not found in test/fixtures`);
  return found;
}

export function fixtureText(relative: string): string {
  return readFileSync(fixturePath(relative), 'utf8');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are read as loose JSON
export function fixtureJson<T = any>(relative: string): T {
  return JSON.parse(fixtureText(relative)) as T;
}

/** The six rows of the Get-QuarantineMessage fixture page. */
export function quarantineFixtureRows(): Record<string, unknown>[] {
  return fixtureJson<{ value: Record<string, unknown>[] }>('exchange/get-quarantinemessage.page.json').value;
}
