import { formatReport, REPORT_FORMATS, type ReportLine } from '../../lib/report/report';
import { forTerminal, terminalText } from '../../lib/report/terminal-text';

const HOSTILE =
  'Invoice\u001b]8;;https://evil.example\u0007click\u001b[2J \u009b31m \u202egpj.exe\u2066x\u2069 \u200f\u061c over\rwrite';

const line: ReportLine = {
  releasedAt: '2026-03-02T10:00:00.000Z',
  releasedBy: 'adele.vance@contoso.com',
  sender: 'megan.bowen@contoso.com\u202e',
  originalRecipients: ['buyer@fabrikam.example'],
  releasedTo: 'buyer@fabrikam.example',
  subject: HOSTILE,
  type: 'TransportRule',
  policy: 'rule',
  status: 'notified',
  reason: '',
  reasonCode: '',
  notifiedAt: '2026-03-02T10:05:00.000Z',
  networkMessageId: '3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d',
};

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const chunk of chunks) out += chunk;
  return out;
}

async function* one(): AsyncIterable<ReportLine> {
  yield line;
}

const UNSAFE =
  // eslint-disable-next-line no-control-regex -- what must never reach a terminal
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/;

describe('report output written to a terminal', () => {
  test.each(REPORT_FORMATS)(
    'GIVEN a subject with escape sequences, C1 controls and bidi overrides WHEN the %s format goes to a terminal THEN none of them reaches it, and the subject is still recognisable',
    async (format) => {
      const raw = await collect(formatReport(one(), format));
      const shown = await collect(forTerminal(formatReport(one(), format), true));
      if (format !== 'table') expect(raw).toMatch(UNSAFE); // the format alone lets them through
      expect(shown).not.toMatch(UNSAFE);
      expect(shown).toContain('Invoice');
      if (format !== 'table') expect(shown).toContain('gpj.exe'); // the table cuts the subject to its column
    },
  );

  test('GIVEN output to a file or a pipe THEN it is written exactly as the format makes it', async () => {
    const raw = await collect(formatReport(one(), 'json'));
    expect(await collect(forTerminal(formatReport(one(), 'json'), false))).toBe(raw);
  });

  test('line ends and tabs are the formats’ own and stay', () => {
    expect(terminalText('a\tb\r\nc\nd')).toBe('a\tb\r\nc\nd');
    expect(terminalText('a\rb')).toBe('ab');
  });
});
