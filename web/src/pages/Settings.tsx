import { useState } from 'react';
import { api, ApiError } from '../api/client';
import type { CreateTokenResponse } from '../api/types.gen';
import { useUser } from '../auth';
import { ErrorBox } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { ago, dateTime } from '../components/format';
import { usePoll, useTitle } from '../components/hooks';
import { Loading } from '../components/Loading';

/**
 * passwordMinLength and passwordMaxLength bound a new password, counted in
 * bytes of UTF-8, as the server's password.Validate does (keep them equal to
 * password.MinLength and password.MaxLength).
 */
export const passwordMinLength = 8;
export const passwordMaxLength = 256;

/** newPasswordProblem says what is wrong with a new password, or returns ''. */
export function newPasswordProblem(pw: string): string {
  const n = new TextEncoder().encode(pw).length;
  if (n < passwordMinLength) return `must be at least ${passwordMinLength} characters`;
  if (n > passwordMaxLength) return `must be at most ${passwordMaxLength} characters`;
  return '';
}

/**
 * newPasswordChecks says what is wrong with a new password and its
 * confirmation, by field ('' for a field that is fine).
 */
export function newPasswordChecks(password: string, confirm: string): { password: string; confirm: string } {
  return {
    password: newPasswordProblem(password),
    confirm: confirm !== password ? 'does not match the new password' : '',
  };
}

/** focusField moves the focus to a form's field by its id, if it is there. */
export function focusField(id: string): void {
  document.getElementById(id)?.focus();
}

/** SettingsPage shows the account, its password and its API tokens. */
export function SettingsPage() {
  useTitle('Settings');
  const me = useUser();
  return (
    <>
      <h1>Account</h1>
      <section className="card" aria-labelledby="account-title">
        <h2 id="account-title">{me.username}</h2>
        <dl className="facts">
          <dt>Email</dt>
          <dd>{me.email}</dd>
          <dt>Roles</dt>
          <dd>{me.roles.join(', ')}</dd>
          <dt>Member since</dt>
          <dd>{dateTime(me.created_at)}</dd>
        </dl>
      </section>
      <Password username={me.username} />
      <Tokens />
    </>
  );
}

const noChecks = { password: '', confirm: '' };

/** Password changes the signed-in user's password; their other sessions end. */
function Password({ username }: { username: string }) {
  const empty = { old_password: '', password: '', confirm: '' };
  const [form, setForm] = useState(empty);
  // checks are what is wrong before anything is sent.
  const [checks, setChecks] = useState(noChecks);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const fields = error instanceof ApiError ? error.fieldErrors() : {};
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => {
    setForm((f) => ({ ...f, [k]: e.target.value }));
    if (k !== 'old_password') setChecks((c) => ({ ...c, [k]: '' }));
    setDone(false);
  };

  return (
    <section aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <p className="muted">
        Changing your password signs you out everywhere else. This browser stays signed in, and API tokens keep
        working.
      </p>
      <div role="status">
        {done && (
          <div className="card notice">
            <p>
              <strong>Password changed.</strong> Your other sessions were signed out; this one stays signed in.
            </p>
          </div>
        )}
      </div>
      <form
        className="card form"
        aria-labelledby="password-title"
        aria-busy={busy || undefined}
        onSubmit={async (e) => {
          e.preventDefault();
          const c = newPasswordChecks(form.password, form.confirm);
          setChecks(c);
          setDone(false);
          if (c.password || c.confirm) {
            setError(undefined);
            focusField(c.password ? 'field-password' : 'field-confirm');
            return;
          }
          setBusy(true);
          setError(undefined);
          try {
            await api.updatePassword('me', { old_password: form.old_password, password: form.password });
            setForm(empty);
            setDone(true);
          } catch (err) {
            setError(err);
            const f = err instanceof ApiError ? err.fieldErrors() : {};
            if (f.old_password) focusField('field-old_password');
            else if (f.password) focusField('field-password');
          } finally {
            setBusy(false);
          }
        }}
      >
        {/* Tells password managers whose password this is. */}
        <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
        <Field
          label="Current password"
          name="old_password"
          type="password"
          autoComplete="current-password"
          required
          value={form.old_password}
          error={fields.old_password}
          onChange={set('old_password')}
        />
        <Field
          label="New password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          value={form.password}
          error={checks.password || fields.password}
          help={`At least ${passwordMinLength} characters.`}
          onChange={set('password')}
        />
        <Field
          label="Confirm new password"
          name="confirm"
          type="password"
          autoComplete="new-password"
          required
          value={form.confirm}
          error={checks.confirm || undefined}
          onChange={set('confirm')}
        />
        <ErrorBox error={error} hideFields={['old_password', 'password']} />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}

function Tokens() {
  const tokens = usePoll(() => api.tokens('me'), 0, []);
  const [name, setName] = useState('');
  const [days, setDays] = useState('30');
  const [created, setCreated] = useState<CreateTokenResponse>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [removeError, setRemoveError] = useState<unknown>();
  const fields = error instanceof ApiError ? error.fieldErrors() : {};
  const daysNum = Number(days);
  const daysError = days !== '' && (!Number.isInteger(daysNum) || daysNum <= 0) ? 'must be a whole number of days' : '';

  return (
    <section aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted">
        Tokens let scripts and CI use Den's API and CLI as you: set <code>DEN_SESSION_TOKEN</code> for the CLI, or
        send the <code>Den-Session-Token</code> header. From a terminal: <code>den tokens create</code>.
      </p>
      {created && (
        <div className="card notice" role="status">
          <p>
            <strong>Token {created.token.name} created.</strong> Copy it now: it is not shown again.
          </p>
          <div className="command">
            <code data-testid="new-token">{created.key}</code>
            {navigator.clipboard && (
              <button type="button" className="small" onClick={() => navigator.clipboard.writeText(created.key)}>
                Copy
              </button>
            )}
          </div>
          <button type="button" className="small" onClick={() => setCreated(undefined)}>
            Done
          </button>
        </div>
      )}
      <form
        className="card form inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (daysError) return;
          setBusy(true);
          setError(undefined);
          try {
            const resp = await api.createToken('me', {
              name,
              lifetime_seconds: days === '' ? 0 : Math.round(daysNum * 86400),
            });
            setCreated(resp);
            setName('');
            tokens.reload();
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="Name" name="name" autoComplete="off" value={name} error={fields.name} help="Optional; a name is made up if empty." onChange={(e) => setName(e.target.value)} />
        <Field
          label="Lifetime in days"
          name="lifetime"
          inputMode="numeric"
          value={days}
          error={daysError || fields.lifetime_seconds}
          help="Empty for the server's default."
          onChange={(e) => setDays(e.target.value)}
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create token'}
          </button>
        </div>
        <ErrorBox error={error} hideFields={['name', 'lifetime_seconds']} />
      </form>
      <ErrorBox error={removeError} />
      {tokens.error !== undefined && <ErrorBox error={tokens.error} />}
      {!tokens.data && !tokens.error && <Loading what="Loading tokens" />}
      {tokens.data && tokens.data.length === 0 && <p className="muted">No tokens yet.</p>}
      {tokens.data && tokens.data.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">ID</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="sr-only">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>
                    <code>{t.id}</code>
                  </td>
                  <td title={dateTime(t.created_at)}>{ago(t.created_at)}</td>
                  <td title={dateTime(t.last_used_at)}>{Date.parse(t.last_used_at) > 0 ? ago(t.last_used_at) : 'never'}</td>
                  <td>{dateTime(t.expires_at)}</td>
                  <td>
                    <button
                      type="button"
                      className="small danger"
                      aria-label={`Remove token ${t.name}`}
                      onClick={async () => {
                        setRemoveError(undefined);
                        try {
                          await api.deleteToken('me', t.id);
                          tokens.reload();
                        } catch (err) {
                          setRemoveError(err);
                        }
                      }}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
