import { useEffect, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../api/client';
import { parameterErrors, toValues } from '../api/parameters';
import type { Template, TemplateVersion } from '../api/types.gen';
import { ErrorBox } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { useTitle } from '../components/hooks';
import { Loading } from '../components/Loading';
import { focusFirstInvalid, ParameterForm, useParameterForm } from '../components/ParameterForm';
import { workspacePath } from './workspaceFilter';

const nameRE = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/** validateName applies the server's rule for workspace names. */
export function validateName(name: string): string {
  if (name === '') return 'is required';
  if (name.length > 32) return 'must be at most 32 characters';
  if (!nameRE.test(name)) {
    return 'a workspace name may contain only lowercase letters, digits and hyphens, and must start with a letter and end with a letter or digit';
  }
  return '';
}

/** CreateWorkspacePage makes a workspace from a template and its parameters. */
export function CreateWorkspacePage() {
  useTitle('Create workspace');
  const [params, setParams] = useSearchParams();
  const chosen = params.get('template') ?? '';
  const [templates, setTemplates] = useState<Template[]>();
  const [loadError, setLoadError] = useState<unknown>();
  const [version, setVersion] = useState<TemplateVersion>();
  const [versionError, setVersionError] = useState<unknown>();

  useEffect(() => {
    api.templates().then(setTemplates, setLoadError);
  }, []);

  const usable = (templates ?? []).filter((t) => t.active_version > 0);
  const template = chosen || (usable.length === 1 ? usable[0].name : '');

  useEffect(() => {
    setVersion(undefined);
    setVersionError(undefined);
    if (!template) return;
    let live = true;
    api.templateVersion(template, 'active').then(
      (v) => live && setVersion(v),
      (err) => live && setVersionError(err),
    );
    return () => {
      live = false;
    };
  }, [template]);

  return (
    <>
      <h1>Create a workspace</h1>
      {loadError !== undefined && <ErrorBox error={loadError} next="Reload the page to try again." />}
      {!templates && !loadError && <Loading what="Loading templates" />}
      {templates && usable.length === 0 && (
        <div className="empty card">
          <h2>No templates yet</h2>
          <p>
            Workspaces are made from templates. A template admin pushes one from a terminal:{' '}
            <code>den templates init DIR</code>, then <code>den templates push NAME -d DIR</code>.
          </p>
        </div>
      )}
      {templates && usable.length > 0 && (
        <div className="card form">
          <div className="field">
            <label htmlFor="template">Template</label>
            <select
              id="template"
              value={template}
              onChange={(e) => setParams(e.target.value ? { template: e.target.value } : {}, { replace: true })}
            >
              {!template && <option value="">Choose a template…</option>}
              {chosen && !usable.some((t) => t.name === chosen) && <option value={chosen}>{chosen}</option>}
              {usable.map((t) => (
                <option key={t.id} value={t.name}>
                  {t.name}
                  {t.description ? ` — ${t.description}` : ''}
                </option>
              ))}
            </select>
          </div>
          {versionError !== undefined && (
            <ErrorBox
              error={versionError}
              next={
                versionError instanceof ApiError && versionError.status === 404
                  ? 'Choose another template.'
                  : 'Reload the page to try again.'
              }
            />
          )}
          {template && !version && !versionError && <Loading what="Loading the template's parameters" />}
          {version && <CreateForm key={version.id} template={template} version={version} />}
        </div>
      )}
    </>
  );
}

function CreateForm({ template, version }: { template: string; version: TemplateVersion }) {
  const navigate = useNavigate();
  const parameters = version.parameters ?? [];
  const form = useParameterForm(parameters);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const fields = error instanceof ApiError ? error.fieldErrors() : {};
  return (
    <form
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const nameMsg = validateName(name);
        setNameError(nameMsg);
        const paramsOK = form.validate();
        if (nameMsg || !paramsOK) {
          setError(undefined);
          focusFirstInvalid(e.currentTarget);
          return;
        }
        const formEl = e.currentTarget;
        setBusy(true);
        setError(undefined);
        try {
          const ws = await api.createWorkspace('me', { name, template, parameters: toValues(parameters, form.values) });
          navigate(workspacePath(ws));
        } catch (err) {
          setError(err);
          if (err instanceof ApiError) {
            const f = err.fieldErrors();
            if (f.name) setNameError(f.name);
            form.showErrors(parameterErrors(f));
            focusFirstInvalid(formEl);
          }
        } finally {
          setBusy(false);
        }
      }}
    >
      {version.description && <p className="muted">{version.description}</p>}
      <p className="muted">
        Version {version.number}
        {version.message ? `: ${version.message}` : ''}
      </p>
      <Field
        label="Workspace name"
        name="name"
        autoComplete="off"
        spellCheck={false}
        required
        value={name}
        error={nameError || undefined}
        help="Lowercase letters, digits and hyphens; you will connect with den ssh NAME."
        onChange={(e) => {
          setName(e.target.value);
          if (nameError) setNameError(validateName(e.target.value));
        }}
      />
      <ParameterForm parameters={parameters} state={form} />
      {fields.template && <ErrorBox error={new Error(`Template: ${fields.template}`)} />}
      <ErrorBox error={error} hideFields={['name', 'template', 'parameters']} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create workspace'}
        </button>
        <Link to="/">Cancel</Link>
      </div>
    </form>
  );
}
