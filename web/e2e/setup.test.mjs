// First-user setup and login in the browser. The Go harness pushes a
// template afterwards with the account made here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { env, open, step } from './lib.mjs';

test('first-user setup, sign out, a wrong password, sign in, change the password', async (t) => {
  const { page, errors } = await open(t);
  const user = env('DEN_USER');
  const password = env('DEN_PASSWORD');

  await step(page, 'setup page', async () => {
    await page.goto('/');
    await page.waitForURL('**/setup');
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Email').fill(`${user}@example.com`);
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Confirm password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    // The server's rule, shown at the field.
    await page.locator('.field-error').first().waitFor();
    assert.match(await page.locator('.field-error').first().textContent(), /8/);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Confirm password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('No workspaces yet').waitFor();
    assert.equal((await page.getByTestId('signed-in-user').textContent()).trim(), user);
  });

  await step(page, 'the session is an HttpOnly cookie', async () => {
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'den_session');
    assert.ok(session, 'no den_session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    assert.equal(await page.evaluate(() => document.cookie.includes('den_session')), false);
  });

  await step(page, 'sign out and in', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    await page.getByLabel('Username or email').fill(user);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.getByRole('alert').first().textContent(), /incorrect login or password/i);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No workspaces yet').waitFor();
  });
  await step(page, 'change the password, and back', async () => {
    const other = `${password}-changed`;
    const change = async (from, to) => {
      await page.goto('/settings');
      await page.getByLabel('Current password').fill(from);
      await page.getByLabel('New password', { exact: true }).fill(to);
      await page.getByLabel('Confirm new password').fill(to);
      await page.getByRole('button', { name: 'Change password' }).click();
    };
    await change('not-the-password', other);
    await page.getByText('is not your current password').waitFor();
    await change(password, other);
    await page.getByText('Password changed.').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    await page.getByLabel('Username or email').fill(user);
    await page.getByLabel('Password').fill(other);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No workspaces yet').waitFor();
    // Back to the harness's password, which the next test signs in with.
    await change(other, password);
    await page.getByText('Password changed.').waitFor();
  });
  assert.deepEqual(errors, [], 'errors in the page');
});
