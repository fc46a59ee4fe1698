import { vi } from 'vitest';

export interface Call {
  method: string;
  url: string;
  body?: unknown;
}

type Handler = (call: Call) => Response | Promise<Response>;

/** json makes a JSON response. */
export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/**
 * mockFetch answers fetch from routes keyed "METHOD /path" (the query is
 * ignored) and records the calls. An unknown route is a 404 in Den's envelope.
 */
export function mockFetch(routes: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const method = (init?.method ?? 'GET').toUpperCase();
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
      const call = { method, url, body };
      calls.push(call);
      const path = new URL(url, 'http://den.test').pathname;
      const h = routes[`${method} ${path}`];
      if (!h) return json(404, { message: `no such route: ${method} ${path}` });
      return h(call);
    }),
  );
  return calls;
}

/** NdjsonStream is a streamed NDJSON response that a test writes to, ends or breaks. */
export interface NdjsonStream<T> {
  response: Response;
  send: (v: T) => void;
  end: () => void;
  fail: () => void;
  /** cancelled is true once the client stopped reading (it aborted). */
  cancelled: boolean;
}

/** ndjsonStream makes a response whose lines the test sends one at a time. */
export function ndjsonStream<T>(): NdjsonStream<T> {
  const enc = new TextEncoder();
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const s: NdjsonStream<T> = {
    response: new Response(
      new ReadableStream<Uint8Array>({
        start(c) {
          ctl = c;
        },
        cancel() {
          s.cancelled = true;
        },
      }),
      { status: 200, headers: { 'Content-Type': 'application/x-ndjson' } },
    ),
    send: (v) => ctl.enqueue(enc.encode(`${JSON.stringify(v)}\n`)),
    end: () => ctl.close(),
    fail: () => ctl.error(new TypeError('network error')),
    cancelled: false,
  };
  return s;
}
