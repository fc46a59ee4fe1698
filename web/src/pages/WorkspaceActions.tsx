import { useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api/client';
import { parameterErrors, toValues } from '../api/parameters';
import type { CreateWorkspaceBuildRequest, TemplateVersion, Workspace, WorkspaceStatus } from '../api/types.gen';
import { ErrorBox } from '../components/ErrorBox';
import { Loading } from '../components/Loading';
import { focusFirstInvalid, ParameterForm, useParameterForm } from '../components/ParameterForm';

type Action = 'start' | 'stop' | 'restart' | 'update' | 'delete';

/** allowed says which actions make sense in a status (the server has the last word). */
export function allowed(status: WorkspaceStatus): Set<Action> {
  switch (status) {
    case 'running':
      return new Set(['stop', 'restart', 'update', 'delete']);
    case 'stopped':
      return new Set(['start', 'update', 'delete']);
    case 'failed':
    case 'canceled':
      return new Set(['start', 'stop', 'update', 'delete']);
    case 'pending':
    case 'starting':
      return new Set(['stop', 'delete']); // a stop or delete cancels the start
    default:
      return new Set();
  }
}

interface Props {
  workspace: Workspace;
  mine: boolean;
  onChange: () => void;
}

/** WorkspaceActions are the start/stop/restart/update/delete buttons. */
export function WorkspaceActions({ workspace: w, onChange }: Props) {
  const [busy, setBusy] = useState<Action>();
  const [error, setError] = useState<unknown>();
  const [confirming, setConfirming] = useState(false);
  const [updating, setUpdating] = useState(false);
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );

  const can = allowed(w.status);
  const build = async (req: CreateWorkspaceBuildRequest) => {
    const b = await api.createBuild(w.id, req);
    onChange();
    return b;
  };
  const run = (action: Action, fn: () => Promise<unknown>) => async () => {
    setBusy(action);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      if (alive.current) setError(err);
    } finally {
      if (alive.current) setBusy(undefined);
    }
  };
  // The server starts the workspace again once the stop succeeds, even if
  // this page is closed meanwhile; the page follows both through the watch.
  const restart = () => build({ transition: 'stop', restart: true });

  return (
    <section className="actions-bar" aria-label="Workspace actions">
      <div className="actions">
        {can.has('start') && (
          <button type="button" className="primary" disabled={!!busy} onClick={run('start', () => build({ transition: 'start' }))}>
            {busy === 'start' ? 'Starting…' : 'Start'}
          </button>
        )}
        {can.has('stop') && (
          <button type="button" disabled={!!busy} onClick={run('stop', () => build({ transition: 'stop' }))}>
            {busy === 'stop' ? 'Stopping…' : 'Stop'}
          </button>
        )}
        {can.has('restart') && (
          <button type="button" disabled={!!busy} onClick={run('restart', restart)}>
            {busy === 'restart' ? 'Restarting…' : 'Restart'}
          </button>
        )}
        {can.has('update') && (
          <button type="button" disabled={!!busy} aria-expanded={updating} onClick={() => setUpdating((u) => !u)}>
            {w.outdated ? 'Update…' : 'Change parameters…'}
          </button>
        )}
        {can.has('delete') && (
          <button type="button" className="danger" disabled={!!busy} aria-expanded={confirming} onClick={() => setConfirming(true)}>
            Delete…
          </button>
        )}
        {can.size === 0 && <span className="muted">No action while the workspace is {w.status}.</span>}
      </div>
      <ErrorBox error={error} />
      {confirming && (
        <div className="confirm card" role="group" aria-labelledby="confirm-delete">
          <p id="confirm-delete">
            Delete <strong>{w.name}</strong>? Its container and all its volumes, with the files in them, are removed.
          </p>
          <div className="actions">
            <button
              type="button"
              className="danger"
              autoFocus
              disabled={!!busy}
              onClick={run('delete', async () => {
                await build({ transition: 'delete' });
                setConfirming(false);
              })}
            >
              {busy === 'delete' ? 'Deleting…' : `Delete ${w.name}`}
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {updating && (
        <UpdatePanel
          workspace={w}
          onDone={() => {
            setUpdating(false);
            onChange();
          }}
          onCancel={() => setUpdating(false)}
        />
      )}
    </section>
  );
}

interface UpdateProps {
  workspace: Workspace;
  onDone: () => void;
  onCancel: () => void;
}

// UpdatePanel starts the workspace again on the active template version,
// with its parameters (the fixed ones keep their values).
function UpdatePanel({ workspace: w, onDone, onCancel }: UpdateProps) {
  const [version, setVersion] = useState<TemplateVersion>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api.templateVersion(w.template_name, 'active').then(setVersion, setError);
  }, [w.template_name]);
  if (error && !version) return <ErrorBox error={error} />;
  if (!version) return <Loading what="Loading the template's parameters" />;
  return <UpdateForm key={version.id} workspace={w} version={version} onDone={onDone} onCancel={onCancel} />;
}

function UpdateForm({ workspace: w, version, onDone, onCancel }: UpdateProps & { version: TemplateVersion }) {
  const params = version.parameters ?? [];
  const previous = w.latest_build.parameters ?? [];
  const form = useParameterForm(params, previous);
  const fixed = new Set(params.filter((p) => !p.mutable && previous.some((v) => v.name === p.name)).map((p) => p.name));
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const newVersion = version.id !== w.latest_build.template_version_id;
  return (
    <form
      className="card form"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const formEl = e.currentTarget;
        if (!form.validate()) {
          focusFirstInvalid(formEl);
          return;
        }
        setBusy(true);
        setError(undefined);
        try {
          await api.createBuild(w.id, {
            transition: 'start',
            template_version_id: newVersion ? version.id : undefined,
            parameters: toValues(params, form.values).filter((v) => !fixed.has(v.name)),
          });
          onDone();
        } catch (err) {
          setError(err);
          if (err instanceof ApiError) {
            form.showErrors(parameterErrors(err.fieldErrors()));
            focusFirstInvalid(formEl);
          }
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2>{newVersion ? `Update to version ${version.number}` : 'Change parameters'}</h2>
      <p className="muted">
        The workspace starts again{newVersion ? ` on version ${version.number} of ${w.template_name}` : ''}; its
        persistent volumes are kept.
        {version.message ? ` Version note: ${version.message}` : ''}
      </p>
      <ParameterForm parameters={params} state={form} fixed={fixed} />
      <ErrorBox error={error} hideFields={['parameters']} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Starting…' : newVersion ? 'Update and start' : 'Apply and start'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
