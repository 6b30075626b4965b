import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXIT, runCli } from '../../../lib/entrypoints/cli/main';

describe('the command line', () => {
  const cwd = process.cwd();
  let errors: string[];
  let output: string[];

  beforeEach(() => {
    process.chdir(mkdtempSync(path.join(tmpdir(), 'qrn-cli-'))); // no local.settings.json here
    errors = [];
    output = [];
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.join(' ')));
    jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void output.push(args.join(' ')));
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    });
    process.exitCode = undefined;
  });

  afterEach(() => {
    jest.restoreAllMocks();
    process.chdir(cwd);
    process.exitCode = undefined;
  });

  it('GIVEN no settings WHEN a job is run THEN it stops with exit code 2 and one message naming every missing setting', async () => {
    const code = await runCli(['snapshot']);
    expect(code).toBe(EXIT.usage);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^The app cannot start: \d+ settings are missing or invalid/);
    for (const name of ['AZURE_TENANT_ID', 'ACS_ENDPOINT', 'EMAIL_SENDER_ADDRESS'])
      expect(errors[0]).toContain(name);
  });

  it('GIVEN --help THEN every command is listed and the exit code is 0', async () => {
    expect(await runCli(['--help'])).toBe(EXIT.ok);
    const help = output.join('');
    expect(help).toContain('snapshot');
    expect(help).toContain('notify');
  });

  it('GIVEN an unknown command THEN the exit code is 2', async () => {
    expect(await runCli(['frobnicate'])).toBe(EXIT.usage);
  });
});
