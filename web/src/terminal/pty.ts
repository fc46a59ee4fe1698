// The web terminal's connection: a WebSocket to the workspace's
// reconnecting PTY (GET /api/v2/workspaces/{id}/pty?session=&rows=&cols=).
// Input and resizes go up as JSON text messages; output comes down as
// binary messages. Connecting again with the same session rejoins the same
// shell, which first replays its recent output.

/** The close reason the server gives when the shell has exited. */
export const shellExited = 'the shell exited';

export type PtyState = 'connecting' | 'connected' | 'reconnecting' | 'exited';

/** TerminalSink is the part of an xterm.js Terminal the connection writes to. */
export interface TerminalSink {
  write(data: string | Uint8Array): void;
  reset(): void;
  readonly rows: number;
  readonly cols: number;
}

export interface PtyOptions {
  /** path is the API path, without the query. */
  path: string;
  session: string;
  term: TerminalSink;
  onState: (state: PtyState, detail?: string) => void;
  /**
   * probe is asked, when a connection fails, whether the workspace can be
   * reached at all; it returns a message for the person (such as "the
   * workspace is stopped") or undefined.
   */
  probe?: () => Promise<string | undefined>;
  /** location and WebSocket are for tests. */
  location?: Pick<Location, 'protocol' | 'host'>;
  WebSocket?: typeof WebSocket;
}

/** backoff is the wait before reconnect attempt n (0-based): 250 ms doubling to 8 s, with jitter. */
export function backoff(attempt: number, random = Math.random): number {
  const base = Math.min(250 * 2 ** attempt, 8000);
  return Math.round(base * (0.75 + 0.5 * random()));
}

/** ptyURL is the WebSocket address of a session. */
export function ptyURL(loc: Pick<Location, 'protocol' | 'host'>, path: string, session: string, rows: number, cols: number): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams({ session, rows: String(rows), cols: String(cols) });
  return `${scheme}//${loc.host}${path}?${q}`;
}

/** newSessionID returns a random UUID, also where crypto.randomUUID is missing (plain http). */
export function newSessionID(): string {
  if (typeof crypto.randomUUID === 'function') {
    try {
      return crypto.randomUUID();
    } catch {
      // not a secure context
    }
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** PtyConnection keeps a terminal joined to its session, reconnecting when the socket drops. */
export class PtyConnection {
  private ws?: WebSocket;
  private attempt = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private disposed = false;
  private readonly opts: PtyOptions;
  private readonly encoder = new TextEncoder();

  constructor(opts: PtyOptions) {
    this.opts = opts;
  }

  start(): void {
    this.connect();
  }

  /** send types data into the shell. */
  send(data: string): void {
    this.message({ data });
  }

  /** resize tells the shell the terminal's new size. */
  resize(rows: number, cols: number): void {
    this.message({ rows, cols });
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000, 'the page closed');
  }

  private message(m: object): void {
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify(m));
  }

  private connect(): void {
    if (this.disposed) return;
    const { term, session, path } = this.opts;
    const WS = this.opts.WebSocket ?? WebSocket;
    const loc = this.opts.location ?? window.location;
    if (this.attempt === 0) this.opts.onState('connecting');
    else this.opts.onState('reconnecting', 'Reconnecting…');
    let opened = false;
    let ws: WebSocket;
    try {
      ws = new WS(ptyURL(loc, path, session, term.rows, term.cols));
    } catch (err) {
      this.retry(String(err));
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      // The session replays its recent output: start from a clean screen
      // so a rejoin does not show it twice.
      term.reset();
      this.opts.onState('connected');
      this.resize(term.rows, term.cols);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data === 'string') term.write(this.encoder.encode(ev.data));
      else term.write(new Uint8Array(ev.data as ArrayBuffer));
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws || this.disposed) return;
      this.ws = undefined;
      if (ev.code === 1000 && ev.reason === shellExited) {
        this.opts.onState('exited', 'The shell exited.');
        return;
      }
      this.retry(opened ? 'The connection dropped.' : undefined);
    };
  }

  private async retry(detail?: string): Promise<void> {
    if (this.disposed) return;
    let why = detail;
    if (this.opts.probe) {
      try {
        why = (await this.opts.probe()) ?? why;
      } catch {
        why = why ?? 'Cannot reach the server.';
      }
    }
    if (this.disposed) return;
    const wait = backoff(this.attempt);
    this.attempt++;
    this.opts.onState('reconnecting', `${why ? `${why} ` : ''}Reconnecting in ${Math.ceil(wait / 1000)} s…`);
    this.timer = setTimeout(() => this.connect(), wait);
  }
}
