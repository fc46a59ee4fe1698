import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';

/** usePageVisible reports whether the tab is visible. */
export function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState !== 'hidden');
  useEffect(() => {
    const on = () => setVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', on);
    return () => document.removeEventListener('visibilitychange', on);
  }, []);
  return visible;
}

export interface Poll<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** reload fetches now. */
  reload: () => void;
}

/**
 * usePoll fetches now and then every intervalMs while the tab is visible
 * (and at once when it becomes visible again), until the answer is a 404. A failed fetch keeps the last
 * data and reports the error. A change of deps fetches again at once (and
 * keeps the old data until then: key the component to start afresh).
 */
export function usePoll<T>(fetcher: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: unknown[]): Poll<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const visible = usePageVisible();
  const fetchRef = useRef(fetcher);
  fetchRef.current = fetcher;

  useEffect(() => {
    if (!visible) return;
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      let gone = false;
      try {
        const d = await fetchRef.current(ctl.signal);
        if (ctl.signal.aborted) return;
        setData(d);
        setError(undefined);
      } catch (err) {
        if (ctl.signal.aborted) return;
        setError(err);
        // What is gone (deleted) does not come back: stop asking.
        gone = err instanceof ApiError && err.status === 404;
      } finally {
        if (!ctl.signal.aborted) {
          setLoading(false);
          if (intervalMs > 0 && !gone) timer = setTimeout(run, intervalMs);
        }
      }
    };
    void run();
    return () => {
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
  }, [visible, intervalMs, tick, ...deps]);

  return { data, error, loading, reload: () => setTick((t) => t + 1) };
}

/** useTitle sets the document title. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Den` : 'Den';
  }, [title]);
}
