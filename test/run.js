#!/usr/bin/env node
// `npm test`: the simulator serves https with a certificate of its own, and Node reads
// NODE_EXTRA_CA_CERTS only when a process starts. So: make the certificate first, then start jest
// with the variable set. Arguments after `npm test --` go to jest.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

async function main() {
  const root = path.resolve(__dirname, '..');
  const { ensureCertificate } = require(path.join(root, 'dist/lib/simulator/certificate.js'));
  const { certPath } = await ensureCertificate(path.join(root, '.local/certs'));
  const jest = require.resolve('jest/bin/jest');
  const result = spawnSync(process.execPath, [jest, ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath },
  });
  process.exit(result.status ?? 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
