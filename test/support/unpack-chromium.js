#!/usr/bin/env node
// Unpacks the Chromium that the npm package @sparticuz/chromium ships (brotli-compressed: no download)
// into <cache folder>/chromium-<package version>, and prints the executable's path. Runs as a process
// of its own because the package unpacks into os.tmpdir(), which this process may point where it likes.
// Two test workers may unpack at once: each unpacks into a staging folder of its own and renames it into
// place, which succeeds for one of them only, so the version's folder is either absent or complete.
const { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } = require('node:fs');
const path = require('node:path');

async function unpack(cacheDir) {
  const entry = require.resolve('@sparticuz/chromium');
  // The package exports no package.json; it sits two folders above the entry (build/cjs/index.cjs).
  const { version } = JSON.parse(readFileSync(path.join(path.dirname(entry), '../../package.json'), 'utf8'));
  const folder = path.join(cacheDir, `chromium-${version}`);
  const executable = path.join(folder, 'chromium');
  if (existsSync(executable)) return executable;
  mkdirSync(cacheDir, { recursive: true });
  const staging = mkdtempSync(`${folder}.partial-`);
  try {
    process.env.TMPDIR = staging;
    const unpacked = await require(entry).executablePath();
    if (unpacked !== path.join(staging, 'chromium')) {
      throw new Error(`@sparticuz/chromium unpacked to ${unpacked}, not into ${staging}`);
    }
    try {
      renameSync(staging, folder);
    } catch (error) {
      // Another worker's rename won the race: its folder is complete, and this copy goes.
      if (!existsSync(executable)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return executable;
}

unpack(path.resolve(process.argv[2])).then(
  (executable) => process.stdout.write(executable),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
