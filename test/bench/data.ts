/**
 * Generated quarantine for the benchmark: a realistic mix of inbound spam and phish and outbound mail flow
 * rule and DLP holds, several recipients per message (one Get-QuarantineMessage row per recipient), spread
 * over the 30 days Exchange keeps. Deterministic: the same seed gives the same tenant.
 */
import { DAY, MINUTE } from '../../lib/core/clock';
import type { NewMessage, QuarantineType, ScenarioApi } from '../../lib/simulator';

/** mulberry32: small, fast, good enough to pick mixes. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Share of messages by quarantine type; outbound ones are the mail flow rule and DLP holds. */
const MIX: [QuarantineType, number, 'Inbound' | 'Outbound'][] = [
  ['Spam', 0.38, 'Inbound'],
  ['Bulk', 0.1, 'Inbound'],
  ['Phish', 0.1, 'Inbound'],
  ['HighConfPhish', 0.05, 'Inbound'],
  ['Malware', 0.02, 'Inbound'],
  ['TransportRule', 0.22, 'Outbound'],
  ['DataLossPrevention', 0.13, 'Outbound'],
];

const EXTERNAL = [
  'fabrikam.example',
  'adatum.example',
  'northwind.example',
  'tailspin.example',
  'litware.example',
];
const SUBJECTS = [
  'Invoice {n} overdue - action required',
  'Quarterly figures (draft {n})',
  'Your parcel {n} could not be delivered',
  'Re: contract renewal {n}',
  'Payroll export {n}.xlsx',
  'Customer list for campaign {n}',
  'Password expires today - confirm account {n}',
  'Board pack {n} (confidential)',
];

export interface GeneratedMessage {
  networkMessageId: string;
  direction: 'Inbound' | 'Outbound';
  rows: number;
  /** Unique per message (it carries the message's number): how an email names it. */
  subject: string;
  sender: string;
  recipients: string[];
}

export class Generator {
  private readonly next: () => number;
  private counter = 0;
  readonly messages: GeneratedMessage[] = [];
  rows = 0;

  constructor(
    private readonly scenario: ScenarioApi,
    seed = 7,
  ) {
    this.next = random(seed);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  private user(): string {
    return `user${Math.floor(this.next() * 2000)}@contoso.com`;
  }

  private external(): string {
    return `person${Math.floor(this.next() * 5000)}@${this.pick(EXTERNAL)}`;
  }

  /** Adds messages until the quarantine holds `targetRows` more rows; `receivedAt` picks each message's time. */
  addRows(targetRows: number, receivedAt: () => Date): void {
    let added = 0;
    while (added < targetRows) {
      let roll = this.next();
      let chosen = MIX[0];
      for (const entry of MIX) {
        chosen = entry;
        if ((roll -= entry[1]) < 0) break;
      }
      const [type, , direction] = chosen;
      const n = ++this.counter;
      const count = Math.min(
        targetRows - added,
        1 + Math.floor(this.next() * (direction === 'Inbound' ? 4 : 5)),
      );
      const recipients = Array.from({ length: count }, () =>
        direction === 'Inbound' || this.next() < 0.7
          ? direction === 'Inbound'
            ? this.user()
            : this.external()
          : this.user(),
      );
      const received = receivedAt();
      const message: NewMessage = {
        sender: direction === 'Outbound' ? this.user() : this.external(),
        recipients: [...new Set(recipients)],
        subject: this.pick(SUBJECTS).replace('{n}', String(n)),
        type,
        direction,
        receivedAt: received,
        // Tenants commonly keep everything 30 days; nothing expires during the run.
        expiresAt: new Date(received.getTime() + 30 * DAY),
        size: 2_000 + Math.floor(this.next() * 400_000),
      };
      const { networkMessageId, identities } = this.scenario.addMessage(message);
      this.messages.push({
        networkMessageId,
        direction,
        rows: identities.length,
        subject: message.subject!,
        sender: message.sender,
        recipients: message.recipients,
      });
      added += identities.length;
    }
    this.rows += added;
  }

  /** Received some time in the last 29 days (the backfill's window is 30 days less a margin). */
  spreadOverMonth(now: Date): () => Date {
    return this.spreadOverDays(now, 29);
  }

  /** Received some time in the `days` before `now`. */
  spreadOverDays(now: Date, days: number): () => Date {
    return () => new Date(now.getTime() - 2 * MINUTE - Math.floor(this.next() * days * DAY));
  }

  /** `count` distinct messages to release: mostly outbound ones, some inbound (admins release those too). */
  pickReleases(count: number): GeneratedMessage[] {
    const outbound = this.messages.filter((m) => m.direction === 'Outbound');
    const inbound = this.messages.filter((m) => m.direction === 'Inbound');
    const wantOutbound = Math.min(outbound.length, Math.round(count * 0.7));
    const chosen = [
      ...this.sample(outbound, wantOutbound),
      ...this.sample(inbound, Math.min(inbound.length, count - wantOutbound)),
    ];
    return chosen;
  }

  private sample<T>(items: T[], count: number): T[] {
    const copy = [...items];
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(this.next() * (copy.length - i));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, count);
  }

  releaser(): string {
    return this.next() < 0.03 ? 'system' : `admin${1 + Math.floor(this.next() * 5)}@contoso.com`;
  }
}
