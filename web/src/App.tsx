import { lazy, Suspense, useEffect, useState } from 'react';
import { Navigate, Outlet, Route, Routes, useLocation } from 'react-router-dom';
import { api } from './api/client';
import { useAuth } from './auth';
import { ErrorBox } from './components/ErrorBox';
import { Layout } from './components/Layout';
import { Loading } from './components/Loading';
import { CreateWorkspacePage } from './pages/CreateWorkspace';
import { DeploymentPage } from './pages/Deployment';
import { LoginPage } from './pages/Login';
import { NotFoundPage } from './pages/NotFound';
import { SettingsPage } from './pages/Settings';
import { SetupPage } from './pages/Setup';
import { TemplatePage } from './pages/Template';
import { TemplatesPage } from './pages/Templates';
import { UsersPage } from './pages/Users';
import { WorkspacePage } from './pages/Workspace';
import { WorkspacesPage } from './pages/Workspaces';

// xterm.js is most of the bundle: load it only for the terminal.
const TerminalPage = lazy(() => import('./pages/Terminal').then((m) => ({ default: m.TerminalPage })));

/** ToWorkspaces sends /workspaces (with its search) to the list, which is the home page. */
function ToWorkspaces() {
  const { search } = useLocation();
  return <Navigate to={{ pathname: '/', search }} replace />;
}

/** App maps paths to pages. Workspaces live at /@user/name, as in the CLI. */
export function App() {
  return (
    <Routes>
      <Route path="/setup" element={<SetupPage />} />
      <Route path="/login" element={<LoginPage />} />
      <Route element={<RequireAuth />}>
        <Route
          path="/:owner/:workspace/terminal"
          element={
            <Suspense fallback={<Loading what="Opening the terminal" />}>
              <TerminalPage />
            </Suspense>
          }
        />
        <Route element={<Layout />}>
          <Route index element={<WorkspacesPage />} />
          <Route path="/workspaces" element={<ToWorkspaces />} />
          <Route path="/workspaces/new" element={<CreateWorkspacePage />} />
          <Route path="/templates" element={<TemplatesPage />} />
          <Route path="/templates/:template" element={<TemplatePage />} />
          <Route path="/users" element={<UsersPage />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="/deployment" element={<DeploymentPage />} />
          <Route path="/:owner/:workspace" element={<WorkspacePage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}

/**
 * RequireAuth shows its pages to a signed-in user; others go to the login
 * page (or, on a new server, to the first-user setup) and come back after.
 */
function RequireAuth() {
  const { user, loadError, retry } = useAuth();
  const location = useLocation();
  const [setupNeeded, setSetupNeeded] = useState<boolean>();

  useEffect(() => {
    if (user !== null) return;
    let live = true;
    api
      .setup()
      .then((s) => live && setSetupNeeded(s.first_user_required))
      .catch(() => live && setSetupNeeded(false));
    return () => {
      live = false;
    };
  }, [user]);

  if (loadError) {
    return (
      <main className="page narrow" id="main">
        <h1>Den</h1>
        <ErrorBox error={loadError} />
        <button type="button" onClick={retry}>
          Try again
        </button>
      </main>
    );
  }
  if (user === undefined || (user === null && setupNeeded === undefined)) {
    return (
      <main className="page narrow" id="main">
        <Loading />
      </main>
    );
  }
  if (user === null) {
    if (setupNeeded) return <Navigate to="/setup" replace />;
    const next = location.pathname + location.search;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}
