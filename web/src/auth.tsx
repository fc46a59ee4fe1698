import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { api, ApiError, onUnauthorized } from './api/client';
import type { Role, User } from './api/types.gen';

interface Auth {
  /** user is the signed-in user; null when signed out, undefined while loading. */
  user: User | null | undefined;
  setUser: (u: User | null) => void;
  signOut: () => Promise<void>;
  /** loadError is set when the server could not say who is signed in. */
  loadError: unknown;
  retry: () => void;
}

const AuthContext = createContext<Auth | null>(null);

/** AuthProvider finds out who is signed in and keeps it. */
export function AuthProvider({ children }: { children: React.ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [loadError, setLoadError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const ctl = new AbortController();
    api
      .me(ctl.signal)
      .then((u) => {
        setUser(u);
        setLoadError(undefined);
      })
      .catch((err) => {
        if (ctl.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) {
          setUser(null);
          setLoadError(undefined);
        } else {
          setLoadError(err);
        }
      });
    return () => ctl.abort();
  }, [attempt]);

  useEffect(() => {
    onUnauthorized(() => setUser(null));
    return () => onUnauthorized(null);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      setUser(null);
    }
  }, []);

  const value = useMemo(
    () => ({ user, setUser, signOut, loadError, retry: () => setAttempt((a) => a + 1) }),
    [user, signOut, loadError],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

/** useAuth returns the session. */
export function useAuth(): Auth {
  const a = useContext(AuthContext);
  if (!a) throw new Error('useAuth outside AuthProvider');
  return a;
}

/** useUser returns the signed-in user, inside RequireAuth. */
export function useUser(): User {
  const { user } = useAuth();
  if (!user) throw new Error('useUser outside RequireAuth');
  return user;
}

export const hasRole = (u: User, ...roles: Role[]) => u.roles.some((r) => roles.includes(r));
/** The roles that may see the admin pages (each page's API still decides). */
export const canSeeTemplates = (u: User) => hasRole(u, 'owner', 'template-admin', 'auditor');
export const canSeeUsers = (u: User) => hasRole(u, 'owner', 'user-admin', 'auditor');
export const canManageUsers = (u: User) => hasRole(u, 'owner', 'user-admin');
