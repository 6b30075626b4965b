import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import type { EmailSettings } from '../../lib/config/settings';
import type { Notification, Reader } from '../../lib/mail/compose';
import { LANGUAGES } from '../../lib/mail/i18n';
import { previewFiles } from '../../lib/entrypoints/cli/preview-files';
import { findBrowser, launchBrowser, type TestBrowser } from '../support/browser';

/**
 * Each language's HTML opened in a real headless Chromium (the one test/support/browser.ts finds)
 * at a 360 px phone width and at 800 px: nothing may stick out sideways. The English and Arabic
 * screenshots are kept under .local/screenshots as test artefacts.
 */
const ARTEFACTS = path.resolve(__dirname, '../../.local/screenshots');

const settings: EmailSettings = {
  channel: 'acs',
  senderAddress: 'DoNotReply@contoso.example',
  supportContact: 'the IT service desk at help@contoso.com',
  disclaimer: 'This is an automated message from Contoso IT.',
  hideReleaser: false,
  maxPerRun: 5,
  maxAttempts: 5,
  brand: { organisationName: 'Contoso', accentColour: '#0f6cbd' },
};

/** The widest content an email can hold: long unbroken subject and addresses, many recipients, two messages. */
const worstCase: Notification = {
  sender: 'megan.bowen.with.a.rather.long.local.part@subsidiary.eu.contoso.com',
  followUp: false,
  messages: [
    {
      subject: 'Q1_price_list_'.repeat(14) + 'final.xlsx',
      originalRecipients: Array.from(
        { length: 14 },
        (_, i) => `purchasing.department.team${i}@fabrikam-international.example`,
      ),
      releasedTo: ['buyer.with.a.very.long.address.that.does.not.break@fabrikam-international.example'],
      quarantinedAt: '2026-12-01T17:05:00Z',
      releasedAt: '2026-12-01T21:22:00Z',
      releaser: { kind: 'person', name: 'adele.vance@contoso.com' },
      type: 'DataLossPrevention',
      policyType: 'DataLossPreventionRule',
      policyName: 'U.S. HIPAA Enhanced with a long policy name for good measure',
    },
    {
      subject: 'Q1 price list (confidential)',
      originalRecipients: ['buyer@fabrikam.example'],
      releasedTo: ['buyer@fabrikam.example'],
      quarantinedAt: '2026-12-01T17:05:00Z',
      releasedAt: '2026-12-01T21:22:00Z',
      releaser: { kind: 'system' },
      type: 'TransportRule',
      policyName: 'Quarantine outbound confidential',
    },
  ],
};

const zones: Record<string, string> = {
  ar: 'Asia/Riyadh',
  ja: 'Asia/Tokyo',
  ko: 'Asia/Seoul',
  'zh-Hans': 'Asia/Shanghai',
};

describe('the notification in a real browser', () => {
  const executable = findBrowser();
  let browser: TestBrowser;
  let context: BrowserContext;

  beforeAll(async () => {
    browser = await launchBrowser(executable);
    context = browser.context;
    mkdirSync(ARTEFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it.each(LANGUAGES)(
    'GIVEN the %s email at 360 px and 800 px THEN nothing overflows horizontally',
    async (language) => {
      const reader: Reader = { language, timeZone: zones[language] ?? 'Europe/Berlin' };
      const { html } = previewFiles(worstCase, settings, reader, new Date('2026-12-01T21:30:00Z'));
      const page = await context.newPage();
      try {
        for (const width of [360, 800]) {
          await page.setViewportSize({ width, height: 900 });
          await page.setContent(html, { waitUntil: 'load' });
          // Evaluated in the page (a string: the tests compile without the DOM's types).
          const overflow = (await page.evaluate(`(() => {
          const view = document.documentElement.clientWidth;
          const outside = [...document.body.querySelectorAll('*')]
            .map((e) => ({ tag: e.tagName, rect: e.getBoundingClientRect() }))
            .filter(({ rect }) => rect.width > 0 && (rect.right > view + 0.5 || rect.left < -0.5))
            .map(({ tag, rect }) => tag + ' ' + Math.round(rect.left) + '..' + Math.round(rect.right));
          return { view, scroll: document.documentElement.scrollWidth, outside };
        })()`)) as { view: number; scroll: number; outside: string[] };
          expect({ language, width, ...overflow }).toEqual({
            language,
            width,
            view: width,
            scroll: width,
            outside: [],
          });
          if (language === 'en' || language === 'ar') {
            await page.screenshot({
              path: path.join(ARTEFACTS, `notification-${language}-${width}.png`),
              fullPage: true,
            });
          }
        }
        const direction = await page.evaluate(
          `getComputedStyle(document.body.querySelector('td')).direction`,
        );
        expect(direction).toBe(language === 'ar' ? 'rtl' : 'ltr');
      } finally {
        await page.close();
      }
    },
  );

  it('GIVEN a reader in dark mode THEN the page turns dark and the text light', async () => {
    const { html } = previewFiles(
      worstCase,
      settings,
      { language: 'en', timeZone: 'Europe/London' },
      new Date(),
    );
    const page = await context.newPage();
    try {
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.setViewportSize({ width: 360, height: 900 });
      await page.setContent(html);
      const colours = await page.evaluate(`({
        background: getComputedStyle(document.body).backgroundColor,
        text: getComputedStyle(document.querySelector('p')).color,
      })`);
      expect(colours).toEqual({ background: 'rgb(27, 27, 27)', text: 'rgb(230, 230, 230)' });
      await page.screenshot({ path: path.join(ARTEFACTS, 'notification-en-360-dark.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });
});
