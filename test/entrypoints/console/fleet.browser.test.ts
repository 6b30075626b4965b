/// <reference lib="dom" />
// Functions passed to page.evaluate run in the browser: they are typed against the DOM.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { serveConsoleLocally, type LocalConsoleServer } from '../../../lib/entrypoints/console/hosts';
import { findBrowser, launchBrowser, type TestBrowser } from '../../support/browser';
import {
  FABRIKAM,
  NORTHWIND,
  startFleetConsole,
  subjectOf,
  type FleetConsoleWorld,
} from '../../support/fleet-console';

/**
 * The fleet page in a real browser: the home view lists the customer tenants failures first, the
 * switcher (and a tenant's name) opens that tenant's view, and back home the fleet shows again. The
 * tenant never run carries a hostile display name, which must render as text.
 */
const SCREENSHOTS = path.resolve(__dirname, '../../../.local/console');
const HOSTILE_NAME = 'Adatum <img src=x onerror="alert(1)"><script>alert(2)</script>';

async function fleetRows(
  page: Page,
): Promise<{ name: string; health: string; lastSnapshot: string; state: string }[]> {
  return page.$$eval('#fleet-body tr', (rows) =>
    rows.map((row) => ({
      name: row.querySelector('th button')?.textContent ?? '',
      health: row.querySelector('[data-label="Health"]')?.textContent ?? '',
      lastSnapshot: row.querySelector('[data-label="Last snapshot"]')?.textContent ?? '',
      state: row.className,
    })),
  );
}

async function subjects(page: Page): Promise<string[]> {
  return page.$$eval('#releases-body [data-label="Subject"]', (cells) =>
    cells.map((c) => c.textContent ?? ''),
  );
}

describe('the fleet page in a browser', () => {
  const executable = findBrowser();
  let fleet: FleetConsoleWorld;
  let browser: TestBrowser;
  let server: LocalConsoleServer;
  let page: Page;
  const dialogs: string[] = [];
  const errors: string[] = [];
  const requestedUrls: string[] = [];

  beforeAll(async () => {
    fleet = await startFleetConsole(HOSTILE_NAME);
    server = await serveConsoleLocally(fleet.handler());
    browser = await launchBrowser(executable);
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => requestedUrls.push(request.url()));
    await page.addInitScript(() => {
      const w = window as unknown as { __violations: string[] };
      w.__violations = [];
      document.addEventListener('securitypolicyviolation', (event) =>
        w.__violations.push(`${event.violatedDirective} ${event.blockedURI}`),
      );
    });
    await page.goto(server.url);
    await page.waitForSelector('#fleet-body tr');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fleet?.close();
  });

  it('GIVEN three customer tenants, one never run WHEN the console opens THEN the fleet lists it first as unhealthy, the others healthy, its hostile name as text', async () => {
    const rows = await fleetRows(page);
    expect(rows.map((r) => [r.name, r.state])).toEqual([
      [HOSTILE_NAME, 'problem'],
      ['Fabrikam', 'ok'],
      ['Northwind', 'ok'],
    ]);
    expect(rows[0].health).toContain('snapshot: no successful run recorded');
    expect(rows[0].lastSnapshot).toBe('none yet');
    expect(rows[1].health).toBe('Healthy');
    await expect(page.$$eval('img, script:not([src])', (e) => e.length)).resolves.toBe(0);
    const options = await page.$$eval('#tenant option', (o) => o.map((x) => x.textContent));
    expect(options).toEqual(['Home tenant', HOSTILE_NAME, 'Fabrikam', 'Northwind']);
  });

  it('THEN the fleet fits every width from 320 px up, with no sideways scrolling (screenshots in .local/console)', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const width of [320, 390, 800, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect({ width, overflow }).toEqual({ width, overflow: 0 });
      if (width === 390 || width === 1280)
        await page.screenshot({ path: path.join(SCREENSHOTS, `fleet-${width}.png`), fullPage: true });
    }
  });

  it("WHEN a tenant's name is chosen THEN its view shows its release only, the fleet is hidden, and the switcher names it", async () => {
    await page.click('#fleet-body button >> text=Fabrikam');
    await page.waitForFunction(
      (subject) => document.querySelector('#releases-body')?.textContent?.includes(subject),
      subjectOf('Fabrikam'),
    );
    expect(await subjects(page)).toEqual([subjectOf('Fabrikam')]);
    expect(await page.isHidden('#fleet-section')).toBe(true);
    expect(await page.inputValue('#tenant')).toBe(FABRIKAM);
  });

  it('WHEN the switcher turns to another tenant and then home THEN each view holds its own rows and home shows the fleet again', async () => {
    await page.selectOption('#tenant', NORTHWIND);
    await page.waitForFunction(
      (subject) => document.querySelector('#releases-body')?.textContent?.includes(subject),
      subjectOf('Northwind'),
    );
    expect(await subjects(page)).toEqual([subjectOf('Northwind')]);
    await page.selectOption('#tenant', '');
    await page.waitForSelector('#fleet-section', { state: 'visible' });
    await page.waitForFunction(
      () => !document.querySelector('#releases-body')?.textContent?.includes('price list'),
    );
    expect((await subjects(page)).filter((s) => s.includes('price list'))).toEqual([]);
  });

  it('THEN no request carried a tenant or a filter in its URL, nothing ran, and the CSP was never violated', async () => {
    expect(requestedUrls.length).toBeGreaterThan(0);
    expect(requestedUrls.filter((url) => new URL(url).search !== '')).toEqual([]);
    expect(requestedUrls.filter((url) => url.includes(FABRIKAM) || url.includes(NORTHWIND))).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await expect(
      page.evaluate(() => (window as unknown as { __violations: string[] }).__violations),
    ).resolves.toEqual([]);
  });
});
