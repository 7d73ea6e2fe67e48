// A generated page in Debian's chromium through playwright-core, with every request but the
// page's own file refused: what the browser test and the README's picture (screenshot.ts) share.
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export function chromiumPath(): string {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      // next
    }
  }
  throw new Error('no chromium found: install it (Debian: apt-get install chromium); .ci/run does');
}

export interface OfflinePage {
  browser: Browser;
  page: Page;
  /** Console errors and uncaught exceptions of the page. */
  errors: string[];
  /** Every URL the page tried to fetch besides its file (all refused). */
  fetched: string[];
}

/** Opens a generated page offline, collecting console errors and what it tried to fetch. */
export async function openOffline(file: string, width: number, height = 900): Promise<OfflinePage> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width, height } });
    const errors: string[] = [];
    const fetched: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      fetched.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(file).href);
    return { browser, page, errors, fetched };
  } catch (e) {
    await browser.close();
    throw e;
  }
}
