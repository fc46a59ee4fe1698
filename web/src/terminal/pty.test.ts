import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoff, newSessionID, PtyConnection, ptyURL, shellExited, type PtyState } from './pty';

// FakeSocket stands in for the browser's WebSocket.
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  binaryType = 'blob';
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(s: string) {
    this.sent.push(s);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

function setup(probe?: () => Promise<string | undefined>) {
  const written: string[] = [];
  const states: [PtyState, string | undefined][] = [];
  const term = {
    rows: 24,
    cols: 80,
    resets: 0,
    write: (d: string | Uint8Array) => written.push(typeof d === 'string' ? d : new TextDecoder().decode(d)),
    reset() {
      this.resets++;
    },
  };
  const conn = new PtyConnection({
    path: '/api/v2/workspaces/w1/pty',
    session: 's1',
    term,
    onState: (s, d) => states.push([s, d]),
    probe,
    location: { protocol: 'https:', host: 'den.test' },
    WebSocket: FakeSocket as unknown as typeof WebSocket,
  });
  return { conn, term, written, states };
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('PtyConnection', () => {
  it('joins the session, sends input and sizes as JSON and writes output', () => {
    const { conn, term, written, states } = setup();
    conn.start();
    const ws = FakeSocket.all[0];
    expect(ws.url).toBe('wss://den.test/api/v2/workspaces/w1/pty?session=s1&rows=24&cols=80');
    expect(ws.binaryType).toBe('arraybuffer');
    ws.open();
    expect(states.at(-1)).toEqual(['connected', undefined]);
    expect(term.resets).toBe(1);
    conn.send('ls\r');
    conn.resize(40, 120);
    expect(ws.sent).toEqual(['{"rows":24,"cols":80}', '{"data":"ls\\r"}', '{"rows":40,"cols":120}']);
    ws.onmessage?.({ data: new TextEncoder().encode('hello').buffer });
    expect(written).toEqual(['hello']);
  });

  it('reconnects with the same session after a drop, and starts the screen afresh for the replay', async () => {
    const { conn, term, states } = setup();
    conn.start();
    FakeSocket.all[0].open();
    FakeSocket.all[0].drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(states.at(-1)?.[0]).toBe('reconnecting');
    expect(states.at(-1)?.[1]).toMatch(/The connection dropped\. Reconnecting in/);
    await vi.advanceTimersByTimeAsync(400);
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.all[1].url).toContain('session=s1');
    FakeSocket.all[1].open();
    expect(term.resets).toBe(2);
    expect(states.at(-1)?.[0]).toBe('connected');
  });

  it('does not reconnect when the shell exited', async () => {
    const { conn, states } = setup();
    conn.start();
    FakeSocket.all[0].open();
    FakeSocket.all[0].drop(1000, shellExited);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(states.at(-1)).toEqual(['exited', 'The shell exited.']);
  });

  it('says why it cannot connect, and keeps trying, waiting longer', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter: waits of 250 ms, then 500 ms
    const probe = vi.fn(async () => 'The workspace is stopped; start it from the workspace page.');
    const { conn, states } = setup(probe);
    conn.start();
    FakeSocket.all[0].drop(); // refused before the upgrade
    await vi.advanceTimersByTimeAsync(0);
    expect(states.at(-1)?.[1]).toMatch(/^The workspace is stopped; start it from the workspace page\. Reconnecting in/);
    await vi.advanceTimersByTimeAsync(400);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1].drop();
    await vi.advanceTimersByTimeAsync(400);
    expect(FakeSocket.all).toHaveLength(2); // the second wait is longer
    await vi.advanceTimersByTimeAsync(400);
    expect(FakeSocket.all).toHaveLength(3);
    expect(probe).toHaveBeenCalledTimes(2);
  });

  it('stops for good when disposed', async () => {
    const { conn } = setup();
    conn.start();
    FakeSocket.all[0].open();
    conn.dispose();
    FakeSocket.all[0].drop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });
});

describe('helpers', () => {
  it('backs off from 250 ms to 8 s', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 5, 6, 20].map((n) => backoff(n, mid))).toEqual([250, 500, 1000, 8000, 8000, 8000]);
    expect(backoff(0, () => 0)).toBe(188);
    expect(backoff(0, () => 1)).toBe(313);
  });
  it('uses ws: on http', () => {
    expect(ptyURL({ protocol: 'http:', host: '127.0.0.1:3000' }, '/p', 'a b', 1, 2)).toBe('ws://127.0.0.1:3000/p?session=a+b&rows=1&cols=2');
  });
  it('makes version 4 UUIDs', () => {
    const id = newSessionID();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newSessionID()).not.toBe(id);
  });
});
