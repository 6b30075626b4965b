/**
 * The demo's two tenants. The home tenant: the fixture rows' situations, placed relative to now, with admin
 * releases far enough in the past that their audit records are already visible, and a recent release by an
 * app through the admin API that only the quarantine's status shows yet. A customer tenant served beside it
 * (docs/architecture.md#many-tenants) with unified auditing turned off, where only the quarantine's status
 * can tell a sender.
 */
import { HOUR, MINUTE } from '../core/clock';
import type { ScenarioApi } from './scenario';

export function seedDemo(scenario: ScenarioApi): void {
  const ago = (ms: number) => new Date(scenario.now().getTime() - ms);

  // The least convenient service the wire facts allow, on by default in the demo (docs/wire-contract.md):
  // Exchange cuts every answer at three rows whatever Prefer asks, refuses every nextLink, leaves `value`
  // out of an empty answer and hides who a row was released to in the list, and ACS answers a reused
  // Operation-Id with the earlier operation. Each is a switch on the scenario API (POST /exchange/quirks,
  // POST /acs/quirks).
  scenario.setExchangeQuirks({
    cutPagesAt: 3,
    refuseNextLinks: true,
    emptyValue: 'absent',
    listHidesReleaseFields: true,
  });
  scenario.acs.setQuirks({ reusedIdAnswersEarlier: true });

  // Outbound mail held by a transport rule, to two external recipients (fixture rows 1-2).
  const priceList = scenario.addMessage({
    sender: 'megan.bowen@contoso.com',
    recipients: ['buyer@fabrikam.example', 'ap@fabrikam.example'],
    subject: 'Q1 price list (confidential)',
    type: 'TransportRule',
    policyName: 'Quarantine outbound confidential',
    receivedAt: ago(4 * HOUR),
    size: 48_213,
  });
  // Outbound DLP with HTML in the subject (row 3): attacker-shaped text must stay text.
  const patientList = scenario.addMessage({
    sender: 'alex.wilber@contoso.com',
    recipients: ['patient.records@northwind.example'],
    subject: 'Patient list <b>March</b> & "follow-ups"',
    type: 'DataLossPrevention',
    policyName: 'U.S. HIPAA Enhanced',
    receivedAt: ago(2 * HOUR),
    size: 120_877,
  });
  // Inbound spam (row 4).
  scenario.addMessage({
    sender: 'newsletter@offers.example',
    recipients: ['lidia.holloway@contoso.com'],
    subject: "You won't believe these deals",
    type: 'Spam',
    receivedAt: ago(14 * HOUR),
    size: 30_211,
  });
  // A row seen in the field (row 5): no sender, no recipients, reported Outbound.
  scenario.addMessage({
    sender: '',
    recipients: [],
    subject: 'Document 49KB (',
    type: 'HighConfPhish',
    direction: 'Outbound',
    receivedAt: ago(1 * HOUR),
    size: 93_651,
  });
  // Inbound phish spoofing an internal sender (row 6): Direction says Inbound although the domain is ours.
  scenario.addMessage({
    sender: 'ceo@contoso.com',
    recipients: ['finance@contoso.com'],
    subject: 'Urgent wire transfer',
    type: 'Phish',
    direction: 'Inbound',
    receivedAt: ago(5 * HOUR),
    size: 8_120,
  });

  // Outbound mail of a sender whose mailbox reads German (de-DE, W. Europe Standard Time), held by the
  // same rule and released: the demo outbox shows the notification in two languages.
  const offer = scenario.addMessage({
    sender: 'johanna.lorenz@contoso.com',
    recipients: ['einkauf@fabrikam.example'],
    subject: 'Angebot Rahmenvertrag Q2 (vertraulich)',
    type: 'TransportRule',
    policyName: 'Quarantine outbound confidential',
    receivedAt: ago(3 * HOUR),
    size: 35_402,
  });
  scenario.release({
    networkMessageId: offer.networkMessageId,
    by: 'adele.vance@contoso.com',
    at: ago(2 * HOUR + 10 * MINUTE),
  });

  // An automation tool released the DLP message through the admin API 20 minutes ago: its rows say
  // `ReleasedBy: SystemMailbox{…}`, `SystemReleased: false`, and its audit record is not visible yet. The
  // sender is told an administrator released it, from the quarantine's status alone.
  scenario.release({
    networkMessageId: patientList.networkMessageId,
    by: 'admin-api',
    at: ago(20 * MINUTE),
  });

  // An admin released the price list 2 hours ago; with 75 minutes of latency its records are visible now.
  scenario.release({
    networkMessageId: priceList.networkMessageId,
    by: 'adele.vance@contoso.com',
    at: ago(2 * HOUR + 20 * MINUTE),
  });
}

/** The demo's customer tenant: a GUID of its own, and the name the fleet page shows. */
export const DEMO_CUSTOMER_TENANT = {
  tenantId: '3f2b8c61-7d4e-4a9b-b1c5-0e6d9a2f4c87',
  displayName: 'Fabrikam (demo: auditing off)',
} as const;

/**
 * The customer tenant has unified audit log ingestion turned off: every audit query creation answers
 * AuditingDisabledTenant. An administrator released an outbound message an hour ago; its released rows are
 * all the app can see, and enough to tell the sender.
 */
export function seedDemoCustomer(scenario: ScenarioApi): void {
  const ago = (ms: number) => new Date(scenario.now().getTime() - ms);
  scenario.setAcceptedDomains(['fabrikam.com']);
  scenario.configureAuditQueries({ auditingDisabled: true });
  const invoice = scenario.addMessage({
    sender: 'nestor.wilke@fabrikam.com',
    recipients: ['accounts@tailspin.example'],
    subject: 'Invoice 2291 with bank details',
    type: 'TransportRule',
    policyName: 'Quarantine outbound bank details',
    receivedAt: ago(3 * HOUR),
    size: 22_904,
  });
  scenario.release({
    networkMessageId: invoice.networkMessageId,
    by: 'admin@fabrikam.com',
    at: ago(1 * HOUR),
  });
}
