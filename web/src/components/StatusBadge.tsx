import type { AgentConnection, AgentLifecycle, JobStatus, WorkspaceStatus } from '../api/types.gen';
import type { AppHealth } from '../api/apps';

type Tone = 'ok' | 'busy' | 'bad' | 'off';

const tones: Record<string, Tone> = {
  // workspace
  running: 'ok',
  pending: 'busy',
  starting: 'busy',
  stopping: 'busy',
  deleting: 'busy',
  canceling: 'busy',
  stopped: 'off',
  canceled: 'off',
  deleted: 'off',
  failed: 'bad',
  // job
  succeeded: 'ok',
  // agent
  ready: 'ok',
  connected: 'ok',
  created: 'busy',
  connecting: 'busy',
  shutting_down: 'busy',
  start_error: 'bad',
  start_timeout: 'bad',
  disconnected: 'bad',
  off: 'off',
  // apps
  healthy: 'ok',
  initializing: 'busy',
  unhealthy: 'bad',
  disabled: 'off',
};

/** toneOf says how a status looks: ok, busy, bad or off. */
export function toneOf(status: string): Tone {
  return tones[status] ?? 'off';
}

interface Props {
  status: WorkspaceStatus | JobStatus | AgentLifecycle | AgentConnection | AppHealth | string;
  label?: string;
}

/** StatusBadge shows a status as text with a colour; the text alone carries the meaning. */
export function StatusBadge({ status, label }: Props) {
  const tone = toneOf(status);
  return (
    <span className={`badge badge-${tone}`} data-status={status}>
      {tone === 'busy' && <span className="spinner" aria-hidden="true" />}
      {label ?? status.replace(/_/g, ' ')}
    </span>
  );
}
