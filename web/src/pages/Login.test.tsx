import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthProvider } from '../auth';
import { json, mockFetch } from '../test/fetch';
import { LoginPage, safeNext, servedByServer } from './Login';

afterEach(() => vi.unstubAllGlobals());

const user = { id: 'u1', username: 'ada', email: 'ada@example.com', roles: ['member'], status: 'active', created_at: '' };

function renderLogin(path = '/login') {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AuthProvider>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/setup" element={<p>setup page</p>} />
          <Route path="*" element={<p>landed on the app</p>} />
        </Routes>
      </AuthProvider>
    </MemoryRouter>,
  );
}

const signedOut = {
  'GET /api/v2/users/me': () => json(401, { message: 'you are not signed in', detail: 'sign in first' }),
  'GET /api/v2/setup': () => json(200, { first_user_required: false }),
};

describe('LoginPage', () => {
  it("shows the server's message and detail when sign-in fails", async () => {
    const calls = mockFetch({
      ...signedOut,
      'POST /api/v2/users/login': () =>
        json(401, { message: 'incorrect login or password', detail: 'check both and try again' }),
    });
    const u = userEvent.setup();
    renderLogin();
    await u.type(await screen.findByLabelText('Username or email'), 'ada');
    await u.type(screen.getByLabelText('Password'), 'wrong-password');
    await u.click(screen.getByRole('button', { name: 'Sign in' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Incorrect login or password');
    expect(alert.textContent).toContain('Check both and try again');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ login: 'ada', password: 'wrong-password' });
    // Still on the login page, the form ready for another try.
    expect(screen.getByRole('button', { name: 'Sign in' })).toHaveProperty('disabled', false);
  });

  it('shows field errors next to their fields', async () => {
    mockFetch({
      ...signedOut,
      'POST /api/v2/users/login': () =>
        json(400, { message: 'invalid password: is required', validations: [{ field: 'password', detail: 'is required' }] }),
    });
    const u = userEvent.setup();
    renderLogin();
    await u.type(await screen.findByLabelText('Username or email'), 'ada');
    await u.type(screen.getByLabelText('Password'), ' ');
    await u.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByText('is required')).id).toBe('field-password-error');
    expect(screen.getByLabelText('Password').getAttribute('aria-invalid')).toBe('true');
  });

  it('says when the server cannot be reached', async () => {
    mockFetch(signedOut);
    const u = userEvent.setup();
    renderLogin();
    await screen.findByLabelText('Username or email');
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await u.type(screen.getByLabelText('Username or email'), 'ada');
    await u.type(screen.getByLabelText('Password'), 'x');
    await u.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Cannot reach the Den server');
  });

  it('goes on to the page asked for after signing in', async () => {
    mockFetch({ ...signedOut, 'POST /api/v2/users/login': () => json(200, { user, session_token: 'k', expires_at: '' }) });
    const u = userEvent.setup();
    renderLogin('/login?next=%2F%40ada%2Fdev');
    await u.type(await screen.findByLabelText('Username or email'), 'ada');
    await u.type(screen.getByLabelText('Password'), 'right-password');
    await u.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('landed on the app')).toBeTruthy();
  });

  it('sends a new server to the setup page', async () => {
    mockFetch({ ...signedOut, 'GET /api/v2/setup': () => json(200, { first_user_required: true }) });
    renderLogin();
    expect(await screen.findByText('setup page')).toBeTruthy();
  });

  it('keeps redirects on this site', () => {
    expect(safeNext('/@ada/dev')).toBe('/@ada/dev');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext(null)).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
  });

  it('hands app paths and API routes to the server after login', () => {
    expect(servedByServer('/@ada/dev/apps/web/')).toBe(true);
    expect(servedByServer('/api/v2/apps/open?workspace=x&app=web')).toBe(true);
    expect(servedByServer('/@ada/dev')).toBe(false);
    expect(servedByServer('/@ada/dev/terminal')).toBe(false);
  });
});
