import {
  apiNaming,
  cliNaming,
  parseReportFilters,
  reportFiltersSchema,
  ReportUsageError,
} from '../../lib/report/filters';

const NOW = new Date('2026-03-02T12:00:00Z');

function problem(input: Parameters<typeof parseReportFilters>[0]): ReportUsageError {
  try {
    parseReportFilters(input, NOW);
  } catch (error) {
    if (error instanceof ReportUsageError) return error;
    throw error;
  }
  throw new Error('the filters were accepted');
}

describe('the report filters (one schema for the CLI and the API)', () => {
  it('GIVEN good filters WHEN parsed THEN dates, status, sender and format are read; blanks mean no filter', () => {
    const parsed = reportFiltersSchema(NOW).safeParse({
      since: '7d',
      until: '2026-03-01',
      status: ' Failed ',
      sender: ' Contoso.COM ',
      format: 'CSV',
    });
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual({
      since: new Date('2026-02-23T12:00:00Z'),
      until: new Date('2026-03-01T00:00:00Z'),
      status: 'failed',
      sender: 'contoso.com',
      format: 'csv',
    });
    expect(reportFiltersSchema(NOW).parse({ since: '', status: ' ', sender: '' })).toEqual({});
  });

  it.each([
    ['since', { since: '7x' }],
    ['until', { until: 'yesterday' }],
    ['status', { status: 'done' }],
    ['format', { format: 'xml' }],
    ['since', { since: '1d', until: '2d' }],
  ])('GIVEN a bad %s WHEN safeParsed THEN the issue names that field', (field, input) => {
    const parsed = reportFiltersSchema(NOW).safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0].path).toEqual([field]);
  });

  it('GIVEN a bad status THEN the CLI words it with the option and the API with the bare field', () => {
    const error = problem({ status: 'done' });
    expect(error.field).toBe('status');
    expect(error.message).toBe(
      '--status "done" is not one of pending, notified, skipped, unmatched, failed.',
    );
    expect(error.wordedFor(cliNaming)).toBe(error.message);
    expect(error.wordedFor(apiNaming)).toBe(
      'status "done" is not one of pending, notified, skipped, unmatched, failed.',
    );
  });

  it('GIVEN since after until THEN the problem names since and words both fields per face', () => {
    const error = problem({ since: '1d', until: '2d' });
    expect(error.field).toBe('since');
    expect(error.message).toBe('--since must be earlier than --until.');
    expect(error.wordedFor(apiNaming)).toBe('since must be earlier than until.');
  });

  it('GIVEN a duration no date can hold THEN it is refused, naming the field', () => {
    const error = problem({ until: '99999999999999999999d' });
    expect(error.field).toBe('until');
    expect(error.message).toBe('--until "99999999999999999999d" reaches back further than any date.');
  });

  it('GIVEN a value that is not text at all (a repeated query parameter, say) THEN the field is named', () => {
    const error = problem({ sender: ['a', 'b'] as unknown as string });
    expect(error.field).toBe('sender');
    expect(error.wordedFor(apiNaming)).toBe('sender must be text.');
  });
});
