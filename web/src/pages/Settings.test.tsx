import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthProvider, useAuth } from '../auth';
import { type Call, json, mockFetch } from '../test/fetch';
import { newPasswordProblem, SettingsPage } from './Settings';

afterEach(() => vi.unstubAllGlobals());

const me = { id: 'u1', username: 'ada', email: 'ada@example.com', roles: ['member'], status: 'active', created_at: '' };

// SignedIn renders its children once the session is known, as RequireAuth does.
function SignedIn({ children }: { children: React.ReactNode }) {
  return useAuth().user ? <>{children}</> : null;
}

function renderSettings() {
  return render(
    <AuthProvider>
      <SignedIn>
        <SettingsPage />
      </SignedIn>
    </AuthProvider>,
  );
}

function serve(password: (call: Call) => Response | Promise<Response>) {
  return mockFetch({
    'GET /api/v2/users/me': () => json(200, me),
    'GET /api/v2/users/me/tokens': () => json(200, []),
    'PUT /api/v2/users/me/password': password,
  });
}

const passwordCalls = (calls: Call[]) => calls.filter((c) => c.method === 'PUT');
const input = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

describe('SettingsPage password', () => {
  it('sends the current and new password, shows it is busy, then clears the form and says other sessions ended', async () => {
    let answer: (r: Response) => void = () => {};
    const calls = serve(() => new Promise<Response>((resolve) => (answer = resolve)));
    const u = userEvent.setup();
    renderSettings();
    await u.type(await screen.findByLabelText('Current password'), 'old-secret');
    await u.type(input('New password'), 'new-secret-1');
    // Submitted by keyboard, from the last field.
    await u.type(input('Confirm new password'), 'new-secret-1{Enter}');

    const busy = await screen.findByRole('button', { name: 'Changing…' });
    expect(busy).toHaveProperty('disabled', true);
    const [call] = passwordCalls(calls);
    expect(call.url).toBe('/api/v2/users/me/password');
    expect(call.body).toEqual({ old_password: 'old-secret', password: 'new-secret-1' });

    answer(new Response(null, { status: 204 }));
    const status = await screen.findByText(/Password changed\./);
    expect(status.closest('[role="status"]')?.textContent).toContain('Your other sessions were signed out');
    expect(input('Current password').value).toBe('');
    expect(input('New password').value).toBe('');
    expect(input('Confirm new password').value).toBe('');
    expect(screen.getByRole('button', { name: 'Change password' })).toHaveProperty('disabled', false);
    expect(passwordCalls(calls)).toHaveLength(1);
  });

  it('shows a wrong current password by that field and keeps what was typed', async () => {
    serve(() =>
      json(400, {
        message: 'invalid old_password: is not your current password',
        validations: [{ field: 'old_password', detail: 'is not your current password' }],
      }),
    );
    const u = userEvent.setup();
    renderSettings();
    await u.type(await screen.findByLabelText('Current password'), 'wrong-one');
    await u.type(input('New password'), 'new-secret-1');
    await u.type(input('Confirm new password'), 'new-secret-1');
    await u.click(screen.getByRole('button', { name: 'Change password' }));

    expect((await screen.findByText('is not your current password')).id).toBe('field-old_password-error');
    const current = input('Current password');
    expect(current.getAttribute('aria-invalid')).toBe('true');
    expect(current.getAttribute('aria-describedby')).toBe('field-old_password-error');
    expect(document.activeElement).toBe(current);
    expect(input('New password').getAttribute('aria-invalid')).toBeNull();
    expect(input('New password').value).toBe('new-secret-1');
    expect(screen.queryByText(/Password changed/)).toBeNull();
  });

  it('shows the server’s rule for the new password by its field', async () => {
    serve(() =>
      json(400, {
        message: 'invalid password: must be at most 256 characters',
        validations: [{ field: 'password', detail: 'must be at most 256 characters' }],
      }),
    );
    const u = userEvent.setup();
    renderSettings();
    await u.type(await screen.findByLabelText('Current password'), 'old-secret');
    await u.type(input('New password'), 'new-secret-1');
    await u.type(input('Confirm new password'), 'new-secret-1');
    await u.click(screen.getByRole('button', { name: 'Change password' }));
    expect((await screen.findByText('must be at most 256 characters')).id).toBe('field-password-error');
    expect(input('New password').getAttribute('aria-invalid')).toBe('true');
  });

  it('refuses a confirmation that does not match, without sending', async () => {
    const calls = serve(() => new Response(null, { status: 204 }));
    const u = userEvent.setup();
    renderSettings();
    await u.type(await screen.findByLabelText('Current password'), 'old-secret');
    await u.type(input('New password'), 'new-secret-1');
    await u.type(input('Confirm new password'), 'new-secret-2');
    await u.click(screen.getByRole('button', { name: 'Change password' }));

    expect((await screen.findByText('does not match the new password')).id).toBe('field-confirm-error');
    expect(document.activeElement).toBe(input('Confirm new password'));
    expect(passwordCalls(calls)).toHaveLength(0);
    expect(input('Current password').value).toBe('old-secret');

    // Fixed, it goes.
    await u.clear(input('Confirm new password'));
    await u.type(input('Confirm new password'), 'new-secret-1');
    expect(screen.queryByText('does not match the new password')).toBeNull();
    await u.click(screen.getByRole('button', { name: 'Change password' }));
    await screen.findByText(/Password changed\./);
    expect(passwordCalls(calls).map((c) => c.body)).toEqual([{ old_password: 'old-secret', password: 'new-secret-1' }]);
  });

  it('refuses a new password that is too short, without sending', async () => {
    const calls = serve(() => new Response(null, { status: 204 }));
    const u = userEvent.setup();
    renderSettings();
    await u.type(await screen.findByLabelText('Current password'), 'old-secret');
    await u.type(input('New password'), 'short');
    await u.type(input('Confirm new password'), 'short');
    await u.click(screen.getByRole('button', { name: 'Change password' }));
    expect((await screen.findByText('must be at least 8 characters')).id).toBe('field-password-error');
    expect(document.activeElement).toBe(input('New password'));
    expect(passwordCalls(calls)).toHaveLength(0);
  });

  it('shows other failures, such as too many tries, in the error box', async () => {
    serve(() => json(429, { message: 'too many attempts', detail: 'wait a minute and try again' }));
    const u = userEvent.setup();
    renderSettings();
    await u.type(await screen.findByLabelText('Current password'), 'old-secret');
    await u.type(input('New password'), 'new-secret-1');
    await u.type(input('Confirm new password'), 'new-secret-1');
    await u.click(screen.getByRole('button', { name: 'Change password' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Too many attempts');
    expect(alert.textContent).toContain('Wait a minute and try again');
  });

  it('has the autocomplete hints password managers need', async () => {
    serve(() => new Response(null, { status: 204 }));
    renderSettings();
    expect((await screen.findByLabelText('Current password')).getAttribute('autocomplete')).toBe('current-password');
    for (const label of ['Current password', 'New password', 'Confirm new password']) {
      expect(input(label).type).toBe('password');
    }
    expect(input('New password').getAttribute('autocomplete')).toBe('new-password');
    expect(input('Confirm new password').getAttribute('autocomplete')).toBe('new-password');
  });
});

describe('newPasswordProblem', () => {
  it('bounds the length in bytes, as the server does', () => {
    expect(newPasswordProblem('')).toBe('must be at least 8 characters');
    expect(newPasswordProblem('1234567')).toBe('must be at least 8 characters');
    expect(newPasswordProblem('12345678')).toBe('');
    expect(newPasswordProblem('é'.repeat(4))).toBe(''); // 8 bytes of UTF-8
    expect(newPasswordProblem('x'.repeat(256))).toBe('');
    expect(newPasswordProblem('x'.repeat(257))).toBe('must be at most 256 characters');
    expect(newPasswordProblem('é'.repeat(129))).toBe('must be at most 256 characters'); // 258 bytes
  });
});
