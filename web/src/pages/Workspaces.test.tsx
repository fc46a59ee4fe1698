import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { MemoryRouter } from 'react-router-dom';
import { describe, expect, it } from 'vitest';
import type { Workspace, WorkspaceStatus } from '../api/types.gen';
import { StatusBadge, toneOf } from '../components/StatusBadge';
import { filterWorkspaces, workspacePath } from './workspaceFilter';
import { WorkspaceList } from './Workspaces';

function ws(name: string, owner: string, template: string, status: WorkspaceStatus): Workspace {
  return {
    id: `${owner}-${name}`,
    name,
    owner_id: owner,
    owner_name: owner,
    template_id: template,
    template_name: template,
    status,
    outdated: false,
    apps: [],
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    latest_build: {
      id: 'b',
      workspace_id: 'w',
      number: 1,
      transition: 'start',
      template_version_id: 'v',
      template_version_number: 1,
      parameters: [],
      initiator_name: owner,
      resources: [],
      created_at: new Date().toISOString(),
      job: { id: 'j', type: 'workspace_build', status: 'succeeded', created_at: '' },
    },
  };
}

const all = [
  ws('dev', 'ada', 'go', 'running'),
  ws('scratch', 'ada', 'python', 'stopped'),
  ws('devbox', 'grace', 'go', 'failed'),
  ws('api', 'grace', 'rust', 'starting'),
];

describe('filterWorkspaces', () => {
  const names = (q: string) => filterWorkspaces(all, q).map((w) => w.name);
  it('matches any field by substring', () => {
    expect(names('')).toEqual(['dev', 'scratch', 'devbox', 'api']);
    expect(names('dev')).toEqual(['dev', 'devbox']);
    expect(names('GRACE')).toEqual(['devbox', 'api']);
    expect(names('pyth')).toEqual(['scratch']);
  });
  it('matches key:value exactly, every word', () => {
    expect(names('owner:ada')).toEqual(['dev', 'scratch']);
    expect(names('template:go status:failed')).toEqual(['devbox']);
    expect(names('status:run')).toEqual([]);
    expect(names('owner:ada dev')).toEqual(['dev']);
  });
  it('builds the address of a workspace', () => {
    expect(workspacePath(all[0])).toBe('/@ada/dev');
  });
});

function Harness({ workspaces }: { workspaces: Workspace[] }) {
  const [q, setQ] = useState('');
  return (
    <MemoryRouter>
      <WorkspaceList workspaces={workspaces} query={q} onQuery={setQ} />
    </MemoryRouter>
  );
}

describe('WorkspaceList', () => {
  it('filters as you type and says how many match', async () => {
    const user = userEvent.setup();
    render(<Harness workspaces={all} />);
    expect(screen.getAllByTestId('workspace-row')).toHaveLength(4);
    expect(screen.getByText('4 workspaces')).toBeTruthy();
    await user.type(screen.getByLabelText('Filter'), 'owner:grace');
    const rows = screen.getAllByTestId('workspace-row');
    expect(rows.map((r) => within(r).getByRole('link').textContent)).toEqual(['devbox', 'api']);
    expect(within(rows[0]).getByRole('link').getAttribute('href')).toBe('/@grace/devbox');
    expect(screen.getByText('2 of 4')).toBeTruthy();

    await user.clear(screen.getByLabelText('Filter'));
    await user.type(screen.getByLabelText('Filter'), 'nothing-like-this');
    expect(screen.queryAllByTestId('workspace-row')).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Clear the filter' }));
    expect(screen.getAllByTestId('workspace-row')).toHaveLength(4);
  });

  it('shows each status as a badge with its tone', () => {
    render(<Harness workspaces={all} />);
    const badge = (name: string) => {
      const row = screen.getAllByTestId('workspace-row').find((r) => within(r).queryByRole('link', { name }));
      return row!.querySelector('.badge')!;
    };
    expect(badge('dev').textContent).toBe('running');
    expect(badge('dev').className).toContain('badge-ok');
    expect(badge('scratch').className).toContain('badge-off');
    expect(badge('devbox').className).toContain('badge-bad');
    expect(badge('api').className).toContain('badge-busy');
    expect(badge('api').querySelector('.spinner')).not.toBeNull();
  });

  it('explains how to make a first workspace', () => {
    render(<Harness workspaces={[]} />);
    expect(screen.getByRole('heading', { name: 'No workspaces yet' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Create a workspace' }).getAttribute('href')).toBe('/workspaces/new');
    expect(screen.getByText(/den create NAME --template TEMPLATE/)).toBeTruthy();
  });
});

describe('StatusBadge', () => {
  it('gives every workspace, job and agent state a tone', () => {
    for (const s of ['running', 'succeeded', 'ready', 'connected', 'healthy']) expect(toneOf(s)).toBe('ok');
    for (const s of ['pending', 'starting', 'stopping', 'deleting', 'canceling', 'created', 'initializing']) expect(toneOf(s)).toBe('busy');
    for (const s of ['failed', 'start_error', 'start_timeout', 'disconnected', 'unhealthy']) expect(toneOf(s)).toBe('bad');
    for (const s of ['stopped', 'canceled', 'deleted', 'off', 'disabled']) expect(toneOf(s)).toBe('off');
  });
  it('writes states for people', () => {
    render(<StatusBadge status="start_timeout" />);
    expect(screen.getByText('start timeout')).toBeTruthy();
  });
});
