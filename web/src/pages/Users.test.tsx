import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { User } from '../api/types.gen';
import { AuthProvider, useAuth } from '../auth';
import { type Call, json, mockFetch } from '../test/fetch';
import { UsersPage } from './Users';

afterEach(() => vi.unstubAllGlobals());

function user(username: string, roles: User['roles']): User {
  return {
    id: `id-${username}`,
    username,
    email: `${username}@example.com`,
    roles,
    status: 'active',
    created_at: '2025-01-01T00:00:00Z',
  };
}

const ada = user('ada', ['member', 'owner']);
const grace = user('grace', ['member']);

// SignedIn renders its children once the session is known, as RequireAuth does.
function SignedIn({ children }: { children: React.ReactNode }) {
  return useAuth().user ? <>{children}</> : null;
}

function renderUsers(password: (call: Call) => Response | Promise<Response>) {
  const calls = mockFetch({
    'GET /api/v2/users/me': () => json(200, ada),
    'GET /api/v2/users': () => json(200, [ada, grace]),
    'PUT /api/v2/users/grace/password': password,
  });
  render(
    <MemoryRouter>
      <AuthProvider>
        <SignedIn>
          <UsersPage />
        </SignedIn>
      </AuthProvider>
    </MemoryRouter>,
  );
  return calls;
}

const rowOf = async (username: string) => (await screen.findByText(username, { selector: 'strong' })).closest('tr') as HTMLElement;
const passwordCalls = (calls: Call[]) => calls.filter((c) => c.method === 'PUT');

describe('UsersPage set password', () => {
  it("sets another user's password without an old one, and says their sessions ended", async () => {
    const calls = renderUsers(() => new Response(null, { status: 204 }));
    const u = userEvent.setup();
    const row = await rowOf('grace');
    await u.click(within(row).getByRole('button', { name: 'Set password…' }));

    const form = within(row).getByRole('form', { name: 'Set password for grace' });
    const pw = within(form).getByLabelText('New password') as HTMLInputElement;
    expect(document.activeElement).toBe(pw);
    expect(pw.type).toBe('password');
    expect(pw.getAttribute('autocomplete')).toBe('new-password');

    // A mismatch goes nowhere.
    await u.type(pw, 'temporary-1');
    await u.type(within(form).getByLabelText('Confirm new password'), 'temporary-2{Enter}');
    expect(within(form).getByText('does not match the new password').id).toBe('set-password-id-grace-confirm-error');
    expect(passwordCalls(calls)).toHaveLength(0);

    await u.clear(within(form).getByLabelText('Confirm new password'));
    await u.type(within(form).getByLabelText('Confirm new password'), 'temporary-1{Enter}');
    const notice = await within(row).findByText(/Password set for grace\./);
    expect(notice.closest('[role="status"]')).not.toBeNull();
    expect(notice.textContent).toContain('Their sessions were signed out');
    expect(passwordCalls(calls).map((c) => [c.url, c.body])).toEqual([
      ['/api/v2/users/grace/password', { password: 'temporary-1' }],
    ]);
    // The form closes and the focus goes back to the button that opened it.
    expect(within(row).queryByRole('form')).toBeNull();
    expect(document.activeElement).toBe(within(row).getByRole('button', { name: 'Set password…' }));
  });

  it("shows the server's password error by the field and keeps the form open", async () => {
    renderUsers(() =>
      json(400, {
        message: 'invalid password: must be at most 256 characters',
        validations: [{ field: 'password', detail: 'must be at most 256 characters' }],
      }),
    );
    const u = userEvent.setup();
    const row = await rowOf('grace');
    await u.click(within(row).getByRole('button', { name: 'Set password…' }));
    const form = within(row).getByRole('form', { name: 'Set password for grace' });
    await u.type(within(form).getByLabelText('New password'), 'temporary-1');
    await u.type(within(form).getByLabelText('Confirm new password'), 'temporary-1');
    await u.click(within(form).getByRole('button', { name: 'Set password' }));

    expect((await within(form).findByText('must be at most 256 characters')).id).toBe('set-password-id-grace-error');
    expect(within(form).getByLabelText('New password').getAttribute('aria-invalid')).toBe('true');
    expect(within(row).queryByText(/Password set for/)).toBeNull();
  });

  it('checks the length before sending, and Escape cancels', async () => {
    const calls = renderUsers(() => new Response(null, { status: 204 }));
    const u = userEvent.setup();
    const row = await rowOf('grace');
    await u.click(within(row).getByRole('button', { name: 'Set password…' }));
    const form = within(row).getByRole('form', { name: 'Set password for grace' });
    await u.type(within(form).getByLabelText('New password'), 'short');
    await u.type(within(form).getByLabelText('Confirm new password'), 'short');
    await u.click(within(form).getByRole('button', { name: 'Set password' }));
    expect(within(form).getByText('must be at least 8 characters').id).toBe('set-password-id-grace-error');
    expect(document.activeElement).toBe(within(form).getByLabelText('New password'));

    await u.keyboard('{Escape}');
    expect(within(row).queryByRole('form')).toBeNull();
    expect(document.activeElement).toBe(within(row).getByRole('button', { name: 'Set password…' }));
    expect(passwordCalls(calls)).toHaveLength(0);
  });

  it('offers no password action on your own row', async () => {
    renderUsers(() => new Response(null, { status: 204 }));
    const row = await rowOf('ada');
    expect(within(row).queryByRole('button', { name: 'Set password…' })).toBeNull();
    expect(within(row).getByRole('link', { name: 'Settings' }).getAttribute('href')).toBe('/settings');
  });
});
