import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { workspaceApps } from '../api/apps';
import { api, errorMessage } from '../api/client';
import type { Workspace, WorkspaceBuild } from '../api/types.gen';
import { canSeeTemplates, useUser } from '../auth';
import { ErrorBox } from '../components/ErrorBox';
import { ago, dateTime, duration } from '../components/format';
import { usePoll, useTitle } from '../components/hooks';
import { Loading } from '../components/Loading';
import { LogView, useJobLogs } from '../components/LogView';
import { StatusBadge } from '../components/StatusBadge';
import { useWatch } from '../components/useWatch';
import { NotFoundPage } from './NotFound';
import { WorkspaceActions } from './WorkspaceActions';

/** WorkspacePage shows one workspace at /@user/name, as it changes. */
export function WorkspacePage() {
  const { owner = '', workspace = '' } = useParams();
  if (!owner.startsWith('@') || owner.length < 2) return <NotFoundPage />;
  return <WorkspaceView key={`${owner}/${workspace}`} owner={owner.slice(1)} name={workspace} />;
}

function WorkspaceView({ owner, name }: { owner: string; name: string }) {
  useTitle(name);
  const user = useUser();
  const ws = useWatch(owner, name);
  const w = ws.workspace;
  const latest = w?.latest_build;
  const builds = usePoll(
    (signal) => (w ? api.builds(w.id, signal) : Promise.resolve([] as WorkspaceBuild[])),
    0,
    [w?.id, latest?.number, latest?.job.status],
  );
  const [selected, setSelected] = useState<number>();
  const shownBuild =
    (selected !== undefined && builds.data?.find((b) => b.number === selected)) || latest || undefined;
  // The watch brings every change; the log only shows it.
  const logs = useJobLogs(shownBuild?.job.id);

  // Follow a new build when it appears (unless an older one was picked).
  const lastLatest = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (latest && lastLatest.current !== undefined && latest.number !== lastLatest.current) setSelected(undefined);
    lastLatest.current = latest?.number;
  }, [latest]);

  if (ws.gone && !w) {
    return (
      <>
        <h1>{name}</h1>
        <ErrorBox error={ws.error} next={<>It may have been deleted. <Link to="/">Back to the workspaces</Link>.</>} />
      </>
    );
  }
  if (!w) {
    return ws.error ? (
      <ErrorBox error={ws.error} next="The page tries again in a few seconds." />
    ) : (
      <Loading what="Loading the workspace" />
    );
  }
  const gone = ws.gone;
  return (
    <>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/">Workspaces</Link> / {w.owner_name}
          </p>
          <h1>
            {w.name} <StatusBadge status={gone ? 'deleted' : w.status} />
          </h1>
          <p className="muted">
            Template{' '}
            {canSeeTemplates(user) ? <Link to={`/templates/${encodeURIComponent(w.template_name)}`}>{w.template_name}</Link> : w.template_name}{' '}
            version {w.latest_build.template_version_number}
            {w.outdated && <span className="tag">outdated: a newer version is active</span>}
          </p>
          {ws.reconnecting && !gone && (
            <p className="muted" role="status" title={ws.error ? errorMessage(ws.error) : undefined}>
              Reconnecting… showing the last known state.
            </p>
          )}
        </div>
      </div>
      {gone && (
        <div className="card" role="status">
          <p>
            <strong>The workspace is gone.</strong> <Link to="/">Back to the workspaces</Link>.
          </p>
        </div>
      )}
      {!gone && <WorkspaceActions workspace={w} mine={w.owner_id === user.id} onChange={ws.retry} />}

      {!gone && (
        <>
          <div className="grid">
            <AgentCard workspace={w} />
            <ConnectCard workspace={w} mine={w.owner_id === user.id} />
          </div>
          <AppsCard workspace={w} />
        </>
      )}

      {shownBuild && (
        <LogView
          state={logs}
          title={`Build #${shownBuild.number} (${shownBuild.transition})${shownBuild.number === latest?.number ? '' : ', an earlier build'}`}
        />
      )}
      <BuildHistory builds={builds.data} error={builds.error} shown={shownBuild?.number} onShow={setSelected} />
    </>
  );
}

function AgentCard({ workspace: w }: { workspace: Workspace }) {
  const a = w.agent;
  return (
    <section className="card" aria-labelledby="agent-title">
      <h2 id="agent-title">Agent</h2>
      {!a ? (
        <p className="muted">
          {w.status === 'running' || w.status === 'starting'
            ? 'No agent reported yet.'
            : 'The agent runs while the workspace runs. Start the workspace to connect.'}
        </p>
      ) : (
        <dl className="facts">
          <dt>Lifecycle</dt>
          <dd>
            <StatusBadge status={a.lifecycle} />
          </dd>
          <dt>Connection</dt>
          <dd>
            <StatusBadge status={a.connection} />
          </dd>
          <dt>Version</dt>
          <dd>{a.version || '—'}</dd>
          {a.started_at && (
            <>
              <dt>Started</dt>
              <dd title={dateTime(a.started_at)}>{ago(a.started_at)}</dd>
            </>
          )}
          {a.ready_at && (
            <>
              <dt>Ready after</dt>
              <dd>{duration(a.started_at, a.ready_at)}</dd>
            </>
          )}
          {a.last_connected_at && (
            <>
              <dt>Last connected</dt>
              <dd title={dateTime(a.last_connected_at)}>{ago(a.last_connected_at)}</dd>
            </>
          )}
        </dl>
      )}
      {a?.lifecycle === 'start_error' && (
        <p className="error-inline">The startup script failed; its output is in the build log below.</p>
      )}
      {a?.lifecycle === 'start_timeout' && (
        <p className="error-inline">The startup script did not finish in time; its output is in the build log below.</p>
      )}
    </section>
  );
}

function CopyButton({ text }: { text: string }) {
  const [done, setDone] = useState(false);
  if (!navigator.clipboard) return null;
  return (
    <button
      type="button"
      className="small"
      onClick={() =>
        navigator.clipboard.writeText(text).then(() => {
          setDone(true);
          setTimeout(() => setDone(false), 1500);
        })
      }
      aria-label={`Copy ${text}`}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

function Command({ cmd }: { cmd: string }) {
  return (
    <div className="command">
      <code>{cmd}</code>
      <CopyButton text={cmd} />
    </div>
  );
}

function ConnectCard({ workspace: w, mine }: { workspace: Workspace; mine: boolean }) {
  const terminal = `/@${encodeURIComponent(w.owner_name)}/${encodeURIComponent(w.name)}/terminal`;
  const running = w.status === 'running';
  return (
    <section className="card" aria-labelledby="connect-title">
      <h2 id="connect-title">Connect</h2>
      {!mine && <p className="muted">Only the owner, {w.owner_name}, can connect to this workspace.</p>}
      {mine && (
        <>
          <p>
            {running ? (
              <a className="button" href={terminal} target="_blank" rel="noopener">
                Terminal
              </a>
            ) : (
              <button type="button" disabled title="Start the workspace first">
                Terminal
              </button>
            )}{' '}
            <span className="muted">{running ? 'opens a shell in a new tab' : 'available while the workspace runs'}</span>
          </p>
          <p>From a terminal with the den CLI:</p>
          <Command cmd={`den ssh ${w.name}`} />
          <p>For OpenSSH, scp, rsync, git and IDEs, once:</p>
          <Command cmd="den config-ssh" />
          <p>then:</p>
          <Command cmd={`ssh den.${w.name}`} />
        </>
      )}
    </section>
  );
}

function AppsCard({ workspace: w }: { workspace: Workspace }) {
  const apps = workspaceApps(w);
  if (apps.length === 0) return null;
  const running = w.status === 'running';
  return (
    <section className="card" aria-labelledby="apps-title">
      <h2 id="apps-title">Apps</h2>
      <ul className="apps">
        {apps.map((app) => (
          <li key={app.slug} data-testid="app">
            {running ? (
              <a href={app.url} target="_blank" rel="noopener">
                {app.name || app.slug}
              </a>
            ) : (
              <span>{app.name || app.slug}</span>
            )}{' '}
            <StatusBadge status={running ? app.health : 'off'} label={running ? undefined : 'stopped'} />{' '}
            <span className="muted">shared with {app.share === 'owner' ? 'the owner only' : app.share === 'authenticated' ? 'signed-in users' : 'everyone'}</span>
          </li>
        ))}
      </ul>
      {!running && <p className="muted">Apps open while the workspace runs.</p>}
    </section>
  );
}

interface HistoryProps {
  builds?: WorkspaceBuild[];
  error: unknown;
  shown?: number;
  onShow: (n: number) => void;
}

function BuildHistory({ builds, error, shown, onShow }: HistoryProps) {
  const show = useCallback((n: number) => onShow(n), [onShow]);
  return (
    <section aria-labelledby="builds-title">
      <h2 id="builds-title">Build history</h2>
      {error !== undefined && <ErrorBox error={error} />}
      {!builds && !error && <Loading what="Loading builds" />}
      {builds && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Build</th>
                <th scope="col">Transition</th>
                <th scope="col">Status</th>
                <th scope="col">Version</th>
                <th scope="col">By</th>
                <th scope="col">When</th>
                <th scope="col">Took</th>
                <th scope="col">
                  <span className="sr-only">Logs</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {builds.map((b) => (
                <tr key={b.id} aria-current={b.number === shown ? 'true' : undefined}>
                  <td>#{b.number}</td>
                  <td>
                    {b.transition}
                    {b.orphan ? ' (orphan)' : ''}
                    {b.restart ? ' (restart)' : ''}
                  </td>
                  <td>
                    <StatusBadge status={b.job.status} />
                  </td>
                  <td>{b.template_version_number}</td>
                  <td>{b.initiator_name}</td>
                  <td title={dateTime(b.created_at)}>{ago(b.created_at)}</td>
                  <td>{duration(b.job.started_at, b.job.completed_at)}</td>
                  <td>
                    {b.number === shown ? (
                      <span className="muted">shown above</span>
                    ) : (
                      <button type="button" className="small" onClick={() => show(b.number)}>
                        Show log
                      </button>
                    )}
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
