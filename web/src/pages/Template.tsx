import { useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError } from '../api/client';
import { label, required } from '../api/parameters';
import { isText, readTar, type TarEntry } from '../api/tar';
import type { TemplateParameter, TemplateVersion } from '../api/types.gen';
import { ErrorBox } from '../components/ErrorBox';
import { ago, dateTime } from '../components/format';
import { usePoll, useTitle } from '../components/hooks';
import { Loading } from '../components/Loading';
import { StatusBadge } from '../components/StatusBadge';
import { workspacePath } from './workspaceFilter';

/** TemplatePage shows a template: versions, parameters, its den.yaml and the workspaces made from it. */
export function TemplatePage() {
  const { template = '' } = useParams();
  return <TemplateView key={template} name={template} />;
}

function TemplateView({ name }: { name: string }) {
  useTitle(name);
  const tmpl = usePoll(() => api.template(name), 10000, [name]);
  const versions = usePoll(() => api.templateVersions(name), 10000, [name]);
  const [picked, setPicked] = useState<number>();
  const t = tmpl.data;
  const shown: TemplateVersion | undefined =
    versions.data?.find((v) => v.number === picked) ?? versions.data?.find((v) => v.active) ?? versions.data?.[0];

  if (tmpl.error && !t) {
    return (
      <>
        <h1>{name}</h1>
        <ErrorBox
          error={tmpl.error}
          next={
            tmpl.error instanceof ApiError && tmpl.error.status === 404 ? <Link to="/templates">See the templates</Link> : undefined
          }
        />
      </>
    );
  }
  if (!t) return <Loading what="Loading the template" />;
  return (
    <>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/templates">Templates</Link>
          </p>
          <h1>{t.name}</h1>
          {t.description && <p>{t.description}</p>}
          <p className="muted">
            {t.provisioner} provisioner · {t.active_version > 0 ? `active version ${t.active_version}` : 'no version imported yet'} ·{' '}
            {t.workspace_count} workspace{t.workspace_count === 1 ? '' : 's'}
          </p>
        </div>
        {t.active_version > 0 && (
          <Link className="button primary" to={`/workspaces/new?template=${encodeURIComponent(t.name)}`}>
            Create workspace
          </Link>
        )}
      </div>

      <section aria-labelledby="versions-title">
        <h2 id="versions-title">Versions</h2>
        <p className="muted">
          Push a new version with <code>den templates push {t.name} -d DIR</code>.
        </p>
        {versions.error !== undefined && <ErrorBox error={versions.error} />}
        {versions.data && (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Message</th>
                  <th scope="col">Import</th>
                  <th scope="col">By</th>
                  <th scope="col">Pushed</th>
                  <th scope="col">
                    <span className="sr-only">Show</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {versions.data.map((v) => (
                  <tr key={v.id} aria-current={v.number === shown?.number ? 'true' : undefined}>
                    <td>
                      {v.number}
                      {v.active && <span className="tag">active</span>}
                    </td>
                    <td>{v.message || <span className="muted">—</span>}</td>
                    <td>
                      <StatusBadge status={v.job.status} />
                      {v.job.error && <div className="error-inline">{v.job.error}</div>}
                    </td>
                    <td>{v.created_by}</td>
                    <td title={dateTime(v.created_at)}>{ago(v.created_at)}</td>
                    <td>
                      {v.number === shown?.number ? (
                        <span className="muted">shown below</span>
                      ) : (
                        <button type="button" className="small" onClick={() => setPicked(v.number)}>
                          Show
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

      {shown && (
        <>
          <section aria-labelledby="params-title">
            <h2 id="params-title">Parameters of version {shown.number}</h2>
            <ParameterTable params={shown.parameters ?? []} />
          </section>
          <Spec key={shown.id} version={shown} />
        </>
      )}
      <TemplateWorkspaces name={t.name} />
    </>
  );
}

function ParameterTable({ params }: { params: TemplateParameter[] }) {
  if (params.length === 0) return <p className="muted">None: workspaces need no choices.</p>;
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Default</th>
            <th scope="col">Rules</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {params.map((p) => (
            <tr key={p.name}>
              <td>
                {label(p)} {p.display_name && <code className="param-name">{p.name}</code>}
              </td>
              <td>
                <code>{p.type}</code>
              </td>
              <td>{required(p) ? <span className="muted">required</span> : <code>{p.default}</code>}</td>
              <td>{rules(p)}</td>
              <td>{p.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function rules(p: TemplateParameter): string {
  const r: string[] = [];
  if (p.options?.length) r.push(`one of ${p.options.map((o) => o.value).join(', ')}`);
  const v = p.validation;
  if (v?.min !== undefined && v.min !== null) r.push(`≥ ${v.min}`);
  if (v?.max !== undefined && v.max !== null) r.push(`≤ ${v.max}`);
  if (v?.regex) r.push(`matches ${v.regex}`);
  r.push(p.mutable ? 'mutable' : 'fixed after creation');
  return r.join('; ');
}

// Spec shows a version's files (its den.yaml first), read from the pushed archive.
function Spec({ version }: { version: TemplateVersion }) {
  const [files, setFiles] = useState<TarEntry[]>();
  const [error, setError] = useState<unknown>();
  const [open, setOpen] = useState('den.yaml');
  useEffect(() => {
    let live = true;
    api.file(version.file_hash).then(
      (buf) => live && setFiles(readTar(buf).filter((e) => e.type === '0')),
      (err) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [version.file_hash]);
  const current = useMemo(() => files?.find((f) => f.name === open) ?? files?.[0], [files, open]);
  return (
    <section aria-labelledby="spec-title">
      <h2 id="spec-title">Files of version {version.number}</h2>
      {error !== undefined && (
        <ErrorBox
          error={error}
          next={
            error instanceof ApiError && (error.status === 403 || error.status === 404)
              ? 'Reading a template\'s files takes the template-admin, auditor or owner role.'
              : undefined
          }
        />
      )}
      {!files && !error && <Loading what="Loading the files" />}
      {files && files.length === 0 && <p className="muted">The archive holds no files.</p>}
      {files && current && (
        <div className="spec">
          <div className="field">
            <label htmlFor="spec-file">File</label>
            <select id="spec-file" value={current.name} onChange={(e) => setOpen(e.target.value)}>
              {files.map((f) => (
                <option key={f.name} value={f.name}>
                  {f.name} ({f.size} bytes)
                </option>
              ))}
            </select>
          </div>
          {isText(current.data) ? (
            <pre className="code" tabIndex={0} aria-label={current.name}>
              {new TextDecoder().decode(current.data)}
            </pre>
          ) : (
            <p className="muted">A binary file; not shown.</p>
          )}
        </div>
      )}
    </section>
  );
}

// TemplateWorkspaces lists the workspaces made from the template: the first
// page of them, and a link to the rest in the workspace list.
function TemplateWorkspaces({ name }: { name: string }) {
  const { data, error } = usePoll((signal) => api.workspaces({ template: name, limit: 50 }, signal), 10000, [name]);
  const mine = data?.workspaces;
  return (
    <section aria-labelledby="tws-title">
      <h2 id="tws-title">Workspaces using it</h2>
      {error !== undefined && <ErrorBox error={error} />}
      {!data && !error && <Loading what="Loading workspaces" />}
      {mine && mine.length === 0 && <p className="muted">None that you can see.</p>}
      {mine && mine.length > 0 && (
        <ul className="plain-list">
          {mine.map((w) => (
            <li key={w.id}>
              <Link to={workspacePath(w)}>
                {w.owner_name}/{w.name}
              </Link>{' '}
              <StatusBadge status={w.status} /> <span className="muted">version {w.latest_build.template_version_number}</span>
              {w.outdated && <span className="tag">outdated</span>}
            </li>
          ))}
        </ul>
      )}
      {data && data.count > data.workspaces.length && (
        <p className="muted">
          {data.workspaces.length} of {data.count} shown.{' '}
          <Link to={`/workspaces?q=template:${encodeURIComponent(name)}`}>See them all</Link>
        </p>
      )}
    </section>
  );
}
