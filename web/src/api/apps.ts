// Workspace apps (types from package sdk, sdk/apps.go).
import type { Workspace, WorkspaceApp } from './types.gen';

export type { AppHealth, AppShare, WorkspaceApp } from './types.gen';

/** workspaceApps returns a workspace's apps (a server without apps sends none). */
export function workspaceApps(w: Workspace): WorkspaceApp[] {
  return w.apps ?? [];
}
