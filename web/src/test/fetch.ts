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
