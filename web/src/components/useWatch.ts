import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api/client';
import type { Workspace } from '../api/types.gen';
import { usePageVisible } from './hooks';

export interface Watch {
  /** workspace is the last state the server sent; it stays while reconnecting and once gone. */
  workspace?: Workspace;
  /**
   * error is why the last try failed: the look-up by name while there is no
   * workspace yet, or the stream while reconnecting.
   */
  error: unknown;
  /** reconnecting is true while the stream is down and about to be tried again. */
  reconnecting: boolean;
  /** gone is true once the workspace is deleted (or the user may no longer see it). */
  gone: boolean;
  /** retry reconnects at once when the stream is down (after an action worked, say). */
  retry: () => void;
}

/** backoff is the wait before reconnect attempt n (0-based): 1 s doubling to 10 s, with jitter, never over 10 s. */
export function backoff(attempt: number, random = Math.random): number {
  const base = Math.min(1000 * 2 ** attempt, 10000);
  return Math.round(Math.min(base * (0.8 + 0.4 * random()), 10000));
}

const isGone = (err: unknown) => err instanceof ApiError && err.status === 404;
// The client sends a 401 to the login page: nothing to retry.
const signedOut = (err: unknown) => err instanceof ApiError && err.status === 401;

/**
 * useWatch follows a workspace live: it finds it by owner and name, then
 * streams GET /workspaces/{id}/watch. When the stream breaks it keeps the
 * last state and reconnects with a growing backoff. The server ends the
 * stream when the workspace is gone; as a stream can also end for other
 * reasons (the server shutting down, a proxy), one more connection makes
 * sure: a 404, or a stream that ends again before its first line, is gone.
 *
 * A hidden tab closes the stream (a browser allows few open requests to one
 * server, and every tab shares them) and opens it again, for the current
 * state at once, when the tab is shown.
 */
export function useWatch(owner: string, name: string): Watch {
  const [workspace, setWorkspace] = useState<Workspace>();
  const [error, setError] = useState<unknown>();
  const [reconnecting, setReconnecting] = useState(false);
  const [gone, setGone] = useState(false);
  const [id, setID] = useState<string>();
  const [kick, setKick] = useState(0);
  const visible = usePageVisible();
  const waiting = useRef(false);

  // Find the workspace's ID (and show it before the stream starts).
  useEffect(() => {
    setWorkspace(undefined);
    setError(undefined);
    setReconnecting(false);
    setGone(false);
    setID(undefined);
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const look = async (attempt: number) => {
      try {
        const w = await api.workspaceByName(owner, name, ctl.signal);
        if (ctl.signal.aborted) return;
        setWorkspace(w);
        setError(undefined);
        setID(w.id);
      } catch (err) {
        if (ctl.signal.aborted) return;
        setError(err);
        if (isGone(err)) setGone(true);
        else if (!signedOut(err)) timer = setTimeout(() => void look(attempt + 1), backoff(attempt));
      }
    };
    void look(0);
    return () => {
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
  }, [owner, name]);

  // Follow it.
  useEffect(() => {
    if (!id || !visible || gone) return;
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    // ended is set when a stream ended, until a line comes again.
    let ended = false;
    const again = (wait: number) => {
      attempt++;
      waiting.current = true;
      timer = setTimeout(() => void connect(), wait);
    };
    const connect = async () => {
      waiting.current = false;
      let lines = 0;
      try {
        await api.watchWorkspace(
          id,
          (w) => {
            lines++;
            ended = false;
            // A second line (a change, a keepalive) shows the stream works: back off afresh next time.
            if (lines === 2) attempt = 0;
            setWorkspace(w);
            setError(undefined);
            setReconnecting(false);
          },
          ctl.signal,
        );
      } catch (err) {
        if (ctl.signal.aborted) return;
        setError(err);
        if (isGone(err)) {
          setGone(true);
          setReconnecting(false);
        } else if (!signedOut(err)) {
          setReconnecting(true);
          again(backoff(attempt));
        }
        return;
      }
      if (ended && lines === 0) {
        setGone(true);
        setReconnecting(false);
        return;
      }
      // Make sure it is gone, at once the first time.
      ended = true;
      const wait = attempt === 0 ? 0 : backoff(attempt);
      if (wait > 0) setReconnecting(true);
      again(wait);
    };
    void connect();
    return () => {
      ctl.abort();
      waiting.current = false;
      if (timer) clearTimeout(timer);
    };
  }, [id, visible, gone, kick]);

  const retry = useCallback(() => {
    if (waiting.current) setKick((k) => k + 1);
  }, []);
  return { workspace, error, reconnecting, gone, retry };
}
