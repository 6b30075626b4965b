import { formatForReader } from '../../lib/mail/reader-time';

describe('times as the reader reads them', () => {
  const at = new Date('2026-12-01T21:22:00Z');
  const berlin = { timeZone: 'Europe/Berlin', dateFormat: 'dd.MM.yyyy', timeFormat: 'HH:mm' };
  const newYork = { timeZone: 'America/New_York', dateFormat: 'M/d/yyyy', timeFormat: 'h:mm tt' };

  it('GIVEN readers of other locales, zones and patterns formatted in turn THEN each keeps their own every time', () => {
    // The formatters are built once and kept: a reader formatted after others still gets their own.
    const first = formatForReader(at, 'de-DE', berlin);
    expect(first).toBe('01.12.2026 22:22 MEZ');
    expect(formatForReader(at, 'en-US', newYork)).toBe('12/1/2026 4:22 PM EST');
    expect(formatForReader(at, 'de-DE', { timeZone: 'Asia/Tokyo' })).toContain('06:22');
    expect(formatForReader(at, 'de-DE', { timeZone: 'America/New_York' })).toContain('16:22');
    expect(formatForReader(at, 'de-DE', berlin)).toBe(first);
    expect(formatForReader(at, 'en-US', newYork)).toBe('12/1/2026 4:22 PM EST');
  });
});
