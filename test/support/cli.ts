import { Writable } from 'node:stream';
import { ClientSecretCredential } from '@azure/identity';
import { runCli, type CliIo } from '../../lib/entrypoints/cli/main';
import type { Simulator } from '../../lib/simulator';
import type { World } from './world';

/** A stream that remembers what was written to it. */
export function collector(): Writable & { text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'utf8'));
      callback();
    },
  });
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString('utf8') });
}

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `qrn <argv>` in process, against the world's settings (with `settings` over them). */
export async function qrn(
  world: World,
  argv: string[],
  options: { settings?: Record<string, string>; io?: Partial<CliIo> } = {},
): Promise<CliOutcome> {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(argv, {
    stdout,
    stderr,
    env: world.env(options.settings),
    overrides: { clock: world.clock, logger: world.logger },
    adminCredential: adminCredential(world.simulator),
    sleep: async () => undefined,
    ...options.io,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** The administrator's sign-in in the simulated tenant (the tool `qrn permissions` runs with). */
export function adminCredential(sim: Simulator): ClientSecretCredential {
  return new ClientSecretCredential(sim.tenantId, sim.adminClientId, sim.adminClientSecret, {
    authorityHost: sim.urls.login,
    disableInstanceDiscovery: true,
  });
}

/** Every permission of the app withheld: a tenant where nobody has granted anything yet. */
export const NO_PERMISSIONS = {
  exchangeManageAsApp: false,
  securityReader: false,
  auditLogsQuery: false,
  domainRead: false,
  mailSend: false,
  mailboxSettingsRead: false,
};

/** A minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF or LF inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
