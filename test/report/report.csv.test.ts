/**
 * The report's CSV in every Excel locale (docs/security.md, CSV formula injection): Excel splits a
 * double-clicked CSV on the machine's list separator (`,` or `;`) and a pasted one on tabs, and runs any
 * resulting cell that starts with a formula sign. Whatever a phisher writes in a subject, no cell of any
 * such split may start one, and nothing but the defusing apostrophes is added or lost.
 */
import fc from 'fast-check';
import { csvCell, formatReport, type ReportLine } from '../../lib/report/report';
import { parseCsv } from '../support/cli';

const FORMULA_START = /^[=+\-@\uff1d\uff0b\uff0d\uff20]/;
/** What Excel passes over before it looks at a cell's first sign. */
const SKIPPED = /^[\s\u00a0"]+/;
/** Every way a line of the file may be cut into cells: each list separator, then the lines. */
const SPLITS = [',', ';', '\t'];

function line(overrides: Partial<ReportLine>): ReportLine {
  return {
    releasedAt: '2026-03-02T13:40:05Z',
    releasedBy: 'admin@contoso.com',
    sender: 'megan.bowen@contoso.com',
    originalRecipients: ['buyer@fabrikam.example'],
    releasedTo: 'buyer@fabrikam.example',
    subject: 'Q2 framework agreement',
    type: 'TransportRule',
    policy: 'Outbound confidential',
    status: 'notified',
    reason: '',
    reasonCode: '',
    notifiedAt: '2026-03-02T13:41:00Z',
    networkMessageId: '7c1f8f0e-0000-4000-8000-000000000001',
    ...overrides,
  };
}

async function csvOf(lines: ReportLine[]): Promise<string> {
  async function* each() {
    yield* lines;
  }
  let text = '';
  for await (const chunk of formatReport(each(), 'csv')) text += chunk;
  return text.replace(/^\ufeff/, '');
}

/** The cells of every split a spreadsheet might make, each past what Excel skips. */
function cellsOfEverySplit(csv: string): string[] {
  return csv
    .split(/\r\n|\r|\n/)
    .flatMap((row) => SPLITS.flatMap((separator) => row.split(separator)))
    .map((cell) => cell.replace(SKIPPED, ''));
}

/** Subjects built from what matters here: separators, formula signs, what Excel skips, quotes, text. */
const hostileSubject = fc
  .array(
    fc.oneof(
      fc.constantFrom(',', ';', '\t', '\r\n', '\n', ' ', '\u00a0', '"', "'", '|'),
      fc.constantFrom('=', '+', '-', '@', '\uff1d', '\uff0b', '\uff0d', '\uff20'),
      fc.constantFrom('cmd', "' /C calc'!A0", 'SUM(A1:A9)', 'HYPERLINK("http://evil.example")', 'Invoice'),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(''));

describe('CSV in every Excel locale', () => {
  it('GIVEN the subject "Invoice;=cmd|\' /C calc\'!A0;" THEN no cell of the comma, semicolon or tab split starts a formula', async () => {
    const csv = await csvOf([line({ subject: "Invoice;=cmd|' /C calc'!A0;" })]);
    expect(csv).toContain(`"Invoice;'=cmd|' /C calc'!A0;"`);
    expect(cellsOfEverySplit(csv).filter((cell) => FORMULA_START.test(cell))).toEqual([]);
  });

  it('GIVEN a formula after leading spaces, a no-break space, a tab or a quote THEN it is defused too', () => {
    expect(csvCell('  =1+1')).toBe("  '=1+1");
    expect(csvCell('\u00a0@SUM(A1)')).toBe("\u00a0'@SUM(A1)");
    expect(csvCell('a,\t-2')).toBe("a,\t'-2");
    expect(csvCell('a; "+3')).toBe(`a; "'+3`);
    expect(csvCell('Q2 price list')).toBe('Q2 price list');
  });

  it('GIVEN every field THEN it is quoted, the empty ones too', async () => {
    const csv = await csvOf([line({ reason: '' })]);
    const row = csv.split('\r\n')[1];
    expect(row.startsWith('"2026-03-02 13:40:05","admin@contoso.com",')).toBe(true);
    expect(row.endsWith('"')).toBe(true);
    expect(row.split('","')).toHaveLength(12);
    expect(row).toContain(',"notified","","",');
  });

  it('PROPERTY: for any subject, sender and releaser, no cell of any split starts a formula, and the CSV reads back as the text plus apostrophes only', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileSubject,
        hostileSubject,
        hostileSubject,
        async (subject, sender, releasedBy) => {
          const csv = await csvOf([line({ subject, sender, releasedBy })]);
          expect(cellsOfEverySplit(csv).filter((cell) => FORMULA_START.test(cell))).toEqual([]);
          const [header, row] = parseCsv(csv);
          // eslint-disable-next-line no-control-regex
          const kept = (text: string) => text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
          const withoutApostrophes = (text: string) => text.replace(/'/g, '');
          expect(withoutApostrophes(row[header.indexOf('Subject')])).toBe(withoutApostrophes(kept(subject)));
          expect(withoutApostrophes(row[header.indexOf('Sender')])).toBe(withoutApostrophes(kept(sender)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
