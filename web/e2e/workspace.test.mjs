// A workspace's life in the browser: create from a template with a
// parameter, its logs until it runs, the web terminal (output, a reload that
// finds the same shell), its app, a restart, stop, the list's search, and
// delete. The Go harness pushed the template (e2e/browser_test.go).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { env, open, step } from './lib.mjs';

const slow = { timeout: 120_000 };
const termText = (page) => page.evaluate(() => window.denTerminal?.text() ?? '');

test('create, logs, terminal, app, stop, delete', async (t) => {
  const { page, context, errors } = await open(t);
  const user = env('DEN_USER');
  const name = env('DEN_WORKSPACE');
  const template = env('DEN_TEMPLATE');
  const greeting = env('DEN_GREETING');

  await step(page, 'sign in', async () => {
    await page.goto('/login');
    await page.getByLabel('Username or email').fill(user);
    await page.getByLabel('Password').fill(env('DEN_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No workspaces yet').waitFor();
  });

  await step(page, 'create with a parameter', async () => {
    await page.goto(`/workspaces/new?template=${template}`);
    await page.getByLabel('Workspace name').fill(name);
    // The template's validation, checked before anything is sent.
    await page.getByLabel(/^greeting/i).fill('Not Valid!');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByText('lowercase letters and dashes only').first().waitFor();
    await page.getByLabel(/^greeting/i).fill(greeting);
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.waitForURL(`**/@${user}/${name}`);
  });

  await step(page, 'logs until running', async () => {
    await page.locator('h1 .badge[data-status=running]').waitFor(slow);
    await page.locator('.badge[data-status=ready]').first().waitFor(slow);
    await page.getByTestId('build-log').getByText(`startup says ${greeting}`).waitFor(slow);
  });

  await step(page, 'the web terminal', async () => {
    const [term] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: 'Terminal' }).click()]);
    await term.locator('[data-state=connected]').waitFor();
    const url = new URL(term.url());
    assert.ok(url.searchParams.get('session'), 'the terminal URL names its session');
    await term.getByTestId('terminal').click();
    await term.keyboard.type('echo out-$((6*7)); export KEPT=still-here\r');
    await term.waitForFunction(() => window.denTerminal?.text().includes('out-42'));
    // A reload comes back to the same shell, with what it printed before.
    await term.reload();
    await term.locator('[data-state=connected]').waitFor();
    assert.equal(new URL(term.url()).searchParams.get('session'), url.searchParams.get('session'));
    await term.waitForFunction(() => window.denTerminal?.text().includes('out-42'));
    await term.getByTestId('terminal').click();
    await term.keyboard.type('echo "kept=$KEPT"\r');
    await term.waitForFunction(() => window.denTerminal?.text().includes('kept=still-here'));
    assert.match(await termText(term), /kept=still-here/);
    await term.close();
  });

  await step(page, 'the app', async () => {
    const app = page.getByTestId('app');
    await app.locator('.badge[data-status=healthy]').waitFor(slow);
    const [tab] = await Promise.all([context.waitForEvent('page'), app.getByRole('link').first().click()]);
    await tab.waitForLoadState();
    assert.match(await tab.textContent('body'), new RegExp(`app page for ${greeting}`));
    await tab.close();
  });

  await step(page, 'restart, which the server finishes', async () => {
    await page.getByRole('button', { name: 'Restart' }).click();
    // The newest build is the start the server queued after the restart's stop.
    await page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('tbody tr')].map((r) => r.textContent ?? '');
        const i = rows.findIndex((t) => t.includes('stop (restart)'));
        return i > 0 && /start/.test(rows[i - 1]) && /succeeded/.test(rows[i - 1]);
      },
      undefined,
      slow,
    );
    await page.locator('h1 .badge[data-status=running]').waitFor(slow);
    await page.locator('.badge[data-status=ready]').first().waitFor(slow);
  });

  await step(page, 'stop', async () => {
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('h1 .badge[data-status=stopped]').waitFor(slow);
  });

  await step(page, 'find it in the list', async () => {
    await page.goto('/workspaces');
    const rows = page.getByTestId('workspace-row');
    await rows.filter({ hasText: name }).waitFor();
    const filter = page.getByLabel('Filter');
    // The server searches: a status it is not in finds nothing,
    await filter.fill(`${name} status:running`);
    await page.getByText(`No workspace matches`).waitFor();
    // the status it is in finds it,
    await filter.fill(`status:stopped ${name}`);
    await rows.filter({ hasText: name }).waitFor();
    assert.equal(await rows.count(), 1);
    await page.waitForURL(/\?q=status/);
    // and a filter that is not one is explained by the box.
    await filter.fill('colour:blue');
    await page.locator('#workspace-filter-error').getByText('colour: is not a filter').waitFor();
    await page.goto(`/@${user}/${name}`);
    await page.locator('h1 .badge[data-status=stopped]').waitFor(slow);
  });

  await step(page, 'delete', async () => {
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('button', { name: `Delete ${name}` }).click();
    await page.getByText('The workspace is gone').waitFor(slow);
  });
  assert.deepEqual(errors, [], 'errors in the page');
});
