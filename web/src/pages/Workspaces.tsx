import { Link, useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../api/client';
import type { Workspace } from '../api/types.gen';
import { ErrorBox } from '../components/ErrorBox';
import { ago } from '../components/format';
import { usePoll, useTitle } from '../components/hooks';
import { Loading } from '../components/Loading';
import { StatusBadge } from '../components/StatusBadge';
import { filterWorkspaces, workspacePath } from './workspaceFilter';

/** WorkspacesPage lists the workspaces the user may see, refreshed every 2 s. */
export function WorkspacesPage() {
  useTitle('Workspaces');
  const [params, setParams] = useSearchParams();
  const query = params.get('q') ?? '';
  const { data, error, loading } = usePoll((signal) => api.workspaces({}, signal), 2000, []);
  return (
    <>
      <div className="page-head">
        <h1>Workspaces</h1>
        <Link className="button primary" to="/workspaces/new">
          Create workspace
        </Link>
      </div>
      {error !== undefined && (
        <ErrorBox
          error={error}
          next={
            error instanceof ApiError && error.status === 0
              ? 'The list refreshes by itself once the server answers.'
              : 'The list tries again every 2 seconds.'
          }
        />
      )}
      {loading && !data && <Loading what="Loading workspaces" />}
      {data && (
        <WorkspaceList
          workspaces={data}
          query={query}
          onQuery={(q) => setParams(q ? { q } : {}, { replace: true })}
        />
      )}
    </>
  );
}

interface ListProps {
  workspaces: Workspace[];
  query: string;
  onQuery: (q: string) => void;
}

/** WorkspaceList is the filter box and the table. */
export function WorkspaceList({ workspaces, query, onQuery }: ListProps) {
  if (workspaces.length === 0) {
    return (
      <div className="empty card">
        <h2>No workspaces yet</h2>
        <p>A workspace is a development environment made from a template.</p>
        <p>
          <Link className="button primary" to="/workspaces/new">
            Create a workspace
          </Link>
        </p>
        <p className="muted">
          Or from a terminal: <code>den create NAME --template TEMPLATE</code>. If there are no templates yet, a template
          admin pushes one with <code>den templates init DIR</code> and <code>den templates push NAME -d DIR</code>.
        </p>
      </div>
    );
  }
  const shown = filterWorkspaces(workspaces, query);
  return (
    <>
      <div className="toolbar">
        <label htmlFor="workspace-filter">Filter</label>
        <input
          id="workspace-filter"
          type="search"
          placeholder="name, owner:ada, template:go, status:running"
          value={query}
          onChange={(e) => onQuery(e.target.value)}
          aria-describedby="workspace-count"
        />
        <span id="workspace-count" className="muted" aria-live="polite">
          {shown.length === workspaces.length
            ? `${workspaces.length} workspace${workspaces.length === 1 ? '' : 's'}`
            : `${shown.length} of ${workspaces.length}`}
        </span>
      </div>
      {shown.length === 0 ? (
        <div className="empty card">
          <p>No workspace matches “{query}”.</p>
          <button type="button" onClick={() => onQuery('')}>
            Clear the filter
          </button>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Owner</th>
                <th scope="col">Template</th>
                <th scope="col">Status</th>
                <th scope="col">Last build</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((w) => (
                <tr key={w.id} data-testid="workspace-row">
                  <td>
                    <Link to={workspacePath(w)}>{w.name}</Link>
                  </td>
                  <td>{w.owner_name}</td>
                  <td>
                    {w.template_name}
                    {w.outdated && (
                      <span className="tag" title="A newer template version is active; update from the workspace page">
                        outdated
                      </span>
                    )}
                  </td>
                  <td>
                    <StatusBadge status={w.status} />
                  </td>
                  <td className="muted">
                    #{w.latest_build.number} {w.latest_build.transition}, {ago(w.latest_build.created_at)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
