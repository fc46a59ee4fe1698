import { useEffect, useState } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../api/client';
import { useAuth } from '../auth';
import { ErrorBox } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { useTitle } from '../components/hooks';

/** safeNext keeps a redirect after login on this site. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

/**
 * servedByServer reports whether a path after login belongs to the server
 * rather than to the dashboard: a workspace app on a path, or an API route
 * (opening a subdomain app), so the browser loads it for real.
 */
export function servedByServer(path: string): boolean {
  return path.startsWith('/api/') || /^\/@[^/]+\/[^/]+\/apps\//.test(path);
}

/** LoginPage signs in with a username (or email) and password. */
export function LoginPage() {
  useTitle('Sign in');
  const { user, setUser } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  // The server sends people here with ?redirect= (an app that needs a
  // session); the dashboard's own pages use ?next=.
  const next = safeNext(params.get('redirect') ?? params.get('next'));
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [setupNeeded, setSetupNeeded] = useState(false);

  useEffect(() => {
    api
      .setup()
      .then((s) => setSetupNeeded(s.first_user_required))
      .catch(() => undefined);
  }, []);

  if (user) {
    if (servedByServer(next)) {
      window.location.assign(next);
      return null;
    }
    return <Navigate to={next} replace />;
  }
  if (setupNeeded) return <Navigate to="/setup" replace />;

  const fields = error instanceof ApiError ? error.fieldErrors() : {};
  return (
    <main className="page narrow" id="main">
      <h1>Sign in to Den</h1>
      <form
        className="card form"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            const resp = await api.login({ login, password });
            if (servedByServer(next)) {
              window.location.assign(next);
              return;
            }
            setUser(resp.user);
            navigate(next, { replace: true });
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <ErrorBox error={error} hideFields={['login', 'password']} />
        <Field
          label="Username or email"
          name="login"
          autoComplete="username"
          required
          autoFocus
          value={login}
          error={fields.login}
          onChange={(e) => setLogin(e.target.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          error={fields.password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="muted">
        Forgot your password? Ask an administrator of this Den. New server? <Link to="/setup">Set it up</Link>.
      </p>
    </main>
  );
}
