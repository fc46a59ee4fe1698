import { Link } from 'react-router-dom';
import { api } from '../api/client';
import { ErrorBox } from '../components/ErrorBox';
import { ago, dateTime } from '../components/format';
import { usePoll, useTitle } from '../components/hooks';
import { Loading } from '../components/Loading';

/** TemplatesPage lists the templates. */
export function TemplatesPage() {
  useTitle('Templates');
  const { data, error } = usePoll(() => api.templates(), 10000, []);
  return (
    <>
      <div className="page-head">
        <h1>Templates</h1>
      </div>
      <p className="muted">
        Templates are pushed from a terminal: <code>den templates init DIR</code>, edit <code>DIR/den.yaml</code>, then{' '}
        <code>den templates push NAME -d DIR</code>.
      </p>
      {error !== undefined && <ErrorBox error={error} />}
      {!data && !error && <Loading what="Loading templates" />}
      {data && data.length === 0 && (
        <div className="empty card">
          <h2>No templates yet</h2>
          <p>
            Start from the starter template: <code>den templates init dev</code>, then <code>den templates push dev -d dev</code>.
          </p>
        </div>
      )}
      {data && data.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Active version</th>
                <th scope="col">Workspaces</th>
                <th scope="col">Provisioner</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {data.map((t) => (
                <tr key={t.id}>
                  <td>
                    <Link to={`/templates/${encodeURIComponent(t.name)}`}>{t.name}</Link>
                  </td>
                  <td>{t.description || <span className="muted">—</span>}</td>
                  <td>{t.active_version > 0 ? t.active_version : <span className="muted">none imported</span>}</td>
                  <td>{t.workspace_count}</td>
                  <td>{t.provisioner}</td>
                  <td title={dateTime(t.updated_at)}>{ago(t.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
