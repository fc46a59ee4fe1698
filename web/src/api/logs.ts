// Job log streams: GET /api/v2/jobs/{id}/logs?after=ID&follow=true answers
// newline-delimited JSON, one JobEvent a line, until the job is done (and,
// for a start build, until its agent's start is over).
import { apiPrefix, raw } from './client';
import { NdjsonParser } from './ndjson';
import type { JobEvent } from './types.gen';

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
