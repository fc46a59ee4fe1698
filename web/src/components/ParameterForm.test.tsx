import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TemplateParameter, TemplateVersion } from '../api/types.gen';
import { CreateWorkspacePage } from '../pages/CreateWorkspace';
import { json, mockFetch } from '../test/fetch';
import { ParameterForm, useParameterForm } from './ParameterForm';

afterEach(() => vi.unstubAllGlobals());

const params: TemplateParameter[] = [
  {
    name: 'cpu',
    display_name: 'CPU cores',
    description: 'How many cores the container may use.',
    type: 'number',
    default: '2',
    validation: { min: 1, max: 8 },
    mutable: true,
  },
  {
    name: 'lang',
    type: 'string',
    options: [
      { name: 'Go', value: 'go' },
      { name: 'Rust', value: 'rust' },
    ],
    mutable: false,
  },
  { name: 'docker', type: 'bool', default: 'false', mutable: true },
  { name: 'repo', type: 'string', validation: { regex: '^https://', error: 'use an https:// URL' }, default: 'https://x', mutable: true },
  { name: 'ports', type: 'list(string)', default: '["8000"]', mutable: true },
];

function Harness({ onValid }: { onValid: (v: Record<string, string>) => void }) {
  const state = useParameterForm(params);
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (state.validate()) onValid(state.values);
      }}
    >
      <ParameterForm parameters={params} state={state} />
      <button type="submit">Go</button>
    </form>
  );
}

describe('ParameterForm', () => {
  it('renders a labelled field per type with defaults and help', () => {
    render(<Harness onValid={() => undefined} />);
    expect(screen.getByLabelText(/CPU cores/)).toHaveProperty('value', '2');
    expect(screen.getByText(/How many cores.*A number from 1 to 8/)).toBeTruthy();
    expect(screen.getByLabelText(/lang/).tagName).toBe('SELECT');
    expect(screen.getByLabelText(/docker/)).toHaveProperty('type', 'checkbox');
    expect(screen.getByLabelText(/ports/)).toHaveProperty('value', '8000');
    expect(screen.getByText(/Cannot change after the workspace is created/)).toBeTruthy();
  });

  it('validates with the server rules and says what is wrong by field', async () => {
    const user = userEvent.setup();
    const onValid = vi.fn();
    render(<Harness onValid={onValid} />);
    const cpu = screen.getByLabelText(/CPU cores/);
    await user.clear(cpu);
    await user.type(cpu, '12');
    const repo = screen.getByLabelText(/repo/);
    await user.clear(repo);
    await user.type(repo, 'git@x');
    await user.click(screen.getByRole('button', { name: 'Go' }));
    expect(onValid).not.toHaveBeenCalled();
    expect(cpu.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById('param-cpu-error')?.textContent).toBe('must be at most 8');
    expect(document.getElementById('param-repo-error')?.textContent).toBe('use an https:// URL');
    expect(document.getElementById('param-lang-error')?.textContent).toBe('is required');
    expect(cpu.getAttribute('aria-describedby')).toContain('param-cpu-error');

    // Fixing a field clears its message at once.
    await user.clear(cpu);
    await user.type(cpu, '4');
    expect(document.getElementById('param-cpu-error')).toBeNull();
    await user.selectOptions(screen.getByLabelText(/lang/), 'rust');
    await user.clear(repo);
    await user.type(repo, 'https://example.com/r.git');
    await user.click(screen.getByLabelText(/docker/));
    const ports = screen.getByLabelText(/ports/);
    await user.type(ports, '\n3000');
    await user.click(screen.getByRole('button', { name: 'Go' }));
    expect(onValid).toHaveBeenCalledWith({
      cpu: '4',
      lang: 'rust',
      docker: 'true',
      repo: 'https://example.com/r.git',
      ports: '["8000","3000"]',
    });
  });
});

describe('creating a workspace', () => {
  const version: TemplateVersion = {
    id: 'v1',
    template_id: 't1',
    template_name: 'go',
    number: 3,
    file_hash: 'h',
    parameters: params,
    active: true,
    created_by: 'ada',
    created_at: '2025-01-01T00:00:00Z',
    job: { id: 'j', type: 'template_version_import', status: 'succeeded', created_at: '2025-01-01T00:00:00Z' },
  };

  it('shows the server validation errors by field', async () => {
    const calls = mockFetch({
      'GET /api/v2/templates': () =>
        json(200, [{ id: 't1', name: 'go', provisioner: 'docker', active_version: 3, workspace_count: 0, created_at: '', updated_at: '' }]),
      'GET /api/v2/templates/go/versions/active': () => json(200, version),
      'POST /api/v2/users/me/workspaces': () =>
        json(400, {
          message: 'invalid request',
          validations: [
            { field: 'name', detail: 'a workspace named "dev" already exists' },
            { field: 'parameters.cpu', detail: 'the server says no' },
            { field: 'something.else', detail: 'shown in the summary' },
          ],
        }),
    });
    const user = userEvent.setup();
    render(
      <MemoryRouter initialEntries={['/workspaces/new?template=go']}>
        <Routes>
          <Route path="/workspaces/new" element={<CreateWorkspacePage />} />
        </Routes>
      </MemoryRouter>,
    );
    await user.type(await screen.findByLabelText('Workspace name'), 'dev');
    await user.selectOptions(screen.getByLabelText(/lang/), 'go');
    await user.click(screen.getByRole('button', { name: 'Create workspace' }));

    expect(await screen.findByText('the server says no')).toBeTruthy();
    expect(document.getElementById('param-cpu-error')?.textContent).toBe('the server says no');
    expect(document.getElementById('field-name-error')?.textContent).toBe('a workspace named "dev" already exists');
    expect(screen.getByText(/shown in the summary/).textContent).toBe('something.else: shown in the summary');

    const post = calls.find((c) => c.method === 'POST');
    expect(post?.body).toEqual({
      name: 'dev',
      template: 'go',
      parameters: [
        { name: 'cpu', value: '2' },
        { name: 'lang', value: 'go' },
        { name: 'docker', value: 'false' },
        { name: 'repo', value: 'https://x' },
        { name: 'ports', value: '["8000"]' },
      ],
    });
  });

  it('checks the name before asking the server', async () => {
    const calls = mockFetch({
      'GET /api/v2/templates': () =>
        json(200, [{ id: 't1', name: 'go', provisioner: 'docker', active_version: 3, workspace_count: 0, created_at: '', updated_at: '' }]),
      'GET /api/v2/templates/go/versions/active': () => json(200, version),
    });
    const user = userEvent.setup();
    render(
      <MemoryRouter initialEntries={['/workspaces/new?template=go']}>
        <CreateWorkspacePage />
      </MemoryRouter>,
    );
    await user.type(await screen.findByLabelText('Workspace name'), 'Dev_1');
    await user.click(screen.getByRole('button', { name: 'Create workspace' }));
    expect(document.getElementById('field-name-error')?.textContent).toMatch(/lowercase letters, digits and hyphens/);
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
  });
});
