import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { User, Workspace, WorkspaceBuild, WorkspaceStatus } from '../api/types.gen';
import { AuthProvider, useAuth } from '../auth';
import { type Call, json, mockFetch, type NdjsonStream, ndjsonStream } from '../test/fetch';
import { WorkspacePage } from './Workspace';

const ada: User = {
  id: 'u1',
  username: 'ada',
  email: 'ada@example.com',
  roles: ['member'],
  status: 'active',
  created_at: '2025-01-01T00:00:00Z',
};

function build(number: number, transition: WorkspaceBuild['transition'], done: boolean): WorkspaceBuild {
  return {
    id: `b${number}`,
    workspace_id: 'w1',
    number,
    transition,
    template_version_id: 'v',
    template_version_number: 1,
    parameters: [],
    initiator_name: 'ada',
    resources: [],
    created_at: '2025-01-01T00:00:00Z',
    job: { id: `j${number}`, type: 'workspace_build', status: done ? 'succeeded' : 'running', created_at: '' },
  };
}

function ws(status: WorkspaceStatus, latest = build(1, 'start', status === 'running'), more: Partial<Workspace> = {}): Workspace {
  return {
    id: 'w1',
    name: 'dev',
    owner_id: 'u1',
    owner_name: 'ada',
    template_id: 't',
    template_name: 'go',
    status,
    outdated: false,
    apps: [],
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    latest_build: latest,
    ...more,
  };
}

const running = ws('running', build(1, 'start', true), {
  agent: { id: 'a', lifecycle: 'ready', connection: 'connected' },
  apps: [{ slug: 'code', name: 'Code', share: 'owner', health: 'healthy', url: 'http://code.den.test/' }],
});

type Stream = NdjsonStream<Workspace>;
const stream = () => ndjsonStream<Workspace>();

const ndjson = (...lines: unknown[]) =>
  new Response(lines.map((l) => `${JSON.stringify(l)}\n`).join(''), {
    status: 200,
    headers: { 'Content-Type': 'application/x-ndjson' },
  });

// SignedIn renders its children once the session is known, as RequireAuth does.
function SignedIn({ children }: { children: React.ReactNode }) {
  return useAuth().user ? <>{children}</> : null;
}

/**
 * renderPage opens /@ada/dev on a server whose workspace is first, whose
 * watches are answered by answers and then by fresh streams (in streams),
 * and whose builds are builds.
 */
function renderPage(first: Workspace | null, builds: () => WorkspaceBuild[] = () => [build(1, 'start', true)]) {
  const answers: (() => Response)[] = [];
  const streams: Stream[] = [];
  const calls = mockFetch({
    'GET /api/v2/users/me': () => json(200, ada),
    'GET /api/v2/users/ada/workspaces/dev': () => (first ? json(200, first) : json(404, { message: 'workspace not found' })),
    'GET /api/v2/workspaces/w1/watch': () => {
      const next = answers.shift();
      if (next) return next();
      const s = stream();
      streams.push(s);
      return s.response;
    },
    'GET /api/v2/workspaces/w1/builds': () => json(200, builds()),
    'POST /api/v2/workspaces/w1/builds': () => json(201, build(2, 'stop', false)),
    'GET /api/v2/jobs/j1/logs': () =>
      ndjson(
        { log: { id: 1, created_at: '', level: 'info', stage: 'Starting', output: 'startup says hello' } },
        { job: build(1, 'start', true).job },
      ),
    'GET /api/v2/jobs/j2/logs': () => ndjson({ job: build(2, 'stop', true).job }),
  });
  render(
    <MemoryRouter initialEntries={['/@ada/dev']}>
      <AuthProvider>
        <SignedIn>
          <Routes>
            <Route path="/:owner/:workspace" element={<WorkspacePage />} />
          </Routes>
        </SignedIn>
      </AuthProvider>
    </MemoryRouter>,
  );
  const count = (method: string, path: string) =>
    calls.filter((c: Call) => c.method === method && new URL(c.url, 'http://den.test').pathname === path).length;
  return { answers, streams, calls, count };
}

/** wait lets ms pass (0: only what is ready now) and React render. */
const wait = (ms = 0) => act(() => vi.advanceTimersByTimeAsync(ms));
const badge = (selector: string) => document.querySelector(selector);

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('WorkspacePage', () => {
  it('shows the workspace and follows its changes from the stream', async () => {
    const srv = renderPage(ws('starting'));
    await wait();
    expect(badge('h1 .badge[data-status=starting]')).not.toBeNull();
    expect(srv.count('GET', '/api/v2/workspaces/w1/watch')).toBe(1);

    srv.streams[0].send(running);
    await wait(50);
    expect(badge('h1 .badge[data-status=running]')).not.toBeNull();
    expect(badge('.badge[data-status=ready]')).not.toBeNull();
    const app = screen.getByTestId('app');
    expect(app.querySelector('.badge[data-status=healthy]')).not.toBeNull();
    expect(within(app).getByRole('link', { name: 'Code' }).getAttribute('href')).toBe('http://code.den.test/');
    expect(within(screen.getByTestId('build-log')).getByText('startup says hello')).toBeTruthy();

    // An app turning unhealthy shows with no new request.
    const before = srv.calls.length;
    srv.streams[0].send({ ...running, apps: [{ ...running.apps[0], health: 'unhealthy' }] });
    await wait();
    expect(screen.getByTestId('app').querySelector('.badge[data-status=unhealthy]')).not.toBeNull();
    await wait(60_000);
    expect(srv.calls.length).toBe(before);
    expect(srv.count('GET', '/api/v2/users/ada/workspaces/dev')).toBe(1);
  });

  it('shows the new state and build after Stop from the stream, without polling', async () => {
    let builds = [build(1, 'start', true)];
    const srv = renderPage(running, () => builds);
    await wait();
    srv.streams[0].send(running);
    await wait();

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Stop' })));
    await wait();
    expect(srv.count('POST', '/api/v2/workspaces/w1/builds')).toBe(1);
    // The state changes when the server says so, not before.
    expect(badge('h1 .badge[data-status=running]')).not.toBeNull();

    builds = [build(2, 'stop', false), build(1, 'start', true)];
    srv.streams[0].send(ws('stopping', build(2, 'stop', false)));
    await wait();
    expect(badge('h1 .badge[data-status=stopping]')).not.toBeNull();
    expect(screen.getByRole('region', { name: 'Build #2 (stop)' })).toBeTruthy();
    expect(srv.count('GET', '/api/v2/workspaces/w1/builds')).toBe(2);

    builds = [build(2, 'stop', true), build(1, 'start', true)];
    srv.streams[0].send(ws('stopped', build(2, 'stop', true)));
    await wait();
    expect(badge('h1 .badge[data-status=stopped]')).not.toBeNull();
    expect(screen.getByRole('button', { name: 'Start' })).toBeTruthy();
    expect(srv.count('GET', '/api/v2/workspaces/w1/builds')).toBe(3);
    expect(srv.count('GET', '/api/v2/users/ada/workspaces/dev')).toBe(1);
    expect(srv.count('GET', '/api/v2/workspaces/w1/watch')).toBe(1);
  });

  it('keeps the last state with a hint while it reconnects', async () => {
    const srv = renderPage(running);
    await wait();
    srv.streams[0].send(running);
    await wait();
    expect(screen.queryByText(/Reconnecting/)).toBeNull();

    srv.streams[0].fail();
    await wait();
    const hint = screen.getByText('Reconnecting… showing the last known state.');
    expect(hint.getAttribute('role')).toBe('status');
    expect(badge('h1 .badge[data-status=running]')).not.toBeNull();
    expect(screen.getByRole('button', { name: 'Stop' })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();

    await wait(1000);
    expect(srv.count('GET', '/api/v2/workspaces/w1/watch')).toBe(2);
    srv.streams[1].send(ws('stopped', build(1, 'start', true)));
    await wait();
    expect(screen.queryByText(/Reconnecting/)).toBeNull();
    expect(badge('h1 .badge[data-status=stopped]')).not.toBeNull();
  });

  it('says the workspace is gone when the stream ends and it is not found again', async () => {
    const srv = renderPage(running);
    await wait();
    srv.streams[0].send(ws('deleting', build(2, 'delete', false)));
    await wait();
    expect(screen.getByRole('region', { name: 'Workspace actions' }).textContent).toMatch(/No action while the workspace is deleting/);

    srv.answers.push(() => json(404, { message: 'workspace not found' }));
    srv.streams[0].end();
    await wait();
    expect(screen.getByText('The workspace is gone.')).toBeTruthy();
    expect(badge('h1 .badge[data-status=deleted]')).not.toBeNull();
    expect(screen.queryByRole('region', { name: 'Workspace actions' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Back to the workspaces' }).getAttribute('href')).toBe('/');
    // The build history stays.
    expect(screen.getByRole('heading', { name: 'Build history' })).toBeTruthy();
    await wait(60_000);
    expect(srv.count('GET', '/api/v2/workspaces/w1/watch')).toBe(2);
  });

  it('says a workspace that is not there may have been deleted', async () => {
    const srv = renderPage(null);
    await wait();
    expect(screen.getByRole('heading', { name: 'dev' })).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toMatch(/Workspace not found.*It may have been deleted/);
    expect(srv.count('GET', '/api/v2/workspaces/w1/watch')).toBe(0);
  });
});
