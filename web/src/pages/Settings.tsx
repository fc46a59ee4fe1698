import { useState } from 'react';
import { api, ApiError } from '../api/client';
import type { CreateTokenResponse } from '../api/types.gen';
import { useUser } from '../auth';
import { ErrorBox } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { ago, dateTime } from '../components/format';
import { usePoll, useTitle } from '../components/hooks';
import { Loading } from '../components/Loading';

/** SettingsPage shows the account and its API tokens. */
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
      <Tokens />
    </>
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
