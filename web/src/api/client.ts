// The dashboard's view of Den's API: fetch with the session cookie, JSON in
// and out, and Den's error envelope turned into an ApiError a page can show.
import type {
  BuildInfo,
  CreateFirstUserRequest,
  CreateTokenRequest,
  CreateTokenResponse,
  CreateUserRequest,
  CreateWorkspaceBuildRequest,
  CreateWorkspaceRequest,
  Error as ErrorEnvelope,
  LoginRequest,
  LoginResponse,
  ProvisionerJob,
  Role,
  SetupStatus,
  Template,
  TemplateVersion,
  Token,
  UpdatePasswordRequest,
  User,
  UserStatus,
  ValidationError,
  Workspace,
  WorkspaceBuild,
  WorkspacePage,
} from './types.gen';
// logs.ts imports this module too; neither uses the other while loading.
import { NdjsonParser } from './ndjson';

export const apiPrefix = '/api/v2';

/** ApiError is a failed request, with Den's message, detail and field errors. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly validations: ValidationError[];

  constructor(status: number, body: ErrorEnvelope) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = body.detail ?? '';
    this.validations = body.validations ?? [];
  }

  /** fieldErrors maps each field the server named to what is wrong with it. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const v of this.validations) {
      out[v.field] = out[v.field] ? `${out[v.field]}; ${v.detail}` : v.detail;
    }
    return out;
  }
}

/** errorMessage renders any thrown value for a person. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    return err.detail ? `${err.message}: ${err.detail}` : err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

type UnauthorizedHandler = () => void;
let unauthorized: UnauthorizedHandler | null = null;

/**
 * onUnauthorized sets what happens when the API answers 401 (the session
 * ended): the app sends the user to the login page.
 */
export function onUnauthorized(fn: UnauthorizedHandler | null): void {
  unauthorized = fn;
}

interface RequestOptions {
  signal?: AbortSignal;
  /** quiet401 keeps a 401 from sending the user to the login page. */
  quiet401?: boolean;
}

/** readError turns an error response into an ApiError. */
export async function readError(resp: Response): Promise<ApiError> {
  const text = await resp.text().catch(() => '');
  try {
    const body = JSON.parse(text) as ErrorEnvelope;
    if (body && typeof body.message === 'string' && body.message !== '') {
      return new ApiError(resp.status, body);
    }
  } catch {
    // not Den's envelope: a proxy's page, say
  }
  const detail = text.trim().slice(0, 300);
  return new ApiError(resp.status, { message: `unexpected status ${resp.status} from the server`, detail });
}

/** raw sends a request and returns the response when it succeeded. */
export async function raw(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<Response> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
    signal: opts.signal,
  };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
  }
  let resp: Response;
  try {
    resp = await fetch(path, init);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, {
      message: 'cannot reach the Den server',
      detail: 'check your network and that the server is running, then try again',
    });
  }
  if (!resp.ok) {
    const err = await readError(resp);
    if (resp.status === 401 && !opts.quiet401 && unauthorized) unauthorized();
    throw err;
  }
  return resp;
}

/** request sends JSON and decodes the JSON answer (undefined for 204). */
export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const resp = await raw(method, path, body, opts);
  if (resp.status === 204) return undefined as T;
  const text = await resp.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** WorkspaceFilter picks the workspaces api.workspaces returns, and which page of them. */
export interface WorkspaceFilter {
  owner?: string;
  template?: string;
  /** q is a search, as the workspace list's filter box takes it. */
  q?: string;
  /** limit is the page size, 1..500 (the server's default is 50). */
  limit?: number;
  /** offset is how many matching workspaces come before the page. */
  offset?: number;
}

const enc = encodeURIComponent;

/**
 * watchWorkspace follows GET /workspaces/{id}/watch: it calls onWorkspace
 * with the workspace at once, then whenever it changes and every 25 s or so
 * (a keepalive). It resolves when the server ends the stream, which it does
 * when the workspace is gone (deleted), and rejects with an ApiError when the
 * server refuses, or with the reason the stream broke. Aborting the signal
 * ends it early (and rejects with an AbortError).
 */
async function watchWorkspace(id: string, onWorkspace: (w: Workspace) => void, signal?: AbortSignal): Promise<void> {
  const resp = await raw('GET', `${apiPrefix}/workspaces/${enc(id)}/watch`, undefined, { signal });
  const parser = new NdjsonParser<Workspace>();
  if (!resp.body) {
    for (const w of parser.push(await resp.text())) onWorkspace(w);
  } else {
    const reader = resp.body.getReader();
    // fetch ends the body on abort, but not every fetch (a test's, a
    // polyfill's) does: cancel the read too, and on a bad line.
    const cancel = () => void reader.cancel().catch(() => undefined);
    signal?.addEventListener('abort', cancel);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || signal?.aborted) break;
        for (const w of parser.push(value)) onWorkspace(w);
      }
    } catch (err) {
      cancel();
      throw err;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }
  // A cancelled read ends like a stream the server closed: it is not one.
  signal?.throwIfAborted();
  for (const w of parser.end()) onWorkspace(w);
}

/** api has one function per endpoint the dashboard uses. */
export const api = {
  buildInfo: () => request<BuildInfo>('GET', `${apiPrefix}/buildinfo`),
  setup: () => request<SetupStatus>('GET', `${apiPrefix}/setup`),
  createFirstUser: (req: CreateFirstUserRequest) =>
    request<LoginResponse>('POST', `${apiPrefix}/users/first`, req, { quiet401: true }),
  login: (req: LoginRequest) => request<LoginResponse>('POST', `${apiPrefix}/users/login`, req, { quiet401: true }),
  logout: () => request<void>('POST', `${apiPrefix}/users/logout`, undefined, { quiet401: true }),
  me: (signal?: AbortSignal) => request<User>('GET', `${apiPrefix}/users/me`, undefined, { quiet401: true, signal }),

  users: () => request<User[]>('GET', `${apiPrefix}/users`),
  createUser: (req: CreateUserRequest) => request<User>('POST', `${apiPrefix}/users`, req),
  setUserStatus: (user: string, status: UserStatus) =>
    request<User>('PUT', `${apiPrefix}/users/${enc(user)}/status`, { status }),
  setUserRoles: (user: string, roles: Role[]) => request<User>('PUT', `${apiPrefix}/users/${enc(user)}/roles`, { roles }),
  /** updatePassword sets a user's password; the user's other sessions end. */
  updatePassword: (user: string, req: UpdatePasswordRequest) =>
    request<void>('PUT', `${apiPrefix}/users/${enc(user)}/password`, req),
  deleteUser: (user: string) => request<void>('DELETE', `${apiPrefix}/users/${enc(user)}`),

  tokens: (user: string) => request<Token[]>('GET', `${apiPrefix}/users/${enc(user)}/tokens`),
  createToken: (user: string, req: CreateTokenRequest) =>
    request<CreateTokenResponse>('POST', `${apiPrefix}/users/${enc(user)}/tokens`, req),
  deleteToken: (user: string, token: string) =>
    request<void>('DELETE', `${apiPrefix}/users/${enc(user)}/tokens/${enc(token)}`),

  templates: () => request<Template[]>('GET', `${apiPrefix}/templates`),
  template: (name: string) => request<Template>('GET', `${apiPrefix}/templates/${enc(name)}`),
  templateVersions: (name: string) => request<TemplateVersion[]>('GET', `${apiPrefix}/templates/${enc(name)}/versions`),
  /** templateVersion returns a version by number, or the active one. */
  templateVersion: (name: string, ref: number | 'active') =>
    request<TemplateVersion>('GET', `${apiPrefix}/templates/${enc(name)}/versions/${ref}`),
  /** file downloads an uploaded template archive (a tar). */
  file: async (hash: string) => (await raw('GET', `${apiPrefix}/files/${enc(hash)}`)).arrayBuffer(),

  /**
   * workspaces returns a page of the workspaces matching filter (q is the
   * dashboard's search: words and owner:, template:, status:, name: keys)
   * and how many match on every page together.
   */
  workspaces: async (filter: WorkspaceFilter = {}, signal?: AbortSignal): Promise<WorkspacePage> => {
    const q = new URLSearchParams();
    if (filter.owner) q.set('owner', filter.owner);
    if (filter.template) q.set('template', filter.template);
    if (filter.q) q.set('q', filter.q);
    if (filter.limit !== undefined) q.set('limit', String(filter.limit));
    if (filter.offset) q.set('offset', String(filter.offset));
    const qs = q.toString();
    const page = await request<WorkspacePage>('GET', `${apiPrefix}/workspaces${qs ? `?${qs}` : ''}`, undefined, { signal });
    // An empty Go slice may come as null.
    return { ...page, workspaces: page.workspaces ?? [] };
  },
  workspaceByName: (user: string, name: string, signal?: AbortSignal) =>
    request<Workspace>('GET', `${apiPrefix}/users/${enc(user)}/workspaces/${enc(name)}`, undefined, { signal }),
  createWorkspace: (user: string, req: CreateWorkspaceRequest) =>
    request<Workspace>('POST', `${apiPrefix}/users/${enc(user)}/workspaces`, req),
  builds: (workspaceID: string, signal?: AbortSignal) =>
    request<WorkspaceBuild[]>('GET', `${apiPrefix}/workspaces/${workspaceID}/builds`, undefined, { signal }),
  createBuild: (workspaceID: string, req: CreateWorkspaceBuildRequest) =>
    request<WorkspaceBuild>('POST', `${apiPrefix}/workspaces/${workspaceID}/builds`, req),
  job: (id: string) => request<ProvisionerJob>('GET', `${apiPrefix}/jobs/${id}`),
  watchWorkspace,
};

/** health asks /healthz or /readyz; it resolves with the answer, never throws. */
export async function health(path: '/healthz' | '/readyz'): Promise<{ ok: boolean; text: string }> {
  try {
    const resp = await fetch(path, { credentials: 'same-origin' });
    if (resp.ok) return { ok: true, text: 'ok' };
    const err = await readError(resp);
    return { ok: false, text: errorMessage(err) };
  } catch {
    return { ok: false, text: 'cannot reach the server' };
  }
}
