import fc from 'fast-check';
import { MINUTE } from '../../lib/core/clock';
import { createFleet, type Fleet } from '../../lib/composition';
import { fleetRunDeps, runTenant } from '../../lib/ops/tenant-runs';
import { parseReportQuery, reportLines, type ReportLine } from '../../lib/report/report';
import { parseCsv, qrn } from '../support/cli';
import { startWorld, type World } from '../support/world';

/**
 * Several customer tenants whose quarantines share NetworkMessageIds, senders and subjects: whatever is
 * released where, no read, join, email or report answer of one tenant ever carries another's message,
 * and each tenant's email goes only to its own accepted domains, from its own sender.
 */
const TENANTS = [
  {
    id: '8b7c0e52-3f1a-4c1e-9a55-2f0d9c1b7e41',
    domains: ['contoso.com'],
    sender: 'DoNotReply@alerts.tenant-a.example',
  },
  {
    id: '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    domains: ['fabrikam.com'],
    sender: 'DoNotReply@alerts.tenant-b.example',
  },
  {
    id: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b',
    domains: ['contoso.com', 'fabrikam.com'],
    sender: 'DoNotReply@alerts.tenant-c.example',
  },
];
const SHARED_MESSAGE_IDS = [
  '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d',
  '7c1d2e3f-4a5b-4c6d-8e7f-08de0a1b4e5f',
  'a1b2c3d4-e5f6-4a7b-8c9d-08de0a1b6a7b',
];
const SHARED_SENDERS = ['megan.bowen@contoso.com', 'alex.wilber@fabrikam.com', 'nestor.wilke@contoso.com'];
const SHARED_SUBJECTS = ['Q1 price list', 'Contract draft', 'Invoice 4711'];

/** Each tenant's messages go to outside recipients of its own, so a mixed answer shows whose it was. */
const recipientOf = (tenant: number, k: number) => `partner${k}@outside-${tenant}.example`;

interface Message {
  tenant: number;
  messageId: number;
  sender: number;
  subject: number;
  released: boolean;
}

const messages = fc.uniqueArray(
  fc.record({
    tenant: fc.integer({ min: 0, max: TENANTS.length - 1 }),
    messageId: fc.integer({ min: 0, max: SHARED_MESSAGE_IDS.length - 1 }),
    sender: fc.integer({ min: 0, max: SHARED_SENDERS.length - 1 }),
    subject: fc.integer({ min: 0, max: SHARED_SUBJECTS.length - 1 }),
    released: fc.boolean(),
  }),
  { selector: (m) => `${m.tenant}/${m.messageId}`, minLength: 2, maxLength: 8 },
);

const domainOf = (address: string) => address.slice(address.indexOf('@') + 1).toLowerCase();

async function runScenario(scenario: Message[]): Promise<void> {
  const world: World = await startWorld({ fleetTenants: TENANTS.map((t) => t.id) });
  const fleet: Fleet = createFleet(world.env(), { clock: world.clock, logger: world.logger });
  try {
    world.simulator.scenario.acs.setSenderAddresses([
      world.simulator.senderAddress,
      ...TENANTS.map((t) => t.sender),
    ]);
    await fleet.tenants.ensure();
    for (const [i, tenant] of TENANTS.entries()) {
      world.simulator.fleet.tenant(tenant.id).setAcceptedDomains(tenant.domains);
      await fleet.tenants.add({
        tenantId: tenant.id,
        displayName: `Tenant ${i}`,
        settings: { EMAIL_SENDER_ADDRESS: tenant.sender },
      });
    }
    for (const m of scenario) {
      const tenant = world.simulator.fleet.tenant(TENANTS[m.tenant].id);
      tenant.addMessage({
        networkMessageId: SHARED_MESSAGE_IDS[m.messageId],
        sender: SHARED_SENDERS[m.sender],
        recipients: [recipientOf(m.tenant, m.messageId)],
        subject: SHARED_SUBJECTS[m.subject],
        type: 'TransportRule',
      });
      if (m.released)
        tenant.release({ networkMessageId: SHARED_MESSAGE_IDS[m.messageId], by: 'admin@contoso.com' });
    }
    world.clock.advance(80 * MINUTE);
    for (const tenant of TENANTS) {
      await runTenant(
        { tenantId: tenant.id, queuedAt: world.clock.now().toISOString() },
        fleetRunDeps(fleet, { clock: world.clock, logger: world.logger, emit: () => undefined }),
      );
    }

    // Emails: from a tenant's own sender, to its own domains, about its own messages only.
    const expected = new Set<string>();
    for (const m of scenario) {
      const t = TENANTS[m.tenant];
      if (m.released && t.domains.includes(domainOf(SHARED_SENDERS[m.sender]))) {
        expected.add(`${t.sender.toLowerCase()} -> ${SHARED_SENDERS[m.sender]}`);
      }
    }
    const emails = world.simulator.scenario.emails();
    expect(emails.map((e) => `${e.from.toLowerCase()} -> ${e.to[0].address}`).sort()).toEqual(
      [...expected].sort(),
    );
    for (const email of emails) {
      const t = TENANTS.findIndex((x) => x.sender.toLowerCase() === email.from.toLowerCase());
      expect(email.to.every((to) => TENANTS[t].domains.includes(domainOf(to.address)))).toBe(true);
      const mentioned = [...(email.plainText ?? '').matchAll(/outside-(\d)\.example/g)].map((x) =>
        Number(x[1]),
      );
      expect(mentioned.length).toBeGreaterThan(0);
      expect(mentioned.every((n) => n === t)).toBe(true);
    }

    // Reads and joins: each tenant's report holds its own releases, joined to its own messages.
    for (const [i, tenant] of TENANTS.entries()) {
      const app = await fleet.openTenant((await fleet.tenants.get(tenant.id))!);
      const lines: ReportLine[] = [];
      for await (const line of reportLines(app.releases, parseReportQuery({}, world.clock.now())))
        lines.push(line);
      const own = scenario.filter((m) => m.tenant === i && m.released);
      expect(lines.map((l) => l.networkMessageId).sort()).toEqual(
        own.map((m) => SHARED_MESSAGE_IDS[m.messageId]).sort(),
      );
      for (const line of lines) {
        const m = own.find((x) => SHARED_MESSAGE_IDS[x.messageId] === line.networkMessageId)!;
        expect([line.sender, line.subject, line.originalRecipients]).toEqual([
          SHARED_SENDERS[m.sender],
          SHARED_SUBJECTS[m.subject],
          [recipientOf(i, m.messageId)],
        ]);
      }
      // The administrator's report of the tenant answers the same, and nothing of the others.
      const report = await qrn(world, ['report', '--tenant', tenant.id, '--format', 'csv']);
      expect(report.code).toBe(0);
      const rows = parseCsv(report.stdout.replace(/^\uFEFF/, '')).slice(1);
      expect(rows).toHaveLength(lines.length);
      expect(report.stdout).not.toMatch(new RegExp(`outside-(?!${i}\\.)\\d\\.example`));
    }
  } finally {
    for (const tenant of await fleet.tenants.list()) {
      await Promise.all(Object.values(fleet.tenantTables(tenant)).map((t) => t.deleteTable()));
    }
    await fleet.tenants.table.deleteTable();
    await world.close();
  }
}

describe('isolation between the tenants of one deployment', () => {
  it('GIVEN tenants sharing NetworkMessageIds, senders and subjects WHEN each runs its period THEN no email or report answer mixes two tenants, and each email goes from its tenant’s sender to its tenant’s domains', async () => {
    await fc.assert(fc.asyncProperty(messages, runScenario), { numRuns: 6 });
  }, 300_000);

  it('GIVEN the same NetworkMessageId released in two tenants with different senders THEN each tenant tells its own sender only', async () => {
    await runScenario([
      { tenant: 0, messageId: 0, sender: 0, subject: 0, released: true },
      { tenant: 1, messageId: 0, sender: 1, subject: 0, released: true },
      { tenant: 2, messageId: 0, sender: 2, subject: 1, released: false },
    ]);
  }, 60_000);
});
