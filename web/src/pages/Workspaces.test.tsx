import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Link, MemoryRouter, Route, Routes, useLocation } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Workspace, WorkspaceStatus } from '../api/types.gen';
import { StatusBadge, toneOf } from '../components/StatusBadge';
import { type Call, json, mockFetch } from '../test/fetch';
import { TemplatePage } from './Template';
import { workspacePath } from './workspaceFilter';
import { WorkspacesPage } from './Workspaces';

afterEach(() => vi.unstubAllGlobals());

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

/** many is 60 workspaces, in the server's order: ada's dev-01..dev-35, then grace's dev-36..dev-60. */
const many = Array.from({ length: 60 }, (_, i) => {
  const n = String(i + 1).padStart(2, '0');
  return ws(`dev-${n}`, i < 35 ? 'ada' : 'grace', i % 2 ? 'go' : 'python', 'running');
});

/**
 * serve answers GET /api/v2/workspaces from all as the server would: q
 * (owner:NAME, or words matched against the name) filters, then limit and
 * offset cut a page. Any other key in q is a 400 naming the field.
 */
function serve(all: Workspace[]) {
  return {
    'GET /api/v2/workspaces': (call: Call) => {
      const p = new URL(call.url, 'http://den.test').searchParams;
      let matched = all;
      for (const word of (p.get('q') ?? '').split(/\s+/).filter(Boolean)) {
        if (word.startsWith('owner:')) {
          matched = matched.filter((w) => w.owner_name === word.slice('owner:'.length));
        } else if (word.includes(':')) {
          return json(400, {
            message: 'invalid search',
            validations: [{ field: 'q', detail: `unknown key "${word.split(':')[0]}": use owner, template, status or name` }],
          });
        } else {
          matched = matched.filter((w) => w.name.includes(word));
        }
      }
      const offset = Number(p.get('offset') ?? 0);
      const limit = Number(p.get('limit') ?? 50);
      return json(200, { workspaces: matched.slice(offset, offset + limit), count: matched.length });
    },
  };
}

/** asked lists the query of each workspace list request, as "q=…&limit=…&offset=…". */
function asked(calls: Call[]) {
  return calls
    .filter((c) => new URL(c.url, 'http://den.test').pathname === '/api/v2/workspaces')
    .map((c) => new URL(c.url, 'http://den.test').searchParams);
}

// Where shows the address's query, and a link that changes it from outside the page.
function Where() {
  return (
    <>
      <output data-testid="where">{useLocation().search}</output>
      <Link to="/workspaces?q=owner:ada">Ada's</Link>
    </>
  );
}

function renderPage(path = '/workspaces') {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route
          path="/workspaces"
          element={
            <>
              <WorkspacesPage />
              <Where />
            </>
          }
        />
      </Routes>
    </MemoryRouter>,
  );
}

const where = () => screen.getByTestId('where').textContent;
const rowNames = () => screen.getAllByTestId('workspace-row').map((r) => within(r).getByRole('link').textContent);
const countText = () => document.getElementById('workspace-count')?.textContent;

describe('WorkspacesPage', () => {
  it('shows the first page of 25 and how many there are', async () => {
    const calls = mockFetch(serve(many));
    renderPage();
    expect(await screen.findByText('1–25 of 60')).toBeTruthy();
    expect(countText()).toBe('1–25 of 60');
    expect(document.getElementById('workspace-count')?.getAttribute('aria-live')).toBe('polite');
    expect(rowNames()).toEqual(many.slice(0, 25).map((w) => w.name));
    const rows = screen.getAllByTestId('workspace-row');
    expect(within(rows[0]).getByRole('link').getAttribute('href')).toBe('/@ada/dev-01');
    expect(within(rows[0]).getAllByRole('cell').map((c) => c.textContent)).toEqual([
      'dev-01',
      'ada',
      'python',
      'running',
      expect.stringMatching(/^#1 start, /),
    ]);
    const [first] = asked(calls);
    expect(first.get('limit')).toBe('25');
    expect(first.get('offset')).toBeNull();
    expect(first.get('q')).toBeNull();
    expect(screen.getByRole('button', { name: 'Previous' }).getAttribute('aria-disabled')).toBe('true');
    expect(screen.getByRole('button', { name: 'Next' }).getAttribute('aria-disabled')).toBe('false');
  });

  it('pages with Next and Previous, keeping the page in the address', async () => {
    const calls = mockFetch(serve(many));
    const u = userEvent.setup();
    renderPage();
    await screen.findByText('1–25 of 60');

    await u.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('26–50 of 60')).toBeTruthy();
    expect(where()).toBe('?page=2');
    expect(asked(calls).at(-1)?.get('offset')).toBe('25');
    expect(rowNames()).toEqual(many.slice(25, 50).map((w) => w.name));
    expect(screen.getByRole('button', { name: 'Previous' }).getAttribute('aria-disabled')).toBe('false');

    // From the keyboard; at the last page Next is unavailable but keeps the focus.
    const next = screen.getByRole('button', { name: 'Next' });
    next.focus();
    await u.keyboard('{Enter}');
    expect(await screen.findByText('51–60 of 60')).toBeTruthy();
    expect(where()).toBe('?page=3');
    expect(asked(calls).at(-1)?.get('offset')).toBe('50');
    expect(rowNames()).toHaveLength(10);
    expect(next.getAttribute('aria-disabled')).toBe('true');
    expect(document.activeElement).toBe(next);
    const before = calls.length;
    await u.click(next);
    expect(where()).toBe('?page=3');
    expect(calls.length).toBe(before);

    await u.click(screen.getByRole('button', { name: 'Previous' }));
    expect(await screen.findByText('26–50 of 60')).toBeTruthy();
    expect(where()).toBe('?page=2');
    await u.click(screen.getByRole('button', { name: 'Previous' }));
    expect(await screen.findByText('1–25 of 60')).toBeTruthy();
    expect(where()).toBe('');
    expect(asked(calls).at(-1)?.get('offset')).toBeNull();
  });

  it('starts from the search and page in the address', async () => {
    const calls = mockFetch(serve(many));
    renderPage('/workspaces?q=owner:ada&page=2');
    expect(await screen.findByText('26–35 of 35')).toBe(document.getElementById('workspace-count'));
    expect(rowNames()).toEqual(many.slice(25, 35).map((w) => w.name));
    expect((screen.getByLabelText('Filter') as HTMLInputElement).value).toBe('owner:ada');
    const [first] = asked(calls);
    expect(first.get('q')).toBe('owner:ada');
    expect(first.get('offset')).toBe('25');
  });

  it('follows the address when a link changes the search', async () => {
    const calls = mockFetch(serve(many));
    const u = userEvent.setup();
    renderPage('/workspaces?page=2');
    await screen.findByText('26–50 of 60');
    await u.click(screen.getByRole('link', { name: "Ada's" }));
    expect(await screen.findByText('1–25 of 35')).toBeTruthy();
    expect((screen.getByLabelText('Filter') as HTMLInputElement).value).toBe('owner:ada');
    expect(asked(calls).at(-1)?.get('q')).toBe('owner:ada');
    expect(asked(calls).at(-1)?.get('offset')).toBeNull();
  });

  it('goes to the last page when the page asked for is past it', async () => {
    mockFetch(serve(many));
    renderPage('/workspaces?page=9');
    expect(await screen.findByText('51–60 of 60')).toBeTruthy();
    expect(where()).toBe('?page=3');
  });

  it('sends the search to the server once typing pauses, and goes back to page 1', async () => {
    const calls = mockFetch(serve(many));
    const u = userEvent.setup();
    renderPage('/workspaces?page=2');
    await screen.findByText('26–50 of 60');

    await u.type(screen.getByLabelText('Filter'), 'owner:grace');
    // Not one request per keystroke: nothing yet, then one with the whole search.
    expect(asked(calls).some((p) => p.has('q'))).toBe(false);
    expect(await screen.findByText('1–25 of 25')).toBeTruthy();
    expect(where()).toBe('?q=owner%3Agrace');
    const searches = asked(calls).filter((p) => p.has('q'));
    expect(searches.map((p) => p.get('q'))).toEqual(['owner:grace']);
    expect(searches[0].get('offset')).toBeNull();
    expect(rowNames()).toEqual(many.slice(35).map((w) => w.name));
    // One page only: no pager.
    expect(screen.queryByRole('button', { name: 'Next' })).toBeNull();
  });

  it("shows the server's complaint about the search by the filter box and keeps the table", async () => {
    const calls = mockFetch(serve(many));
    const u = userEvent.setup();
    renderPage();
    await screen.findByText('1–25 of 60');

    await u.type(screen.getByLabelText('Filter'), 'foo:bar');
    const msg = await screen.findByText('unknown key "foo": use owner, template, status or name');
    expect(msg.id).toBe('workspace-filter-error');
    const input = screen.getByLabelText('Filter');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toContain('workspace-filter-error');
    // No page-wide error, and the last good page stays.
    expect(screen.getAllByRole('alert')).toEqual([msg]);
    expect(screen.queryByText('Invalid search')).toBeNull();
    expect(rowNames()).toHaveLength(25);
    expect(asked(calls).at(-1)?.get('q')).toBe('foo:bar');

    // Fixing the search clears the complaint.
    await u.clear(input);
    await u.type(input, 'dev-0');
    expect(await screen.findByText('1–9 of 9')).toBeTruthy();
    expect(screen.queryByText(/unknown key/)).toBeNull();
    expect(input.getAttribute('aria-invalid')).toBeNull();
  });

  it('shows a refused search from the address by the filter box', async () => {
    mockFetch(serve(many));
    renderPage('/workspaces?q=foo:bar');
    expect((await screen.findByRole('alert')).id).toBe('workspace-filter-error');
    expect((screen.getByLabelText('Filter') as HTMLInputElement).value).toBe('foo:bar');
    expect(screen.queryByText(/Loading workspaces/)).toBeNull();
    expect(screen.queryAllByTestId('workspace-row')).toHaveLength(0);
  });

  it('says when nothing matches, and clears the filter', async () => {
    const calls = mockFetch(serve(many));
    const u = userEvent.setup();
    renderPage('/workspaces?q=nothing-like-this');
    expect(await screen.findByText('No workspace matches “nothing-like-this”.')).toBeTruthy();
    expect(screen.queryAllByTestId('workspace-row')).toHaveLength(0);
    expect(screen.queryByRole('heading', { name: 'No workspaces yet' })).toBeNull();

    await u.click(screen.getByRole('button', { name: 'Clear the filter' }));
    expect(await screen.findByText('1–25 of 60')).toBeTruthy();
    expect((screen.getByLabelText('Filter') as HTMLInputElement).value).toBe('');
    expect(where()).toBe('');
    expect(asked(calls).at(-1)?.has('q')).toBe(false);
  });

  it('explains how to make a first workspace', async () => {
    mockFetch(serve([]));
    renderPage();
    expect(await screen.findByRole('heading', { name: 'No workspaces yet' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Create a workspace' }).getAttribute('href')).toBe('/workspaces/new');
    expect(screen.getByText(/den create NAME --template TEMPLATE/)).toBeTruthy();
    expect(screen.queryByLabelText('Filter')).toBeNull();
  });

  it('shows each status as a badge with its tone', async () => {
    mockFetch(
      serve([
        ws('dev', 'ada', 'go', 'running'),
        ws('scratch', 'ada', 'python', 'stopped'),
        ws('devbox', 'grace', 'go', 'failed'),
        ws('api', 'grace', 'rust', 'starting'),
      ]),
    );
    renderPage();
    expect(await screen.findByText('1–4 of 4')).toBeTruthy();
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

  it('builds the address of a workspace', () => {
    expect(workspacePath(many[0])).toBe('/@ada/dev-01');
  });
});

describe('TemplatePage workspaces', () => {
  const template = {
    id: 't1',
    name: 'go',
    provisioner: 'docker',
    active_version: 0,
    workspace_count: 60,
    created_at: '',
    updated_at: '',
  };
  const renderTemplate = () =>
    render(
      <MemoryRouter initialEntries={['/templates/go']}>
        <Routes>
          <Route path="/templates/:template" element={<TemplatePage />} />
        </Routes>
      </MemoryRouter>,
    );

  it('lists the first 50 and links to the rest', async () => {
    const calls = mockFetch({
      'GET /api/v2/templates/go': () => json(200, template),
      'GET /api/v2/templates/go/versions': () => json(200, []),
      ...serve(many),
    });
    renderTemplate();
    const more = await screen.findByText(/50 of 60 shown/);
    expect(within(more).getByRole('link', { name: 'See them all' }).getAttribute('href')).toBe('/workspaces?q=template:go');
    expect(screen.getByRole('link', { name: 'ada/dev-01' })).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'grace/dev-51' })).toBeNull();
    const [first] = asked(calls);
    expect(first.get('template')).toBe('go');
    expect(first.get('limit')).toBe('50');
  });

  it('says nothing more when they all fit', async () => {
    mockFetch({
      'GET /api/v2/templates/go': () => json(200, template),
      'GET /api/v2/templates/go/versions': () => json(200, []),
      ...serve(many.slice(0, 3)),
    });
    renderTemplate();
    expect(await screen.findByRole('link', { name: 'ada/dev-03' })).toBeTruthy();
    expect(screen.queryByText(/shown/)).toBeNull();
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
