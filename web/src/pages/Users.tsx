import { useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { Link } from 'react-router-dom';
import { api, ApiError } from '../api/client';
import { roleValues, type Role, type User } from '../api/types.gen';
import { canManageUsers, useUser } from '../auth';
import { ErrorBox } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { ago, dateTime } from '../components/format';
import { usePoll, useTitle } from '../components/hooks';
import { Loading } from '../components/Loading';
import { StatusBadge } from '../components/StatusBadge';
import { focusField, newPasswordChecks, passwordMinLength } from './Settings';

// Every user is a member; these are the roles one can add.
const extraRoles = roleValues.filter((r) => r !== 'member');

/** UsersPage lists users; user admins add, suspend, re-role, set passwords of and delete them. */
export function UsersPage() {
  useTitle('Users');
  const me = useUser();
  const manage = canManageUsers(me);
  const users = usePoll(() => api.users(), 15000, []);
  const [creating, setCreating] = useState(false);
  return (
    <>
      <div className="page-head">
        <h1>Users</h1>
        {manage && (
          <button type="button" className="primary" aria-expanded={creating} onClick={() => setCreating((c) => !c)}>
            Add user
          </button>
        )}
      </div>
      {creating && (
        <CreateUser
          onDone={() => {
            setCreating(false);
            users.reload();
          }}
          onCancel={() => setCreating(false)}
        />
      )}
      {users.error !== undefined && (
        <ErrorBox
          error={users.error}
          next={users.error instanceof ApiError && users.error.status === 403 ? 'Listing users takes the user-admin, auditor or owner role.' : undefined}
        />
      )}
      {!users.data && !users.error && <Loading what="Loading users" />}
      {users.data && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Roles</th>
                <th scope="col">Status</th>
                <th scope="col">Last seen</th>
                {manage && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {users.data.map((u) => (
                <UserRow key={u.id} user={u} self={u.id === me.id} manage={manage} onChange={users.reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

interface RowProps {
  user: User;
  self: boolean;
  manage: boolean;
  onChange: () => void;
}

function UserRow({ user: u, self, manage, onChange }: RowProps) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [settingPassword, setSettingPassword] = useState(false);
  const [passwordSet, setPasswordSet] = useState(false);
  const passwordButton = useRef<HTMLButtonElement>(null);
  // closePassword closes the password form and gives the focus back to its button.
  const closePassword = (set: boolean) => {
    flushSync(() => {
      setSettingPassword(false);
      setPasswordSet(set);
    });
    passwordButton.current?.focus();
  };
  const act = (fn: () => Promise<unknown>) => async () => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      setEditing(false);
      setConfirming(false);
      onChange();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr>
      <td>
        <strong>{u.username}</strong>
        {self && <span className="tag">you</span>}
        <div className="muted">{u.email}</div>
      </td>
      <td>
        {editing ? (
          <RoleEditor
            initial={u.roles}
            busy={busy}
            onSave={(roles) => act(() => api.setUserRoles(u.username, roles))()}
            onCancel={() => setEditing(false)}
            idPrefix={`roles-${u.username}`}
          />
        ) : (
          u.roles.filter((r) => r !== 'member').join(', ') || <span className="muted">member</span>
        )}
      </td>
      <td>
        <StatusBadge status={u.status === 'active' ? 'running' : 'stopped'} label={u.status} />
      </td>
      <td title={dateTime(u.last_seen_at)}>{u.last_seen_at ? ago(u.last_seen_at) : <span className="muted">never</span>}</td>
      {manage && (
        <td>
          <div className="actions">
            {!self && (
              <button
                type="button"
                className="small"
                disabled={busy}
                onClick={act(() => api.setUserStatus(u.username, u.status === 'active' ? 'suspended' : 'active'))}
              >
                {u.status === 'active' ? 'Suspend' : 'Activate'}
              </button>
            )}
            {!self && !editing && (
              <button type="button" className="small" disabled={busy} onClick={() => setEditing(true)}>
                Roles…
              </button>
            )}
            {!self && !settingPassword && (
              <button
                ref={passwordButton}
                type="button"
                className="small"
                disabled={busy}
                onClick={() => {
                  setPasswordSet(false);
                  setSettingPassword(true);
                }}
              >
                Set password…
              </button>
            )}
            {!self &&
              (confirming ? (
                <>
                  <button type="button" className="small danger" autoFocus disabled={busy} onClick={act(() => api.deleteUser(u.username))}>
                    Delete {u.username}
                  </button>
                  <button type="button" className="small" onClick={() => setConfirming(false)}>
                    Cancel
                  </button>
                </>
              ) : (
                <button type="button" className="small danger" disabled={busy} onClick={() => setConfirming(true)}>
                  Delete…
                </button>
              ))}
            {self && (
              <span className="muted">
                Another admin manages your account. Change your password in <Link to="/settings">Settings</Link>.
              </span>
            )}
          </div>
          {settingPassword && (
            <SetPassword
              user={u}
              onDone={() => closePassword(true)}
              onCancel={() => closePassword(false)}
            />
          )}
          <div role="status">
            {passwordSet && (
              <p className="card notice">
                Password set for {u.username}. Their sessions were signed out; their API tokens keep working.
              </p>
            )}
          </div>
          <ErrorBox error={error} />
        </td>
      )}
    </tr>
  );
}

interface RoleEditorProps {
  initial: Role[];
  busy: boolean;
  idPrefix: string;
  onSave: (roles: Role[]) => void;
  onCancel: () => void;
}

function RoleEditor({ initial, busy, idPrefix, onSave, onCancel }: RoleEditorProps) {
  const [roles, setRoles] = useState<Role[]>(initial.filter((r) => r !== 'member'));
  return (
    <div>
      <RoleChecks value={roles} onChange={setRoles} idPrefix={idPrefix} />
      <div className="actions">
        <button type="button" className="small primary" disabled={busy} onClick={() => onSave(roles)}>
          Save roles
        </button>
        <button type="button" className="small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

function RoleChecks({ value, onChange, idPrefix }: { value: Role[]; onChange: (r: Role[]) => void; idPrefix: string }) {
  return (
    <fieldset className="roles">
      <legend>Roles (everyone is a member)</legend>
      {extraRoles.map((r) => (
        <label key={r} htmlFor={`${idPrefix}-${r}`} className="check">
          <input
            id={`${idPrefix}-${r}`}
            type="checkbox"
            checked={value.includes(r)}
            onChange={(e) => onChange(e.target.checked ? [...value, r] : value.filter((x) => x !== r))}
          />{' '}
          {r}
        </label>
      ))}
    </fieldset>
  );
}

/** SetPassword sets another user's password; that user's sessions end. */
function SetPassword({ user: u, onDone, onCancel }: { user: User; onDone: () => void; onCancel: () => void }) {
  const [form, setForm] = useState({ password: '', confirm: '' });
  // checks are what is wrong before anything is sent.
  const [checks, setChecks] = useState({ password: '', confirm: '' });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const fields = error instanceof ApiError ? error.fieldErrors() : {};
  const id = `set-password-${u.id}`;
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => {
    setForm((f) => ({ ...f, [k]: e.target.value }));
    setChecks((c) => ({ ...c, [k]: '' }));
  };
  return (
    <form
      className="form"
      aria-label={`Set password for ${u.username}`}
      aria-busy={busy || undefined}
      onSubmit={async (e) => {
        e.preventDefault();
        const c = newPasswordChecks(form.password, form.confirm);
        setChecks(c);
        setError(undefined);
        if (c.password || c.confirm) {
          focusField(c.password ? id : `${id}-confirm`);
          return;
        }
        setBusy(true);
        try {
          await api.updatePassword(u.username, { password: form.password });
          onDone();
        } catch (err) {
          setError(err);
          if (err instanceof ApiError && err.fieldErrors().password) focusField(id);
        } finally {
          setBusy(false);
        }
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <Field
        id={id}
        label="New password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        autoFocus
        value={form.password}
        error={checks.password || fields.password}
        help={`At least ${passwordMinLength} characters. Share it with ${u.username} safely.`}
        onChange={set('password')}
      />
      <Field
        id={`${id}-confirm`}
        label="Confirm new password"
        name="confirm"
        type="password"
        autoComplete="new-password"
        required
        value={form.confirm}
        error={checks.confirm || undefined}
        onChange={set('confirm')}
      />
      <ErrorBox error={error} hideFields={['password']} />
      <div className="actions">
        <button type="submit" className="small primary" disabled={busy}>
          {busy ? 'Setting…' : 'Set password'}
        </button>
        <button type="button" className="small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function CreateUser({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const [form, setForm] = useState({ username: '', email: '', password: '' });
  const [roles, setRoles] = useState<Role[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const fields = error instanceof ApiError ? error.fieldErrors() : {};
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm((f) => ({ ...f, [k]: e.target.value }));
  return (
    <form
      className="card form"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        try {
          await api.createUser({ ...form, roles });
          onDone();
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2>Add a user</h2>
      <ErrorBox error={error} hideFields={['username', 'email', 'password', 'roles']} />
      <Field label="Username" name="username" autoComplete="off" required value={form.username} error={fields.username} onChange={set('username')} />
      <Field label="Email" name="email" type="email" autoComplete="off" required value={form.email} error={fields.email} onChange={set('email')} />
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        value={form.password}
        error={fields.password}
        onChange={set('password')}
        help="They sign in with it; share it with them safely."
      />
      <RoleChecks value={roles} onChange={setRoles} idPrefix="new-user-role" />
      {fields.roles && <p className="field-error">{fields.roles}</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add user'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
