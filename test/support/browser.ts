import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** The environment variable that names the browser the tests launch (a Chromium or Chrome executable). */
export const BROWSER_VARIABLE = 'QRN_TEST_BROWSER';

/** Names a system Chromium or Chrome goes by on PATH. */
const SYSTEM_BROWSERS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

const ROOT = path.resolve(__dirname, '../..');

/**
 * No browser can be had. Its message is the whole story (what to install), so its stack is the message
 * alone: jest prints one line, not a trace.
 */
export class BrowserMissing extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrowserMissing';
    this.stack = message;
  }
}

export interface BrowserLookup {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  arch: string;
  /** Where the npm package's browser is unpacked, in a folder named by the package's version. */
  cacheDir: string;
}

const here: BrowserLookup = {
  env: process.env,
  platform: process.platform,
  arch: process.arch,
  cacheDir: path.join(ROOT, '.local/chromium'),
};

/**
 * The Chromium the browser tests launch, in this order: the executable `QRN_TEST_BROWSER` names, a
 * system Chromium or Chrome on PATH, else the one `npm ci` installed with @sparticuz/chromium (Linux
 * x64 only), unpacked once into `.local/chromium`. Nothing is downloaded. Synchronous, so a suite that
 * calls it while jest collects its tests fails once, with the one line of BrowserMissing.
 */
export function findBrowser(lookup: Partial<BrowserLookup> = {}): string {
  const { env, platform, arch, cacheDir } = { ...here, ...lookup };
  const named = env[BROWSER_VARIABLE];
  if (named) {
    if (!isExecutable(named))
      throw new BrowserMissing(`${BROWSER_VARIABLE}=${named} is not an executable file.`);
    return named;
  }
  const onPath = findOnPath(env.PATH ?? '', platform);
  if (onPath) return onPath;
  if (platform === 'linux' && arch === 'x64') return unpackPackagedChromium(cacheDir);
  throw new BrowserMissing(
    `No browser for the browser tests on ${platform}-${arch}: install Google Chrome or Chromium, ` +
      `or set ${BROWSER_VARIABLE} to its executable.`,
  );
}

function findOnPath(searchPath: string, platform: NodeJS.Platform): string | undefined {
  const suffix = platform === 'win32' ? '.exe' : '';
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    for (const name of SYSTEM_BROWSERS) {
      const candidate = path.join(dir, name + suffix);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The unpack runs in a process of its own: see unpack-chromium.js. */
function unpackPackagedChromium(cacheDir: string): string {
  const unpack = spawnSync(process.execPath, [path.join(__dirname, 'unpack-chromium.js'), cacheDir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (unpack.status !== 0) {
    const reason = (unpack.stderr || String(unpack.error)).trim().split('\n')[0];
    throw new BrowserMissing(
      `Could not unpack the browser of @sparticuz/chromium (${reason}): run npm ci, install Chromium, ` +
        `or set ${BROWSER_VARIABLE} to a browser's executable.`,
    );
  }
  return unpack.stdout;
}

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile, talking to nothing but the servers a test starts. */
export async function launchBrowser(executablePath: string): Promise<TestBrowser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'qrn-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
