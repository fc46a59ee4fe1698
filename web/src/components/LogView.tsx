import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/client';
import { streamJobLogs } from '../api/logs';
import type { JobEvent, ProvisionerJob, ProvisionerJobLog, WorkspaceAgent } from '../api/types.gen';
import { StatusBadge } from './StatusBadge';

const maxLines = 20000;

export interface JobLogState {
  lines: ProvisionerJobLog[];
  job?: ProvisionerJob;
  agent?: WorkspaceAgent;
  /** ended is true once the server closed a stream that had nothing more to say. */
  ended: boolean;
  error?: string;
}

/**
 * useJobLogs follows a job's log: it streams the lines, the job's state and
 * (for a start) the agent's, and resumes after the last line when the
 * connection drops.
 */
export function useJobLogs(jobID: string | undefined, onEvent?: (ev: JobEvent) => void): JobLogState {
  const [state, setState] = useState<JobLogState>({ lines: [], ended: false });
  const onEventRef = useRef(onEvent);
  onEventRef.current = onEvent;

  useEffect(() => {
    setState({ lines: [], ended: false });
    if (!jobID) return;
    const ctl = new AbortController();
    let after = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let pending: ProvisionerJobLog[] = [];
    let flush: number | undefined;
    // Lines come in bursts; render at most once a frame.
    const flushLines = () => {
      flush = undefined;
      const add = pending;
      pending = [];
      setState((s) => {
        const lines = s.lines.concat(add);
        return { ...s, lines: lines.length > maxLines ? lines.slice(lines.length - maxLines) : lines };
      });
    };
    const handle = (ev: JobEvent) => {
      if (ev.log) {
        after = Math.max(after, ev.log.id);
        pending.push(ev.log);
        if (flush === undefined) flush = requestAnimationFrame(flushLines);
      }
      if (ev.job) {
        const job = ev.job;
        setState((s) => ({ ...s, job }));
      }
      if (ev.agent) {
        const agent = ev.agent;
        setState((s) => ({ ...s, agent }));
      }
      onEventRef.current?.(ev);
    };
    const run = async (attempt: number) => {
      try {
        await streamJobLogs(jobID, handle, { after, follow: true, signal: ctl.signal });
        if (flush !== undefined) {
          cancelAnimationFrame(flush);
          flushLines();
        }
        setState((s) => ({ ...s, ended: true, error: undefined }));
      } catch (err) {
        if (ctl.signal.aborted) return;
        setState((s) => ({ ...s, error: `${errorMessage(err)}; reconnecting…` }));
        retry = setTimeout(() => void run(attempt + 1), Math.min(1000 * 2 ** attempt, 10000));
      }
    };
    void run(0);
    return () => {
      ctl.abort();
      if (retry) clearTimeout(retry);
      if (flush !== undefined) cancelAnimationFrame(flush);
    };
  }, [jobID]);
  return state;
}

interface Props {
  state: JobLogState;
  title: string;
}

/** LogView shows a job's log, grouped by stage, and keeps to the bottom while it grows. */
export function LogView({ state, title }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [state.lines.length]);

  let lastStage = '';
  return (
    <section className="logs" aria-label={title}>
      <div className="logs-head">
        <h3>{title}</h3>
        {state.job && <StatusBadge status={state.job.status} />}
        {state.job?.status === 'pending' && state.job.queue_position ? (
          <span className="muted">position {state.job.queue_position} in the queue</span>
        ) : null}
        {!state.ended && state.job && <span className="muted">live</span>}
      </div>
      {state.job?.error && (
        <p className="error-inline" role="alert">
          {state.job.error}
        </p>
      )}
      {state.error && <p className="muted">{state.error}</p>}
      <div
        className="log-box"
        ref={box}
        role="log"
        tabIndex={0}
        aria-label={`${title} output`}
        data-testid="build-log"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {state.lines.length === 0 && <div className="muted">{state.ended ? 'No output.' : 'Waiting for output…'}</div>}
        {state.lines.map((l) => {
          const header = l.stage && l.stage !== lastStage;
          lastStage = l.stage || lastStage;
          return (
            <div key={l.id}>
              {header && <div className="log-stage">{l.stage}</div>}
              <div className={`log-line log-${l.level}`}>{l.output}</div>
            </div>
          );
        })}
      </div>
    </section>
  );
}
