import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../api/client';
import type { Workspace, WorkspacePage } from '../api/types.gen';
import { ErrorBox } from '../components/ErrorBox';
import { ago } from '../components/format';
import { usePoll, useTitle } from '../components/hooks';
import { Loading } from '../components/Loading';
import { StatusBadge } from '../components/StatusBadge';
import { workspacePath } from './workspaceFilter';

/** pageSize is how many workspaces the list shows at a time. */
export const pageSize = 25;

/** typingPause is how long the filter box waits after a keystroke before it asks the server. */
const typingPause = 250;

/** Listed is a page of the list, with the search and offset it answers. */
interface Listed extends WorkspacePage {
  q: string;
  offset: number;
}

/**
 * WorkspacesPage lists the workspaces the user may see, a page at a time,
 * refreshed every 2 s. The server filters them by the search in ?q= and
 * the page is ?page= (1-based).
 */
export function WorkspacesPage() {
  useTitle('Workspaces');
  const [params, setParams] = useSearchParams();
  const query = params.get('q') ?? '';
  const page = pageNumber(params.get('page'));
  const q = query.trim();
  const offset = (page - 1) * pageSize;

  // draft is the filter box, ahead of ?q= while the user types; sent is
  // the search last put in the address by this page.
  const [draft, setDraft] = useState(query);
  const sent = useRef(query);
  const go = (nextQuery: string, nextPage: number, replace: boolean) => {
    sent.current = nextQuery;
    const next: Record<string, string> = {};
    if (nextQuery) next.q = nextQuery;
    if (nextPage > 1) next.page = String(nextPage);
    setParams(next, { replace });
  };
  // The address changed by other means (Back, a link): show its search.
  useEffect(() => {
    if (query !== sent.current) {
      sent.current = query;
      setDraft(query);
    }
  }, [query]);
  // A new search starts on page 1, once the typing pauses.
  useEffect(() => {
    if (draft === sent.current) return;
    const timer = setTimeout(() => go(draft, 1, true), typingPause);
    return () => clearTimeout(timer);
  }, [draft]);

  // A search the server refused stays refused: don't ask again every 2 s.
  const refused = useRef<{ q: string; err: unknown }>(undefined);
  const { data, error, loading } = usePoll<Listed>(
    async (signal) => {
      if (refused.current?.q === q) throw refused.current.err;
      try {
        return { q, offset, ...(await api.workspaces({ q, limit: pageSize, offset }, signal)) };
      } catch (err) {
        if (searchError(err) !== undefined) refused.current = { q, err };
        throw err;
      }
    },
    2000,
    [q, offset],
  );
  const badSearch = searchError(error);
  const current = data !== undefined && data.q === q && data.offset === offset;

  // Past the last page (workspaces were deleted, or an old link): go to the last one.
  useEffect(() => {
    if (current && page > 1 && data.workspaces.length === 0) go(query, Math.ceil(data.count / pageSize), true);
  }, [data]);

  const clear = () => {
    setDraft('');
    go('', 1, true);
  };
  const none = data !== undefined && data.count === 0 && data.q === '';
  return (
    <>
      <div className="page-head">
        <h1>Workspaces</h1>
        <Link className="button primary" to="/workspaces/new">
          Create workspace
        </Link>
      </div>
      {error !== undefined && badSearch === undefined && (
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
      {none && <NoWorkspaces />}
      {!none && (data || badSearch !== undefined) && (
        <>
          <div className="toolbar">
            <label htmlFor="workspace-filter">Filter</label>
            <input
              id="workspace-filter"
              type="search"
              placeholder="name, owner:ada, template:go, status:running"
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              aria-invalid={badSearch !== undefined ? true : undefined}
              aria-describedby={badSearch !== undefined ? 'workspace-count workspace-filter-error' : 'workspace-count'}
            />
            <span id="workspace-count" className="muted" aria-live="polite">
              {data && countText(data)}
            </span>
          </div>
          {badSearch !== undefined && (
            <p id="workspace-filter-error" className="field-error filter-error" role="alert">
              {badSearch}
            </p>
          )}
          {data && data.count === 0 && (
            <div className="empty card">
              <p>No workspace matches “{data.q}”.</p>
              <button type="button" onClick={clear}>
                Clear the filter
              </button>
            </div>
          )}
          {data && data.count > 0 && <WorkspaceTable workspaces={data.workspaces} busy={!current && badSearch === undefined} />}
          {data && (data.count > pageSize || page > 1) && (
            <Pager page={page} last={Math.max(1, Math.ceil(data.count / pageSize))} onPage={(p) => go(query, p, false)} />
          )}
        </>
      )}
    </>
  );
}

/** pageNumber reads ?page=: a whole number from 1, else 1. */
function pageNumber(s: string | null): number {
  const n = Number(s);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** searchError is the server's complaint about the search (a 400 naming q), if err is one. */
function searchError(err: unknown): string | undefined {
  if (!(err instanceof ApiError) || err.status !== 400) return undefined;
  return err.fieldErrors().q;
}

/** countText says which of the matching workspaces the page shows: "26–50 of 1000". */
function countText(l: Listed): string {
  const n = l.workspaces.length;
  if (n === 0) return `${l.count} workspace${l.count === 1 ? '' : 's'}`;
  const from = l.offset + 1;
  const to = l.offset + n;
  return from === to ? `${from} of ${l.count}` : `${from}–${to} of ${l.count}`;
}

function NoWorkspaces() {
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

interface PagerProps {
  page: number;
  last: number;
  onPage: (page: number) => void;
}

/**
 * Pager moves between pages. At either end its button is aria-disabled
 * rather than disabled, so that it keeps the keyboard focus that pressed it.
 */
function Pager({ page, last, onPage }: PagerProps) {
  const atStart = page <= 1;
  const atEnd = page >= last;
  return (
    <nav className="pager" aria-label="Workspace pages">
      <button type="button" aria-disabled={atStart} onClick={() => !atStart && onPage(page - 1)}>
        Previous
      </button>
      <span className="muted">
        Page {page} of {Math.max(page, last)}
      </span>
      <button type="button" aria-disabled={atEnd} onClick={() => !atEnd && onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

/** WorkspaceTable is one page of the list. busy marks it while the next page loads. */
function WorkspaceTable({ workspaces, busy }: { workspaces: Workspace[]; busy: boolean }) {
  return (
    <div className="table-wrap" aria-busy={busy || undefined}>
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
          {workspaces.map((w) => (
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
  );
}
