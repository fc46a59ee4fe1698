import type { Workspace } from '../api/types.gen';

/**
 * filterWorkspaces keeps the workspaces that match every word of query. A
 * word matches a workspace's name, owner, template or status; "owner:ada",
 * "template:go" and "status:running" match only that field (exactly).
 */
export function filterWorkspaces(ws: Workspace[], query: string): Workspace[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return ws;
  return ws.filter((w) =>
    words.every((word) => {
      const [key, value] = word.includes(':') ? splitOnce(word) : ['', word];
      switch (key) {
        case 'owner':
          return w.owner_name.toLowerCase() === value;
        case 'template':
          return w.template_name.toLowerCase() === value;
        case 'status':
          return w.status === value;
        case 'name':
          return w.name.toLowerCase().includes(value);
        default:
          return [w.name, w.owner_name, w.template_name, w.status].some((f) => f.toLowerCase().includes(word));
      }
    }),
  );
}

function splitOnce(s: string): [string, string] {
  const i = s.indexOf(':');
  return [s.slice(0, i), s.slice(i + 1)];
}

/** workspacePath is the dashboard's address of a workspace. */
export function workspacePath(w: Pick<Workspace, 'owner_name' | 'name'>): string {
  return `/@${encodeURIComponent(w.owner_name)}/${encodeURIComponent(w.name)}`;
}
