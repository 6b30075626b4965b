/**
 * Test-only helpers for the simulator core: start a simulator with the shared certificate, get tokens with
 * the real ClientSecretCredential, call the Exchange admin API as the app does, (fixtures: ./fixtures).
 * The test process must trust the certificate (NODE_EXTRA_CA_CERTS=.local/certs/simulator-cert.pem, as
 * `npm test` sets it).
 */
import * as path from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { ensureCertificate } from '../../lib/simulator/certificate';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../lib/simulator';

export const CERT_DIR = path.resolve(__dirname, '../../.local/certs');

/**
 * The simulator's certificate, made once per run. The test process must trust it (test/run.js sets
 * NODE_EXTRA_CA_CERTS): a machine-wide value names another file, and sign-in would fail with MSAL's
 * endpoints_resolution_error instead of this line.
 */
export async function testCertificate() {
  const certificate = await ensureCertificate(CERT_DIR);
  const trusted = process.env.NODE_EXTRA_CA_CERTS;
  if (!trusted || path.resolve(trusted) !== certificate.certPath) {
    throw new Error(
      `NODE_EXTRA_CA_CERTS is ${trusted ? `${trusted}, not the simulator's certificate` : 'not set'}: ` +
        'run the tests with `npm test` (test/run.js points it at the certificate).',
    );
  }
  return certificate;
}

/** A simulator for one test, serving https with the run's certificate. */
export async function startTestSimulator(options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  const certificate = await testCertificate();
  return startSimulator({ certificate, ...options });
}

export function credentialFor(
  sim: Simulator,
  overrides: { tenantId?: string; clientId?: string; secret?: string } = {},
) {
  return new ClientSecretCredential(
    overrides.tenantId ?? sim.tenantId,
    overrides.clientId ?? sim.clientId,
    overrides.secret ?? sim.clientSecret,
    { authorityHost: sim.urls.login, disableInstanceDiscovery: true },
  );
}

export async function tokenFor(sim: Simulator, service: 'exchange' | 'graph' | 'acs'): Promise<string> {
  const token = await credentialFor(sim).getToken(`${sim.urls[service]}/.default`);
  return token.token;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function call(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const res = await fetch(url, init);
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, bytes, text, json };
}

/** POST InvokeCommand as the app does; `parameters` goes verbatim (null included). */
export function invoke(sim: Simulator, token: string | undefined, cmdlet: string, parameters: unknown = {}) {
  return call(`${sim.urls.exchange}/adminapi/beta/${sim.tenantId}/InvokeCommand`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } }),
  });
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
