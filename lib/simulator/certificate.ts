/**
 * The simulator's TLS certificate. The Azure SDKs refuse bearer tokens over http and the Graph client drops
 * the Authorization header for http URLs (docs/wire-contract.md, Azure platform), so the simulator serves
 * https on loopback with a self-signed certificate that clients trust through NODE_EXTRA_CA_CERTS=certPath.
 * Node reads that variable only when a process starts, so the certificate is created once and reused.
 */
import { promises as fs } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import * as path from 'node:path';
import { generate } from 'selfsigned';

export const CERT_FILE = 'simulator-cert.pem';
export const KEY_FILE = 'simulator-key.pem';

export interface SimulatorCertificate {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

/** Returns the certificate in `directory`, generating it first when absent, unreadable or expired. */
export async function ensureCertificate(directory: string): Promise<SimulatorCertificate> {
  const certPath = path.resolve(directory, CERT_FILE);
  const keyPath = path.resolve(directory, KEY_FILE);
  const existing = await readUsable(certPath, keyPath);
  if (existing) return existing;

  const notBeforeDate = new Date(Date.now() - 24 * 3600 * 1000); // a day of slack for skewed clocks
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + TEN_YEARS_MS),
    extensions: [
      // A CA flag lets OpenSSL accept the certificate as its own trust anchor in NODE_EXTRA_CA_CERTS.
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  await fs.mkdir(path.dirname(certPath), { recursive: true });
  await fs.writeFile(keyPath, pems.private, { mode: 0o600 });
  await fs.writeFile(certPath, pems.cert);
  return { certPath, keyPath, cert: pems.cert, key: pems.private };
}

async function readUsable(certPath: string, keyPath: string): Promise<SimulatorCertificate | undefined> {
  try {
    const [cert, key] = await Promise.all([fs.readFile(certPath, 'utf8'), fs.readFile(keyPath, 'utf8')]);
    const parsed = new X509Certificate(cert);
    // Regenerate a week before expiry rather than serve a certificate that dies mid-run.
    if (new Date(parsed.validTo).getTime() < Date.now() + 7 * 24 * 3600 * 1000) return undefined;
    return { certPath, keyPath, cert, key };
  } catch {
    return undefined;
  }
}
