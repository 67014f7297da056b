import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { median } from './load';

export interface DashboardTiming {
  templates: number;
  /** Navigation to the templates page until its first 50 rows are on screen, each run, in ms. */
  runsMs: number[];
  medianMs: number;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Time from navigating to the dashboard's templates page to the first 50 templates shown, in
 * Debian's Chromium, signed in as the organization's admin (sign-in itself is not timed). Each run
 * is a fresh page load of the built app served by the server. Null when Chromium is not installed.
 */
export async function timeDashboardFirstPage(
  url: string,
  credentials: { email: string; password: string },
  templates: number,
  runs = 5,
): Promise<DashboardTiming | null> {
  if (!existsSync(CHROMIUM)) {
    console.log(`  dashboard: skipped (no Chromium at ${CHROMIUM})`);
    return null;
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${url}/app/sign-in`);
    await page.getByLabel('Email').fill(credentials.email);
    await page.getByLabel('Password').fill(credentials.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Session templates' }).waitFor();
    const runsMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      await page.goto('about:blank');
      const began = performance.now();
      await page.goto(`${url}/app/templates`);
      await page.locator('tbody tr').nth(49).waitFor();
      runsMs.push(Math.round(performance.now() - began));
    }
    const medianMs = median(runsMs, (ms) => ms);
    console.log(
      `  dashboard ${templates} templates: first 50 shown after ${medianMs} ms (median of ${runs}: ${runsMs.join(', ')})`,
    );
    return { templates, runsMs, medianMs };
  } finally {
    await browser.close();
  }
}
