/// <reference lib="dom" />
// Functions passed to page.evaluate run in the browser: they are typed against the DOM.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { loopbackAccess, signedInAccess } from '../../../lib/console/access';
import { createSignInCheck } from '../../../lib/entrypoints/sign-in';
import { SIMULATED_API } from '../../../lib/simulator';
import { MINUTE } from '../../../lib/core/clock';
import { serveConsoleLocally, type LocalConsoleServer } from '../../../lib/entrypoints/console/hosts';
import type { ConsoleAccess } from '../../../lib/console/access';
import { findBrowser, launchBrowser, type TestBrowser } from '../../support/browser';
import { parseCsv } from '../../support/cli';
import { startWorld, type World } from '../../support/world';
import { worldConsoleHandler } from '../../support/console-handler';

/**
 * The console in a real browser (the one test/support/browser.ts finds), over the simulator's demo
 * tenant and a few more releases: one with a hostile subject. Its layout is checked at 320, 390, 800 and
 * 1280 px; the screenshots at 1280 and 390 px (in .local/console) are the README's.
 */

const ADMIN = 'adele.vance@contoso.com';
const HOSTILE_SUBJECT =
  '<img src=x onerror="alert(1)"> <a href="javascript:alert(2)">open</a> invoice\u202Efdp.exe <script>alert(3)</script>';
const SCREENSHOTS = path.resolve(__dirname, '../../../.local/console');
const SCREENSHOT = path.join(SCREENSHOTS, 'console.png');

interface Watch {
  dialogs: string[];
  errors: string[];
}

async function open(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('#releases-body tr');
  await page.waitForSelector('#tiles [data-tile="releases"]');
}

async function tiles(page: Page): Promise<Record<string, number>> {
  return page.$$eval('#tiles [data-tile]', (items) =>
    Object.fromEntries(
      items.map((item) => [
        (item as HTMLElement).dataset.tile as string,
        Number(item.querySelector('.value')?.textContent),
      ]),
    ),
  );
}

async function tableStatuses(page: Page): Promise<string[]> {
  return page.$$eval('#releases-body tr .status', (cells) => cells.map((c) => c.textContent ?? ''));
}

async function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
}

describe('the administrators’ console in a browser', () => {
  const executable = findBrowser();
  let world: World;
  let browser: TestBrowser;
  let server: LocalConsoleServer;
  let page: Page;
  const watch: Watch = { dialogs: [], errors: [] };
  /** Every URL the page asked for, from its first load on. */
  const requestedUrls: string[] = [];

  const serve = (access: ConsoleAccess) => serveConsoleLocally(worldConsoleHandler(world, { access }));

  beforeAll(async () => {
    world = await startWorld({ seed: 'demo' });
    await world.app.runSnapshot();
    await world.app.runNotify();
    server = await serve(loopbackAccess());
    browser = await launchBrowser(executable);
    page = await browser.context.newPage();
    // The administrator's browser is in Berlin: the console shows its times there, zone named.
    await (
      await browser.context.newCDPSession(page)
    ).send('Emulation.setTimezoneOverride', {
      timezoneId: 'Europe/Berlin',
    });
    await page.setViewportSize({ width: 1280, height: 900 });
    page.on('dialog', (dialog) => {
      watch.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => watch.errors.push(error.message));
    page.on('request', (request) => requestedUrls.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') watch.errors.push(message.text());
    });
    // Records every Content-Security-Policy violation the page reports.
    await page.addInitScript(() => {
      const w = window as unknown as { __violations: string[] };
      w.__violations = [];
      document.addEventListener('securitypolicyviolation', (event) =>
        w.__violations.push(`${event.violatedDirective} ${event.blockedURI}`),
      );
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await world?.close();
  });

  it('GIVEN the demo tenant after a snapshot and a notify run WHEN the console opens THEN its releases show (screenshot kept in .local/console)', async () => {
    await open(page, server.url);
    const statuses = await tableStatuses(page);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses).toContain('Notified');
    await page.waitForSelector('#health li.ok');
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  describe('with more releases, one of them hostile', () => {
    beforeAll(async () => {
      const scenario = world.simulator.scenario;
      const forecast = scenario.addMessage({
        sender: 'megan.bowen@contoso.com',
        recipients: ['buyer@fabrikam.example'],
        subject: 'Quarterly forecast',
        type: 'TransportRule',
      });
      const hostile = scenario.addMessage({
        sender: 'alex.wilber@contoso.com',
        recipients: ['partner@tailspin.example'],
        subject: HOSTILE_SUBJECT,
        type: 'TransportRule',
      });
      const spam = scenario.addMessage({
        sender: 'newsletter@offers.example',
        recipients: ['lidia.holloway@contoso.com'],
        subject: 'Deals',
        type: 'Spam',
      });
      for (const message of [forecast, hostile, spam]) {
        scenario.release({ networkMessageId: message.networkMessageId, by: ADMIN });
      }
      await world.app.runSnapshot();
      world.clock.advance(80 * MINUTE);
      await world.app.runSnapshot();
      await world.app.runNotify();
      await open(page, server.url);
      await page.waitForFunction(() => document.body.textContent?.includes('Quarterly forecast'));
    });

    it('THEN the tiles’ numbers equal the releases table’s counts', async () => {
      const statuses = await tableStatuses(page);
      const count = (label: string) => statuses.filter((s) => s === label).length;
      const shown = await tiles(page);
      expect(statuses.length).toBeGreaterThanOrEqual(4);
      expect(shown).toEqual({
        releases: statuses.length,
        sendersTold: expect.any(Number),
        waiting: count('Waiting'),
        skipped: count('Skipped'),
        unmatched: count('Unmatched'),
        failed: count('Failed'),
      });
      expect(count('Skipped')).toBeGreaterThanOrEqual(1);
      const senders = await page.$$eval('#releases-body tr', (rows) =>
        rows
          .filter((row) => row.querySelector('.status')?.textContent === 'Notified')
          .map((row) => row.querySelector('[data-label="Sender"]')?.textContent),
      );
      expect(shown.sendersTold).toBe(new Set(senders).size);
      await expect(page.textContent('#count')).resolves.toBe(
        `Releases 1–${statuses.length} of ${statuses.length}.`,
      );
    });

    it('THEN the hostile subject renders as text and runs nothing: no dialog, no CSP violation, no injected element', async () => {
      const subjects = await page.$$eval('#releases-body button.link', (buttons) =>
        buttons.map((b) => b.textContent ?? ''),
      );
      expect(subjects).toContain(HOSTILE_SUBJECT.replace('\u202E', '[U+202E]'));
      await expect(
        page.$$eval('img, script:not([src]), iframe, object, embed', (e) => e.length),
      ).resolves.toBe(0);
      await expect(page.$$eval('a[href^="javascript:" i]', (e) => e.length)).resolves.toBe(0);
      await expect(page.$$eval('#releases-body a', (e) => e.length)).resolves.toBe(0);
      await page.click(`#releases-body button.link >> text=${'invoice'}`);
      await page.waitForSelector('#history .history-releases'); // loaded (not the 'Loading…' line)
      expect(await page.textContent('#history')).toContain('<img src=x onerror="alert(1)">');
      await expect(page.$$eval('img', (e) => e.length)).resolves.toBe(0);
      expect(watch.dialogs).toEqual([]);
      expect(await violations(page)).toEqual([]);
      expect(watch.errors).toEqual([]);
    });

    it('WHEN a message is chosen THEN its history shows every release record and its notification with the delivery state', async () => {
      await page.click('#releases-body button.link >> text=Quarterly forecast');
      await page.waitForSelector('#history [data-notification]');
      const history = await page.textContent('#history');
      expect(history).toContain('Release records (1)');
      expect(history).toContain('Released to buyer@fabrikam.example');
      expect(history).toContain('Notifications (1)');
      expect(history).toMatch(/Delivery state\s*complete/);
      expect(history).toMatch(/Sent to\s*megan\.bowen@contoso\.com/);
      await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('history-heading');
    });

    it('WHEN filtered by sender THEN the table, the tiles and the CSV narrow to that sender', async () => {
      const before = (await tableStatuses(page)).length;
      await page.fill('#f-sender', 'megan.bowen@contoso.com');
      await page.press('#f-sender', 'Enter');
      await page.waitForFunction((n) => document.querySelectorAll('#releases-body tr').length < n, before);
      const senders = await page.$$eval('#releases-body [data-label="Sender"]', (cells) =>
        cells.map((c) => c.textContent),
      );
      expect(senders.length).toBeGreaterThan(0);
      expect(new Set(senders)).toEqual(new Set(['megan.bowen@contoso.com']));
      await page.waitForFunction(
        (n) => document.querySelector('#tiles [data-tile="releases"] .value')?.textContent === String(n),
        senders.length,
      );

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
      expect(download.suggestedFilename()).toMatch(/^releases-\d{4}-\d{2}-\d{2}\.csv$/);
      const rows = parseCsv(readFileSync((await download.path()) as string, 'utf8').replace(/^\ufeff/, ''));
      expect(rows[0]).toEqual([
        'Released at (UTC)',
        'Released by',
        'Sender',
        'Original recipients',
        'Released to',
        'Subject',
        'Type',
        'Policy',
        'Status',
        'Reason',
        'Reason code',
        'Notified at (UTC)',
      ]);
      expect(rows.slice(1).map((r) => r[2])).toEqual(senders);
    });

    it('WHEN filtered by sender and releaser, a history opened and the CSV downloaded THEN no URL the page asked for holds an address or a subject', async () => {
      await page.fill('#f-sender', 'megan.bowen@contoso.com');
      await page.fill('#f-releasedBy', ADMIN);
      await page.press('#f-releasedBy', 'Enter');
      await page.waitForFunction(() => document.querySelectorAll('#releases-body tr').length > 0);
      await page.click('#releases-body button.link >> text=Quarterly forecast');
      await page.waitForSelector('#history [data-notification]');
      await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
      const subjects = await page.$$eval('#releases-body button.link', (b) =>
        b.map((x) => x.textContent ?? ''),
      );
      expect(requestedUrls.length).toBeGreaterThan(10);
      const personal = requestedUrls.filter((url) => {
        const decoded = decodeURIComponent(url);
        return (
          /@|%40/i.test(url) ||
          ['megan.bowen', 'adele.vance', 'Quarterly forecast', ...subjects].some((v) => decoded.includes(v))
        );
      });
      expect(personal).toEqual([]);
      await page.fill('#f-releasedBy', '');
    });

    it.each([320, 390, 800, 1280])(
      'WHEN shown %i px wide THEN the page never scrolls sideways, no word is broken inside, the chart and its legend fit whole, times name the browser’s zone, and only pages that exist are offered',
      async (width) => {
        if (!(await page.isHidden('#history-section'))) await page.click('#close-history');
        if (await page.inputValue('#f-sender')) {
          await page.click('#filters button[type="reset"]');
          await page.waitForFunction(() => document.querySelectorAll('#releases-body tr').length >= 6);
        }
        await page.setViewportSize({ width, height: 900 });
        await page.waitForFunction(
          () => (document.getElementById('chart')?.getBoundingClientRect().right ?? 0) <= window.innerWidth,
        );
        const layout = await page.evaluate(() => {
          const inside = (e: Element) => {
            const box = e.getBoundingClientRect();
            return box.left >= 0 && box.right <= window.innerWidth + 1;
          };
          // A word (a run of letters and digits) broken inside shows as characters on more than one line.
          const broken: string[] = [];
          const roots = document.querySelectorAll('#releases-body, #tiles, #health, #count, .legend, .zone');
          for (const root of Array.from(roots)) {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              for (const word of (node.textContent ?? '').matchAll(/[\p{L}\p{N}]+/gu)) {
                const range = document.createRange();
                range.setStart(node, word.index ?? 0);
                range.setEnd(node, (word.index ?? 0) + word[0].length);
                const lines = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
                if (lines.size > 1) broken.push(word[0]);
              }
            }
          }
          const wrap = document.querySelector('.table-wrap') as HTMLElement;
          return {
            pageWidth: document.documentElement.scrollWidth,
            tableScrolls: wrap.scrollWidth > wrap.clientWidth + 1,
            broken,
            legend: Array.from(document.querySelectorAll('#chart-legend li'), (li) => ({
              text: li.textContent,
              whole: inside(li),
            })),
            chartInside: inside(document.getElementById('chart') as Element),
            zone: document.getElementById('time-zone')?.textContent,
            released: document.querySelector('#releases-body [data-label="Released"] time')?.textContent,
            pager: !(document.getElementById('pager') as HTMLElement).hidden,
          };
        });
        expect(layout.pageWidth).toBeLessThanOrEqual(width);
        expect(layout.tableScrolls).toBe(false);
        expect(layout.broken).toEqual([]);
        expect(layout.chartInside).toBe(true);
        expect(layout.legend).toEqual(
          ['Notified', 'Waiting', 'Skipped', 'Unmatched', 'Failed'].map((text) => ({ text, whole: true })),
        );
        expect(layout.zone).toBe('Times in Europe/Berlin.');
        expect(layout.released).toMatch(/GMT\+1|CET/);
        expect(layout.pager).toBe(false); // every release fits one page: no "Next page"
        if (width === 1280 || width === 390) {
          await page.screenshot({ path: path.join(SCREENSHOTS, `console-${width}.png`), fullPage: true });
        }
      },
    );

    it('GIVEN pages of two releases WHEN paging through seven THEN "Next page" is offered only while another page exists, "First page" only after the first', async () => {
      await page.setViewportSize({ width: 1280, height: 900 });
      // Pages of two: the page size added to the filters the page sends. Seven releases: the demo's four
      // (one of them by an app through the admin API) and the three added above.
      await page.route('**/data/releases', (route) =>
        route.continue({
          headers: {
            ...route.request().headers(),
            'x-filters': `${route.request().headers()['x-filters']}&pageSize=2`,
          },
        }),
      );
      try {
        const offered = async () => ({
          count: await page.textContent('#count'),
          next: await page.isVisible('#next-page'),
          first: await page.isVisible('#first-page'),
        });
        await page.selectOption('#period', '30');
        await page.dispatchEvent('#period', 'change');
        await page.waitForFunction(
          () => document.getElementById('count')?.textContent === 'Releases 1–2 of 7.',
        );
        expect(await offered()).toEqual({ count: 'Releases 1–2 of 7.', next: true, first: false });
        await page.click('#next-page');
        await page.waitForFunction(
          () => document.getElementById('count')?.textContent === 'Releases 3–4 of 7.',
        );
        expect(await offered()).toEqual({ count: 'Releases 3–4 of 7.', next: true, first: true });
        await page.click('#next-page');
        await page.waitForFunction(
          () => document.getElementById('count')?.textContent === 'Releases 5–6 of 7.',
        );
        expect(await offered()).toEqual({ count: 'Releases 5–6 of 7.', next: true, first: true });
        await page.click('#next-page');
        await page.waitForFunction(
          () => document.getElementById('count')?.textContent === 'Releases 7–7 of 7.',
        );
        expect(await offered()).toEqual({ count: 'Releases 7–7 of 7.', next: false, first: true });
      } finally {
        await page.unroute('**/data/releases');
      }
      await page.click('#first-page');
      await page.waitForFunction(
        () => document.getElementById('count')?.textContent === 'Releases 1–7 of 7.',
      );
      expect(await page.isVisible('#pager')).toBe(false);
    });

    it('WHEN "Show UTC" is chosen THEN every time reads UTC, and back', async () => {
      await page.click('#time-zone-toggle');
      await page.waitForFunction(() => document.getElementById('time-zone')?.textContent === 'Times in UTC.');
      await page.waitForFunction(() =>
        Array.from(document.querySelectorAll('#releases-body time[datetime]')).every((t) =>
          /UTC/.test(t.textContent ?? ''),
        ),
      );
      await page.click('#time-zone-toggle');
      await page.waitForFunction(
        () => document.getElementById('time-zone')?.textContent === 'Times in Europe/Berlin.',
      );
    });

    it('WHEN used at 360 px wide with the keyboard THEN every row stays readable and the filters are reachable by Tab', async () => {
      await page.setViewportSize({ width: 360, height: 800 });
      // The chart redraws for its new width on the next frames.
      await page.waitForFunction(
        () => (document.getElementById('chart')?.getBoundingClientRect().right ?? 0) <= window.innerWidth,
      );
      const wide = await page.evaluate(() =>
        Array.from(document.querySelectorAll('body *'))
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
          .map((e) => `${e.tagName}#${e.id}.${e.className} ${e.getBoundingClientRect().right}`),
      );
      expect(wide).toEqual([]);
      await page.focus('#period');
      const reached: string[] = [];
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press('Tab');
        reached.push(await page.evaluate(() => document.activeElement?.id ?? ''));
      }
      expect(reached).toEqual(expect.arrayContaining(['f-sender', 'f-releasedBy', 'f-policy', 'f-status']));
      const unlabelled = await page.$$eval('input, select', (fields) =>
        fields.filter((f) => !document.querySelector(`label[for="${f.id}"]`)).map((f) => f.id),
      );
      expect(unlabelled).toEqual([]);
    });
  });

  it('GIVEN production settings (the Entra ID sign-in) WHEN the browser opens the page or the API without signing in THEN 401 and nothing of the data; with a token holding the app role THEN the data', async () => {
    const signIn = createSignInCheck(
      { ...world.app.settings.api, audience: SIMULATED_API.audience },
      { now: () => world.clock.now() },
    );
    const production = await serve(signedInAccess(async () => signIn));
    try {
      const fresh = await browser.context.newPage();
      const pageResponse = await fresh.goto(production.url);
      expect(pageResponse?.status()).toBe(401);
      const api = await fresh.request.get(`${production.url}/data/releases`);
      expect(api.status()).toBe(401);
      expect(api.headers()['www-authenticate']).toBe('Bearer');
      expect(await api.text()).not.toContain('@contoso.com');
      // The same sign-in and app role as the releases API let an administrator in.
      const signedIn = await fresh.request.get(`${production.url}/data/releases`, {
        headers: { authorization: `Bearer ${world.simulator.apiTokens.sign()}` },
      });
      expect(signedIn.status()).toBe(200);
      const withoutRole = await fresh.request.get(`${production.url}/data/releases`, {
        headers: { authorization: `Bearer ${world.simulator.apiTokens.sign({ roles: [] })}` },
      });
      expect(withoutRole.status()).toBe(403);
      await fresh.close();
    } finally {
      await production.close();
    }
  });
});
