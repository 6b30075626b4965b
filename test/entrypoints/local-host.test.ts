import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_CUSTOMER_TENANT } from '../../lib/simulator';

/**
 * `npm start -- --once` as a newcomer runs it, with no settings: one real process (the built program) in
 * an empty folder, against the bundled simulator and an in-memory Azurite.
 */
function runOnce(cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const program = path.resolve('dist/lib/entrypoints/local-host/main.js');
  return new Promise((resolve) => {
    // Only what a shell gives a newcomer: none of the test run's settings.
    const child = spawn(process.execPath, [program, '--once'], {
      cwd,
      env: { PATH: process.env.PATH, HOME: cwd },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface RunEventLine {
  job: string;
  outcome: string;
  failureClass: string | null;
  failure: string | null;
  tenantId?: string;
}

describe('npm start -- --once with no settings', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'qrn-start-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it("GIVEN the demo THEN the home tenant's jobs and the customer tenant's run each once, both tenants' senders are told, and it exits 0", async () => {
    const { code, stdout, stderr } = await runOnce(cwd);
    expect(code).toBe(0);
    // Only the log's warnings and errors (the demo's refused nextLinks, the customer's auditing off), no crash.
    for (const line of stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^\S+Z (WARN|ERROR) /);
    expect(stderr).toMatch(/ERROR +audit: unified audit logging is turned off/);
    const events = stdout
      .split('\n')
      .filter((l) => l.startsWith('qrn.runEvent '))
      .map((l) => JSON.parse(l.slice('qrn.runEvent '.length)) as RunEventLine);
    expect(events.map((e) => [e.tenantId ?? 'home', e.job, e.outcome, e.failureClass])).toEqual([
      ['home', 'snapshot', 'completed', null],
      ['home', 'notify', 'completed', null],
      [DEMO_CUSTOMER_TENANT.tenantId, 'snapshot', 'completed', null],
      [DEMO_CUSTOMER_TENANT.tenantId, 'notify', 'partial', 'auditing-off'],
    ]);
    expect(events[3].failure).toMatch(/AuditingDisabledTenant.*turn on unified audit log ingestion/);
    expect(stdout).toContain(`tenant ${DEMO_CUSTOMER_TENANT.tenantId}: ran`);
    expect(stdout).toContain('4 email(s) in the outbox:');
    expect(stdout).toMatch(/to nestor\.wilke@fabrikam\.com: Your held message "Invoice 2291/);
    expect(readdirSync(path.join(cwd, '.local', 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(4);
  }, 120_000);
});
