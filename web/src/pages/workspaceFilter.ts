import type { Workspace } from '../api/types.gen';

/** workspacePath is the dashboard's address of a workspace. */
export function workspacePath(w: Pick<Workspace, 'owner_name' | 'name'>): string {
  return `/@${encodeURIComponent(w.owner_name)}/${encodeURIComponent(w.name)}`;
}
