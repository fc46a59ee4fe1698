// Job log streams: GET /api/v2/jobs/{id}/logs?after=ID&follow=true answers
// newline-delimited JSON, one JobEvent a line, until the job is done (and,
// for a start build, until its agent's start is over).
import { apiPrefix, raw } from './client';
import type { JobEvent } from './types.gen';

/**
 * NdjsonParser splits a byte stream into JSON values, one a line. Chunks may
 * end anywhere, in the middle of a line or of a multi-byte character.
 */
export class NdjsonParser<T> {
  private decoder = new TextDecoder();
  private buffer = '';

  /** push takes the next chunk and returns the values of the lines it completed. */
  push(chunk: Uint8Array | string): T[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop() ?? '';
    return parseLines<T>(lines);
  }

  /** end returns the value of a last line that had no newline. */
  end(): T[] {
    const rest = this.buffer + this.decoder.decode();
    this.buffer = '';
    return parseLines<T>([rest]);
  }
}

function parseLines<T>(lines: string[]): T[] {
  const out: T[] = [];
  for (const line of lines) {
    const s = line.trim();
    if (s === '') continue;
    try {
      out.push(JSON.parse(s) as T);
    } catch {
      throw new Error(`the log stream sent a line that is not JSON: ${s.slice(0, 120)}`);
    }
  }
  return out;
}

export interface StreamOptions {
  /** after is the ID of the last log line already shown. */
  after?: number;
  follow?: boolean;
  signal?: AbortSignal;
}

/**
 * streamJobLogs calls onEvent for each event of a job's log and resolves
 * when the stream ends. Aborting the signal ends it early (and rejects with
 * an AbortError).
 */
export async function streamJobLogs(jobID: string, onEvent: (ev: JobEvent) => void, opts: StreamOptions = {}): Promise<void> {
  const q = new URLSearchParams({ after: String(opts.after ?? 0), follow: String(opts.follow ?? true) });
  const resp = await raw('GET', `${apiPrefix}/jobs/${jobID}/logs?${q}`, undefined, { signal: opts.signal });
  const parser = new NdjsonParser<JobEvent>();
  if (!resp.body) {
    for (const ev of parser.push(await resp.text())) onEvent(ev);
  } else {
    const reader = resp.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const ev of parser.push(value)) onEvent(ev);
    }
  }
  for (const ev of parser.end()) onEvent(ev);
}
