import { afterEach, describe, expect, it, vi } from 'vitest';
import { streamJobLogs } from './logs';
import { NdjsonParser } from './ndjson';
import type { JobEvent } from './types.gen';
import { mockFetch } from '../test/fetch';

const enc = new TextEncoder();

afterEach(() => vi.unstubAllGlobals());

describe('NdjsonParser', () => {
  it('joins lines split across chunks', () => {
    const p = new NdjsonParser<{ n: number }>();
    expect(p.push('{"n":1}\n{"n"')).toEqual([{ n: 1 }]);
    expect(p.push(':2')).toEqual([]);
    expect(p.push('}\n{"n":3}\n\n')).toEqual([{ n: 2 }, { n: 3 }]);
    expect(p.end()).toEqual([]);
  });

  it('keeps a multi-byte character split between chunks', () => {
    const p = new NdjsonParser<{ s: string }>();
    const bytes = enc.encode('{"s":"héllo ✓"}\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the check mark
    expect(p.push(bytes.subarray(0, 8))).toEqual([]); // inside the é
    expect(p.push(bytes.subarray(8, cut))).toEqual([]);
    expect(p.push(bytes.subarray(cut))).toEqual([{ s: 'héllo ✓' }]);
  });

  it('returns a last line without a newline at the end', () => {
    const p = new NdjsonParser<{ n: number }>();
    expect(p.push('{"n":1}\r\n{"n":2}')).toEqual([{ n: 1 }]);
    expect(p.end()).toEqual([{ n: 2 }]);
  });

  it('says when a line is not JSON', () => {
    const p = new NdjsonParser();
    expect(() => p.push('oops\n')).toThrow(/not JSON: oops/);
  });
});

describe('streamJobLogs', () => {
  it('reads events from a chunked stream, in order', async () => {
    const lines = [
      { log: { id: 1, created_at: '', level: 'info', stage: 'Building', output: 'one' } },
      { log: { id: 2, created_at: '', level: 'info', stage: 'Building', output: 'two' } },
      { job: { id: 'j', type: 'workspace_build', status: 'succeeded', created_at: '' } },
    ];
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    // Chunks of 7 bytes: every line is split somewhere.
    const bytes = enc.encode(text);
    const calls = mockFetch({
      'GET /api/v2/jobs/j/logs': () =>
        new Response(
          new ReadableStream({
            start(c) {
              for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.subarray(i, i + 7));
              c.close();
            },
          }),
          { status: 200, headers: { 'Content-Type': 'application/x-ndjson' } },
        ),
    });
    const got: JobEvent[] = [];
    await streamJobLogs('j', (ev) => got.push(ev), { after: 5 });
    expect(got).toEqual(lines);
    expect(calls[0].url).toBe('/api/v2/jobs/j/logs?after=5&follow=true');
  });

  it('rejects with the server error envelope', async () => {
    mockFetch({});
    await expect(streamJobLogs('nope', () => undefined)).rejects.toThrow(/no such route/);
  });
});
