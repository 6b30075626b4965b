import { HOUR, MINUTE } from '../../../lib/core/clock';
import { formatReport, parseWhen, type ReportLine } from '../../../lib/report/report';
import { startWorld, type World } from '../../support/world';
import { parseCsv, qrn } from '../../support/cli';

const ADMIN = 'adele.vance@contoso.com';
const TRICKY_SUBJECTS = [
  'Prices, terms, and "final" offer',
  'Line one\r\nLine two\nLine three',
  '見積書「最終版」, Привет, مرحبا — ünïcödé 🚀',
  '=HYPERLINK("https://evil.example","click")',
];

/**
 * Four outbound messages released by an admin at different times, one inbound spam released by the system:
 * a snapshot, the audit latency, a notify run. Returns the message ids in that order.
 */
async function seedReleases(world: World): Promise<string[]> {
  const scenario = world.simulator.scenario;
  const ids: string[] = [];
  TRICKY_SUBJECTS.forEach((subject, i) => {
    const { networkMessageId } = scenario.addMessage({
      sender: i === 3 ? 'alex.wilber@eu.contoso.com' : 'megan.bowen@contoso.com',
      recipients: [`buyer${i}@fabrikam.example`],
      subject,
      type: 'TransportRule',
      policyName: 'Quarantine outbound confidential',
      receivedAt: new Date(world.clock.now().getTime() - 10 * HOUR),
    });
    scenario.release({
      networkMessageId,
      by: ADMIN,
      at: new Date(world.clock.now().getTime() - (8 - i) * HOUR),
    });
    ids.push(networkMessageId);
  });
  const spam = scenario.addMessage({
    sender: 'newsletter@offers.example',
    recipients: ['lidia.holloway@contoso.com'],
    subject: "You won't believe these deals",
    type: 'Spam',
    receivedAt: new Date(world.clock.now().getTime() - 10 * HOUR),
  });
  scenario.release({
    networkMessageId: spam.networkMessageId,
    by: 'system',
    at: new Date(world.clock.now().getTime() - HOUR),
  });
  ids.push(spam.networkMessageId);
  await world.app.runSnapshot();
  world.clock.advance(80 * MINUTE);
  await world.app.runNotify();
  return ids;
}

describe('qrn report: who released what, for whom', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ settings: { MAX_EMAILS_PER_RUN: '50' } });
    await seedReleases(world);
  });
  afterAll(async () => world?.close());

  it('GIVEN releases THEN the table shows every column, one line per release, and a count', async () => {
    const out = await qrn(world, ['report']);
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^Released at \(UTC\) +Released by +Sender +Original recipients +Released to +Subject +Type +Policy +Status and reason +Notified at \(UTC\)$/,
    );
    expect(lines).toHaveLength(2 + 5 + 1);
    expect(lines.at(-1)).toBe('5 releases');
    expect(out.stdout).toContain('skipped: sender outside the tenant');
    expect(out.stdout).toContain('System release');
    // A line break in a subject must not break the table (nor any control character reach the terminal).
    expect(lines.filter((l) => l.includes('Line one'))).toEqual([
      expect.stringContaining('Line one Line two Line three'),
    ]);
  });

  it('GIVEN --format csv THEN Excel gets a UTF-8 BOM, CRLF rows, every field quoted, and subjects with commas, quotes, line breaks and non-Latin text come back intact', async () => {
    const out = await qrn(world, ['report', '--format', 'csv']);
    expect(out.code).toBe(0);
    expect(
      out.stdout.startsWith(
        '\ufeff"Released at (UTC)","Released by","Sender","Original recipients","Released to","Subject","Type","Policy","Status","Reason","Reason code","Notified at (UTC)"\r\n',
      ),
    ).toBe(true);
    expect(out.stdout.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(out.stdout.slice(1));
    expect(header).toHaveLength(12);
    expect(rows).toHaveLength(5);
    const subject = header.indexOf('Subject');
    const subjects = rows.map((r) => r[subject]);
    expect(subjects).toEqual(
      expect.arrayContaining([
        TRICKY_SUBJECTS[0],
        TRICKY_SUBJECTS[1],
        TRICKY_SUBJECTS[2],
        // A formula is defused: Excel shows the text, never runs it.
        `'${TRICKY_SUBJECTS[3]}`,
      ]),
    );
    expect(out.stdout).toContain('"Prices, terms, and ""final"" offer"');
    const row = rows.find((r) => r[subject] === TRICKY_SUBJECTS[0]) as string[];
    expect(row[header.indexOf('Released by')]).toBe(ADMIN);
    expect(row[header.indexOf('Original recipients')]).toBe('buyer0@fabrikam.example');
    expect(row[header.indexOf('Status')]).toBe('notified');
    expect(row[header.indexOf('Released at (UTC)')]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(row[header.indexOf('Policy')]).toBe('Quarantine outbound confidential (ExchangeTransportRule)');
    const skipped = rows.find((r) => r[header.indexOf('Status')] === 'skipped') as string[];
    expect(skipped[header.indexOf('Reason')]).toBe('sender outside the tenant');
    expect(skipped[header.indexOf('Reason code')]).toBe('sender-outside');
  });

  it('GIVEN --format json THEN a JSON array of the same columns', async () => {
    const out = await qrn(world, ['report', '--format', 'json']);
    expect(out.code).toBe(0);
    const rows = JSON.parse(out.stdout) as ReportLine[];
    expect(rows).toHaveLength(5);
    expect(rows.map((r) => r.subject)).toContain(TRICKY_SUBJECTS[2]);
    expect(Object.keys(rows[0])).toEqual([
      'releasedAt',
      'releasedBy',
      'sender',
      'originalRecipients',
      'releasedTo',
      'subject',
      'type',
      'policy',
      'status',
      'reason',
      'reasonCode',
      'notifiedAt',
      'networkMessageId',
    ]);
    // The sentence for people, the code beside it for a filter.
    expect(rows.find((r) => r.status === 'skipped')).toMatchObject({
      reason: 'sender outside the tenant',
      reasonCode: 'sender-outside',
    });
  });

  it('GIVEN filters THEN --status, --since, --until and --sender (address or domain) narrow the rows', async () => {
    const json = async (...args: string[]) => {
      const out = await qrn(world, ['report', '--format', 'json', ...args]);
      expect(out.code).toBe(0);
      return JSON.parse(out.stdout) as ReportLine[];
    };
    expect((await json('--status', 'skipped')).map((r) => r.sender)).toEqual(['newsletter@offers.example']);
    expect(await json('--status', 'notified')).toHaveLength(4);
    // Releases at 08:00, 09:00, 10:00 and 11:00, the system one at 15:00; now is a little after 17:20.
    expect(await json('--since', '7h')).toHaveLength(2);
    expect(await json('--since', '8h')).toHaveLength(3);
    expect(await json('--until', '8h')).toHaveLength(2);
    expect(await json('--since', '9h', '--until', '8h')).toHaveLength(1);
    expect((await json('--sender', 'contoso.com')).map((r) => r.sender).sort()).toEqual([
      'alex.wilber@eu.contoso.com',
      'megan.bowen@contoso.com',
      'megan.bowen@contoso.com',
      'megan.bowen@contoso.com',
    ]);
    expect(await json('--sender', 'Alex.Wilber@eu.contoso.com')).toHaveLength(1);
    expect(await json('--sender', '@eu.contoso.com', '--status', 'notified')).toHaveLength(1);
    // The world starts at 2026-03-02T16:00Z: an ISO date without a zone is UTC.
    expect(await json('--since', '2026-03-02T10:00')).toHaveLength(3);
    expect(await json('--since', '2026-03-02T09:00', '--until', '2026-03-02T10:00')).toHaveLength(1);
  });

  it('GIVEN malformed filters THEN exit 2 with a message naming the option', async () => {
    const since = await qrn(world, ['report', '--since', 'last week']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since "last week" is neither a duration');
    const status = await qrn(world, ['report', '--status', 'released']);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('--status "released" is not one of pending, notified');
    const format = await qrn(world, ['report', '--format', 'xlsx']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format "xlsx" is not one of table, csv, json.');
    const backwards = await qrn(world, ['report', '--since', '1h', '--until', '2h']);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('--since must be earlier than --until.');
  });

  it('GIVEN --help THEN the filters and formats are described', async () => {
    const out = await qrn(world, ['report', '--help']);
    expect(out.code).toBe(0);
    for (const option of [
      '--since <when>',
      '--until <when>',
      '--status <status>',
      '--sender <address>',
      '--format <format>',
    ]) {
      expect(out.stdout).toContain(option);
    }
  });
});

describe('the report streams', () => {
  it('GIVEN an endless source THEN CSV chunks come out before the source ends (nothing waits for the whole table)', async () => {
    let produced = 0;
    async function* endless(): AsyncIterable<ReportLine> {
      for (;;) {
        produced++;
        yield {
          releasedAt: '2026-03-02T10:00:00Z',
          releasedBy: 'admin@contoso.com',
          sender: 'megan.bowen@contoso.com',
          originalRecipients: ['a@fabrikam.example'],
          releasedTo: 'a@fabrikam.example',
          subject: `message ${produced}`,
          type: 'TransportRule',
          policy: '',
          status: 'notified',
          reason: '',
          reasonCode: '',
          notifiedAt: '',
          networkMessageId: `id-${produced}`,
        };
      }
    }
    const chunks: string[] = [];
    for await (const chunk of formatReport(endless(), 'csv')) {
      chunks.push(chunk);
      if (chunks.length === 4) break;
    }
    expect(chunks[3]).toContain('message 3');
    expect(produced).toBeLessThanOrEqual(4);
  });

  it('GIVEN durations and dates THEN --since reads both, dates without a zone as UTC', () => {
    const now = new Date('2026-03-02T12:00:00Z');
    expect(parseWhen('7d', now, '--since').toISOString()).toBe('2026-02-23T12:00:00.000Z');
    expect(parseWhen('12h', now, '--since').toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(parseWhen('2026-03-01', now, '--since').toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(parseWhen('2026-03-01T08:30', now, '--since').toISOString()).toBe('2026-03-01T08:30:00.000Z');
    expect(parseWhen('2026-03-01T08:30:00+01:00', now, '--since').toISOString()).toBe(
      '2026-03-01T07:30:00.000Z',
    );
  });
});
