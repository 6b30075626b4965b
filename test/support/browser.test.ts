import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BROWSER_VARIABLE, BrowserMissing, findBrowser, launchBrowser } from './browser';

/**
 * Where the browser tests get their Chromium: a named one, a system one on PATH, else the one npm ci
 * installed (Linux x64). The package's browser is unpacked into a scratch cache here, so these tests show
 * the browser-less path even on a machine that has a system Chromium.
 */
const PACKAGED_HERE = process.platform === 'linux' && process.arch === 'x64';

describe('the browser the tests launch', () => {
  /** What this machine gives the browser suites (and, without any browser, the one line they fail with). */
  const installed = findBrowser();
  let scratch: string;

  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'qrn-browser-lookup-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** A "system Chromium" in its own folder: a script that starts the installed one. */
  function systemChromium(name: string): string {
    const dir = mkdtempSync(path.join(scratch, 'bin-'));
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\nexec '${installed}' "$@"\n`);
    chmodSync(file, 0o755);
    return file;
  }

  async function opensAPage(executable: string): Promise<number> {
    const browser = await launchBrowser(executable);
    try {
      const page = await browser.context.newPage();
      await page.setContent('<p style="width: 123px">release</p>');
      return (await page.evaluate('document.querySelector("p").getBoundingClientRect().width')) as number;
    } finally {
      await browser.close();
    }
  }

  it('GIVEN no browser on PATH THEN on Linux x64 the npm package’s Chromium is unpacked into the cache and opens a page, elsewhere one line says what to install', async () => {
    const cacheDir = path.join(scratch, 'cache');
    const lookup = () => findBrowser({ env: { PATH: '' }, cacheDir });
    if (!PACKAGED_HERE) {
      expect(lookup).toThrow(BrowserMissing);
      return;
    }
    const packaged = lookup();
    expect(path.dirname(path.dirname(packaged))).toBe(cacheDir);
    expect(readdirSync(cacheDir)).toEqual([path.basename(path.dirname(packaged))]);
    expect(await opensAPage(packaged)).toBe(123);
  });

  it('GIVEN a Chromium on PATH THEN it is launched, not the npm package’s', async () => {
    const system = systemChromium('chromium');
    const cacheDir = path.join(scratch, 'unused');
    const found = findBrowser({ env: { PATH: path.dirname(system) }, cacheDir });
    expect(found).toBe(system);
    expect(existsSync(cacheDir)).toBe(false);
    expect(await opensAPage(found)).toBe(123);
  });

  it(`GIVEN ${BROWSER_VARIABLE} names a browser THEN it wins over the one on PATH`, () => {
    const named = systemChromium('my-chrome');
    const onPath = systemChromium('google-chrome');
    expect(findBrowser({ env: { [BROWSER_VARIABLE]: named, PATH: path.dirname(onPath) } })).toBe(named);
  });

  it(`GIVEN ${BROWSER_VARIABLE} names no executable THEN one line says so`, () => {
    const missing = path.join(scratch, 'no-such-browser');
    const lookup = () => findBrowser({ env: { [BROWSER_VARIABLE]: missing, PATH: '' } });
    expect(lookup).toThrow(BrowserMissing);
    expect(lookup).toThrow(`${BROWSER_VARIABLE}=${missing} is not an executable file.`);
  });

  it('GIVEN no browser on PATH on a platform the npm package has no browser for THEN one line says what to install', () => {
    let error: unknown;
    try {
      findBrowser({
        env: { PATH: '' },
        platform: 'darwin',
        arch: 'arm64',
        cacheDir: path.join(scratch, 'unused'),
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BrowserMissing);
    const { message, stack } = error as Error;
    expect(message).toBe(
      `No browser for the browser tests on darwin-arm64: install Google Chrome or Chromium, or set ${BROWSER_VARIABLE} to its executable.`,
    );
    expect(stack).toBe(message);
  });

  it('GIVEN two test workers unpack into an empty cache at once THEN both get the same complete browser', async () => {
    const shared = path.join(scratch, 'shared-cache');
    const unpack = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(__dirname, 'unpack-chromium.js'), shared]);
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`unpack exited ${code}`))));
      });
    const [first, second] = await Promise.all([unpack(), unpack()]);
    expect(second).toBe(first);
    // Complete: the browser with the graphics library and fonts unpacked beside it.
    expect(readdirSync(path.dirname(first))).toEqual(
      expect.arrayContaining(['chromium', 'fonts', 'libGLESv2.so']),
    );
    // The loser's staging copy is gone: only the version's folder is left.
    expect(readdirSync(shared)).toEqual([path.basename(path.dirname(first))]);
  });
});
