import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, ApiError } from '../api/client';
import { useAuth } from '../auth';
import { ErrorBox } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { Loading } from '../components/Loading';
import { useTitle } from '../components/hooks';

/** SetupPage creates the first user (the owner) on a new server. */
export function SetupPage() {
  useTitle('Set up Den');
  const { setUser } = useAuth();
  const navigate = useNavigate();
  const [needed, setNeeded] = useState<boolean>();
  const [loadError, setLoadError] = useState<unknown>();
  const [form, setForm] = useState({ username: '', email: '', password: '', confirm: '' });
  const [error, setError] = useState<unknown>();
  const [mismatch, setMismatch] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .setup()
      .then((s) => setNeeded(s.first_user_required))
      .catch(setLoadError);
  }, []);

  if (loadError) {
    return (
      <main className="page narrow" id="main">
        <h1>Set up Den</h1>
        <ErrorBox error={loadError} next="Reload the page once the server is reachable." />
      </main>
    );
  }
  if (needed === undefined) {
    return (
      <main className="page narrow" id="main">
        <Loading />
      </main>
    );
  }
  if (!needed) {
    return (
      <main className="page narrow" id="main">
        <h1>Den is set up</h1>
        <p>This server already has its first user.</p>
        <p>
          <Link to="/login">Sign in</Link>, or ask an administrator for an account.
        </p>
      </main>
    );
  }

  const fields = error instanceof ApiError ? error.fieldErrors() : {};
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));
  return (
    <main className="page narrow" id="main">
      <h1>Welcome to Den</h1>
      <p>Create the first account. It becomes the owner of this deployment and can add other users.</p>
      <form
        className="card form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (form.password !== form.confirm) {
            setMismatch(true);
            return;
          }
          setMismatch(false);
          setBusy(true);
          setError(undefined);
          try {
            const resp = await api.createFirstUser({ username: form.username, email: form.email, password: form.password });
            setUser(resp.user);
            navigate('/', { replace: true });
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <ErrorBox error={error} hideFields={['username', 'email', 'password']} />
        <Field label="Username" name="username" autoComplete="username" required autoFocus value={form.username} error={fields.username} onChange={set('username')} help="Letters, digits and hyphens." />
        <Field label="Email" name="email" type="email" autoComplete="email" required value={form.email} error={fields.email} onChange={set('email')} />
        <Field label="Password" name="password" type="password" autoComplete="new-password" required value={form.password} error={fields.password} onChange={set('password')} />
        <Field
          label="Confirm password"
          name="confirm"
          type="password"
          autoComplete="new-password"
          required
          value={form.confirm}
          error={mismatch ? 'does not match the password' : undefined}
          onChange={set('confirm')}
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
    </main>
  );
}
