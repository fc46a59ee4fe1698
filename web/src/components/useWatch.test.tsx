import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError } from '../api/client';
import type { Workspace, WorkspaceStatus } from '../api/types.gen';
import { type Call, json, mockFetch, type NdjsonStream, ndjsonStream } from '../test/fetch';
import { backoff, useWatch } from './useWatch';

const enc = new TextEncoder();

function ws(status: WorkspaceStatus): Workspace {
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
    latest_build: {
      id: 'b1',
      workspace_id: 'w1',
      number: 1,
      transition: 'start',
      template_version_id: 'v',
      template_version_number: 1,
      parameters: [],
      initiator_name: 'ada',
      resources: [],
      created_at: '2025-01-01T00:00:00Z',
      job: { id: 'j1', type: 'workspace_build', status: 'succeeded', created_at: '' },
    },
  };
}

type Stream = NdjsonStream<Workspace>;
const stream = () => ndjsonStream<Workspace>();

/**
 * serve answers the look-up by name with the workspace and each watch with
 * the next of answers (a fresh stream once there are none); streams are the
 * fresh streams handed out, in order.
 */
function serve(lookup: () => Response = () => json(200, ws('starting'))) {
  const answers: (() => Response)[] = [];
  const streams: Stream[] = [];
  const calls = mockFetch({
    'GET /api/v2/users/ada/workspaces/dev': lookup,
    'GET /api/v2/workspaces/w1/watch': () => {
      const next = answers.shift();
      if (next) return next();
      const s = stream();
      streams.push(s);
      return s.response;
    },
  });
  const watches = () => calls.filter((c: Call) => c.url.endsWith('/watch')).length;
  return { answers, streams, calls, watches };
}

const notFound = () => json(404, { message: 'workspace not found' });
const down = () => {
  throw new TypeError('Failed to fetch');
};

function Watcher() {
  const w = useWatch('ada', 'dev');
  return (
    <>
      <p data-testid="status">{w.workspace?.status ?? 'none'}</p>
      <p data-testid="state">
        {w.gone ? 'gone' : w.reconnecting ? 'reconnecting' : 'live'}
        {w.error instanceof Error ? `: ${w.error.message}` : ''}
      </p>
      <button type="button" onClick={w.retry}>
        Retry
      </button>
    </>
  );
}

const status = () => screen.getByTestId('status').textContent;
const state = () => screen.getByTestId('state').textContent;
/** wait lets ms pass (0: only what is ready now) and React render. */
const wait = (ms = 0) => act(() => vi.advanceTimersByTimeAsync(ms));

function setVisibility(v: DocumentVisibilityState) {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => v });
  document.dispatchEvent(new Event('visibilitychange'));
}

beforeEach(() => {
  vi.useFakeTimers();
  // No jitter: the waits are 1 s, 2 s, 4 s, 8 s, then 10 s.
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  setVisibility('visible');
});

describe('useWatch', () => {
  it('shows the state by name at once, then each line of the stream, without polling', async () => {
    const srv = serve();
    render(<Watcher />);
    await wait();
    expect(status()).toBe('starting');
    expect(srv.calls.map((c) => c.url)).toEqual(['/api/v2/users/ada/workspaces/dev', '/api/v2/workspaces/w1/watch']);

    srv.streams[0].send(ws('running'));
    await wait();
    expect(status()).toBe('running');
    srv.streams[0].send(ws('stopping'));
    srv.streams[0].send(ws('stopped'));
    await wait();
    expect(status()).toBe('stopped');
    expect(state()).toBe('live');
    await wait(60_000);
    expect(srv.calls).toHaveLength(2);
  });

  it('keeps the last state while it reconnects after a broken stream, waiting longer each time', async () => {
    const srv = serve();
    render(<Watcher />);
    await wait();
    srv.streams[0].send(ws('running'));
    await wait();

    // The server restarts: the stream breaks, the server is down, then a proxy answers 502.
    srv.answers.push(down, () => json(502, { message: 'bad gateway' }));
    srv.streams[0].fail();
    await wait();
    expect(status()).toBe('running');
    expect(state()).toBe('reconnecting: network error');
    await wait(999);
    expect(srv.watches()).toBe(1);
    await wait(1);
    expect(srv.watches()).toBe(2);
    expect(state()).toBe('reconnecting: cannot reach the Den server');
    await wait(1999);
    expect(srv.watches()).toBe(2);
    await wait(1);
    expect(srv.watches()).toBe(3);
    expect(state()).toBe('reconnecting: bad gateway');
    await wait(3999);
    expect(srv.watches()).toBe(3);
    await wait(1);
    expect(srv.watches()).toBe(4);
    // Connected, but the hint stays until the first line says how things are.
    expect(state()).toBe('reconnecting: bad gateway');
    srv.streams[1].send(ws('stopped'));
    await wait();
    expect(status()).toBe('stopped');
    expect(state()).toBe('live');

    // A stream that breaks after its first line does not start the backoff afresh
    // (a server that fails at once is not asked every second)...
    srv.streams[1].fail();
    await wait(7999);
    expect(srv.watches()).toBe(4);
    await wait(1);
    expect(srv.watches()).toBe(5);
    // ...one that went on does.
    srv.streams[2].send(ws('stopped'));
    srv.streams[2].send(ws('stopped'));
    await wait();
    srv.streams[2].fail();
    await wait(999);
    expect(srv.watches()).toBe(5);
    await wait(1);
    expect(srv.watches()).toBe(6);
  });

  it('treats a stream the server ended as gone once a reconnect gets a 404', async () => {
    const srv = serve();
    render(<Watcher />);
    await wait();
    srv.streams[0].send(ws('deleting'));
    await wait();
    srv.answers.push(notFound);
    srv.streams[0].end();
    await wait();
    expect(state()).toBe('gone: workspace not found');
    // The last state stays for the page to show; nothing more is asked.
    expect(status()).toBe('deleting');
    expect(srv.watches()).toBe(2);
    await wait(60_000);
    expect(srv.calls).toHaveLength(3);
  });

  it('treats a stream that ends twice without a line between as gone', async () => {
    const srv = serve();
    render(<Watcher />);
    await wait();
    srv.streams[0].send(ws('deleting'));
    srv.answers.push(() => new Response('', { status: 200 }));
    srv.streams[0].end();
    await wait();
    expect(state()).toBe('gone');
    expect(srv.watches()).toBe(2);
  });

  it('follows on when the stream ended but the workspace is still there', async () => {
    const srv = serve();
    render(<Watcher />);
    await wait();
    srv.streams[0].send(ws('running'));
    await wait();
    srv.streams[0].end();
    await wait();
    expect(srv.watches()).toBe(2);
    srv.streams[1].send(ws('stopping'));
    await wait();
    expect(status()).toBe('stopping');
    expect(state()).toBe('live');
    // And a server that keeps ending its streams is asked less and less often.
    srv.streams[1].end();
    await wait(1999);
    expect(srv.watches()).toBe(2);
    expect(state()).toBe('reconnecting');
    await wait(1);
    expect(srv.watches()).toBe(3);
  });

  it('shows the look-up 404 as gone, without a workspace, and does not watch', async () => {
    const srv = serve(notFound);
    render(<Watcher />);
    await wait(60_000);
    expect(status()).toBe('none');
    expect(state()).toBe('gone: workspace not found');
    expect(srv.calls).toHaveLength(1);
  });

  it('tries the look-up again when the server cannot be reached', async () => {
    let n = 0;
    const srv = serve(() => (++n === 1 ? json(503, { message: 'starting up' }) : json(200, ws('running'))));
    render(<Watcher />);
    await wait();
    expect(status()).toBe('none');
    expect(state()).toBe('live: starting up');
    await wait(1000);
    expect(status()).toBe('running');
    expect(srv.watches()).toBe(1);
  });

  it('closes the stream while the tab is hidden and opens it again when shown', async () => {
    const srv = serve();
    render(<Watcher />);
    await wait();
    srv.streams[0].send(ws('running'));
    await wait();

    act(() => setVisibility('hidden'));
    await wait();
    expect(srv.streams[0].cancelled).toBe(true);
    expect(state()).toBe('live');
    await wait(60_000);
    expect(srv.watches()).toBe(1);

    act(() => setVisibility('visible'));
    await wait();
    expect(srv.watches()).toBe(2);
    srv.streams[1].send(ws('stopped'));
    await wait();
    expect(status()).toBe('stopped');
  });

  it('stops reading on unmount', async () => {
    const srv = serve();
    const { unmount } = render(<Watcher />);
    await wait();
    unmount();
    await wait();
    expect(srv.streams[0].cancelled).toBe(true);
    await wait(60_000);
    expect(srv.watches()).toBe(1);
  });

  it('reconnects at once on retry while it waits', async () => {
    const srv = serve();
    render(<Watcher />);
    await wait();
    srv.answers.push(down);
    srv.streams[0].fail();
    await wait(1000);
    expect(srv.watches()).toBe(2);
    // Waiting 2 s now; an action that worked says the server is back.
    act(() => screen.getByRole('button', { name: 'Retry' }).click());
    await wait();
    expect(srv.watches()).toBe(3);
    // While the stream is up, retry leaves it be.
    act(() => screen.getByRole('button', { name: 'Retry' }).click());
    await wait();
    expect(srv.watches()).toBe(3);
    expect(srv.streams[1].cancelled).toBe(false);
  });
});

describe('backoff', () => {
  it('starts at about 1 s and doubles to at most 10 s, with jitter', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => backoff(n, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
    expect(backoff(0, () => 0)).toBe(800);
    expect(backoff(0, () => 1)).toBe(1200);
    expect(backoff(3, () => 1)).toBe(9600);
    expect(backoff(4, () => 1)).toBe(10000);
  });
});

describe('api.watchWorkspace', () => {
  it('reads workspaces split across chunks and resolves when the stream ends', async () => {
    const bytes = enc.encode([ws('starting'), ws('running')].map((w) => JSON.stringify(w)).join('\n') + '\n');
    mockFetch({
      'GET /api/v2/workspaces/w1/watch': () =>
        new Response(
          new ReadableStream({
            start(c) {
              for (let i = 0; i < bytes.length; i += 5) c.enqueue(bytes.subarray(i, i + 5));
              c.close();
            },
          }),
          { status: 200, headers: { 'Content-Type': 'application/x-ndjson' } },
        ),
    });
    const got: string[] = [];
    await api.watchWorkspace('w1', (w) => got.push(w.status));
    expect(got).toEqual(['starting', 'running']);
  });

  it('rejects with the API error before the stream starts', async () => {
    mockFetch({ 'GET /api/v2/workspaces/w1/watch': notFound });
    const err = await api.watchWorkspace('w1', () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(404);
  });

  it('rejects with an AbortError, not an end, when aborted', async () => {
    const s = stream();
    mockFetch({ 'GET /api/v2/workspaces/w1/watch': () => s.response });
    const ctl = new AbortController();
    const got: string[] = [];
    const done = api.watchWorkspace('w1', (w) => got.push(w.status), ctl.signal);
    s.send(ws('running'));
    await vi.advanceTimersByTimeAsync(0);
    ctl.abort();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(got).toEqual(['running']);
    expect(s.cancelled).toBe(true);
  });
});
