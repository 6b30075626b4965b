import { formatFigures, runChaos, unitsOf } from './driver';
import type { CapturedEmail } from '../../lib/simulator/contract';

/**
 * The short chaos run inside `npm test`: two simulated days with a fixed seed, faults in every
 * dependency, the job process SIGKILLed at random and restarted. `npm run chaos` runs 30 days.
 */
describe('the chaos run (short)', () => {
  it('GIVEN two simulated days of faults and kills THEN every notifiable release is told exactly once and nothing else is', async () => {
    const figures = await runChaos({
      seed: 20260302,
      days: 2,
      faultRate: 0.6,
      killRate: 0.2,
      messagesPerDay: 18,
    });
    if (figures.violations.length > 0) console.log(formatFigures(figures));
    expect(figures.violations).toEqual([]);
    expect(figures.duplicated).toBe(0);
    expect(figures.missing).toBe(0);
    expect(figures.emailsExpected).toBeGreaterThan(5);
    expect(figures.emailsSent).toBe(figures.emailsExpected);
    expect(figures.kills).toBeGreaterThan(0);
    expect(Object.keys(figures.faults).length).toBeGreaterThan(5);
  }, 240_000);

  it('reads the units an email tells from its plain text, follow-ups included', () => {
    const email = {
      plainText: [
        'Message 1 of 2',
        'Subject: Chaos message 1 <outbound-rule> "q1" & co',
        'Originally sent to: a@f.example, b@f.example',
        'Now also released to: b@f.example',
        'Message 2 of 2',
        'Subject: Chaos message 2 <outbound-dlp> "q2" & co',
        'Released to: c@f.example, D@f.example',
      ].join('\n'),
    } as CapturedEmail;
    expect(unitsOf(email)).toEqual([
      { subject: 'Chaos message 1 <outbound-rule> "q1" & co', releasedTo: ['b@f.example'] },
      { subject: 'Chaos message 2 <outbound-dlp> "q2" & co', releasedTo: ['c@f.example', 'd@f.example'] },
    ]);
  });
});
