// Shared setup of the browser tests: Debian's Chromium through
// playwright-core, against the server the Go harness (e2e/browser_test.go)
// started. Environment: DEN_URL, DEN_CHROMIUM, DEN_SCREENSHOTS, DEN_USER,
// DEN_PASSWORD.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run these through e2e/browser_test.go (make test)`);
  return v;
};

export const baseURL = () => env('DEN_URL');

// The flags that let Chromium run headless here without reaching out to
// the network (see ../shared/ENVIRONMENT.md).
const flags = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// open starts Chromium with a fresh profile and one page at 1280×800. The
// returned close() takes a screenshot first when the test failed.
export async function open(t, viewport = { width: 1280, height: 800 }) {
  const browser = await chromium.launch({ executablePath: env('DEN_CHROMIUM'), args: flags, headless: true });
  const context = await browser.newContext({ baseURL: baseURL(), viewport });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  t.after(async () => {
    await browser.close();
  });
  return { browser, context, page, errors };
}

// step runs one step of a scenario; on failure it saves a screenshot named
// after the step and rethrows.
export async function step(page, name, fn) {
  try {
    return await fn();
  } catch (e) {
    const dir = process.env.DEN_SCREENSHOTS;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, name.replace(/[^a-z0-9]+/gi, '-') + '.png');
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.error(`screenshot of the failed step "${name}": ${file}`);
    }
    throw e;
  }
}
