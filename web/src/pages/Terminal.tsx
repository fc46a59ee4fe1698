import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { api, apiPrefix, ApiError, errorMessage } from '../api/client';
import type { Workspace } from '../api/types.gen';
import { ErrorBox } from '../components/ErrorBox';
import { useTitle } from '../components/hooks';
import { Loading } from '../components/Loading';
import { newSessionID, PtyConnection, type PtyState } from '../terminal/pty';
import { NotFoundPage } from './NotFound';
import { workspacePath } from './workspaceFilter';

declare global {
  interface Window {
    /** denTerminal lets browser tests read what the terminal holds. */
    denTerminal?: { text: () => string; session: string };
  }
}

/**
 * TerminalPage is a shell in a workspace, full window. The session ID is in
 * the address (?session=), so reloading rejoins the same shell.
 */
export function TerminalPage() {
  const { owner = '', workspace = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const session = params.get('session');
  useTitle(`${workspace} terminal`);

  useEffect(() => {
    if (!session) setParams({ session: newSessionID() }, { replace: true });
  }, [session, setParams]);

  const [ws, setWs] = useState<Workspace>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (!owner.startsWith('@')) return;
    api.workspaceByName(owner.slice(1), workspace).then(setWs, setError);
  }, [owner, workspace]);

  if (!owner.startsWith('@')) return <NotFoundPage />;
  if (error) {
    return (
      <main className="page narrow" id="main">
        <h1>{workspace}</h1>
        <ErrorBox error={error} next={<Link to="/">Back to the workspaces</Link>} />
      </main>
    );
  }
  if (!ws || !session) {
    return (
      <main className="page narrow" id="main">
        <Loading what="Opening the terminal" />
      </main>
    );
  }
  return (
    <TerminalView
      key={session}
      workspace={ws}
      session={session}
      onNewSession={() => setParams({ session: newSessionID() }, { replace: true })}
    />
  );
}

interface ViewProps {
  workspace: Workspace;
  session: string;
  onNewSession: () => void;
}

const stateText: Record<PtyState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  exited: 'The shell exited.',
};

function TerminalView({ workspace: w, session, onNewSession }: ViewProps) {
  const box = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<PtyState>('connecting');
  const [detail, setDetail] = useState('');
  const newTab = `${workspacePath(w)}/terminal`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const term = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace',
      fontSize: 14,
      scrollback: 5000,
      allowProposedApi: false,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    try {
      fit.fit();
    } catch {
      // not laid out yet; the observer below fits it
    }
    const conn = new PtyConnection({
      path: `${apiPrefix}/workspaces/${w.id}/pty`,
      session,
      term,
      onState: (s, d) => {
        setState(s);
        setDetail(d ?? '');
      },
      probe: async () => {
        try {
          const now = await api.workspaceByName(w.owner_name, w.name);
          if (now.status !== 'running') return `The workspace is ${now.status}; start it from the workspace page.`;
          if (now.agent && now.agent.connection !== 'connected') return `The workspace's agent is ${now.agent.connection}.`;
          return undefined;
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) return 'The workspace no longer exists.';
          return errorMessage(err);
        }
      },
    });
    const input = term.onData((d) => conn.send(d));
    const resized = term.onResize(({ rows, cols }) => conn.resize(rows, cols));
    let frame = 0;
    const refit = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        try {
          fit.fit();
        } catch {
          // hidden
        }
      });
    };
    const observer = new ResizeObserver(refit);
    observer.observe(el);
    window.addEventListener('resize', refit);
    window.denTerminal = {
      session,
      text: () => {
        const buf = term.buffer.active;
        const lines: string[] = [];
        for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
        return lines.join('\n');
      },
    };
    conn.start();
    term.focus();
    return () => {
      observer.disconnect();
      window.removeEventListener('resize', refit);
      cancelAnimationFrame(frame);
      input.dispose();
      resized.dispose();
      conn.dispose();
      term.dispose();
      delete window.denTerminal;
    };
  }, [w.id, w.name, w.owner_name, session]);

  return (
    <div className="terminal-page">
      <header className="terminal-bar">
        <Link to={workspacePath(w)} className="brand-small">
          {w.owner_name}/{w.name}
        </Link>
        <span className={`term-state term-${state}`} role="status" data-state={state}>
          {detail || stateText[state]}
        </span>
        <span className="nav-spacer" />
        {state === 'exited' && (
          <button type="button" className="primary small" onClick={onNewSession}>
            New session
          </button>
        )}
        <a href={newTab} target="_blank" rel="noopener" className="small-link">
          New session in a new tab
        </a>
      </header>
      <div className="terminal-box" ref={box} data-testid="terminal" data-session={session} />
    </div>
  );
}
