import { useState } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router-dom';
import { canSeeTemplates, canSeeUsers, useAuth, useUser } from '../auth';

/** Layout is the nav bar above every signed-in page. */
export function Layout() {
  const user = useUser();
  const { signOut } = useAuth();
  const navigate = useNavigate();
  const [menuOpen, setMenuOpen] = useState(false);
  const close = () => setMenuOpen(false);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" onClick={close}>
          Den
        </Link>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="nav-links"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <nav id="nav-links" aria-label="Main" className={menuOpen ? 'open' : ''}>
          <NavLink to="/" end onClick={close}>
            Workspaces
          </NavLink>
          {canSeeTemplates(user) && (
            <NavLink to="/templates" onClick={close}>
              Templates
            </NavLink>
          )}
          {canSeeUsers(user) && (
            <NavLink to="/users" onClick={close}>
              Users
            </NavLink>
          )}
          <NavLink to="/deployment" onClick={close}>
            Deployment
          </NavLink>
          <span className="nav-spacer" />
          <NavLink to="/settings" onClick={close} title="Account settings and API tokens">
            <span className="sr-only">Signed in as </span>
            <span data-testid="signed-in-user">{user.username}</span>
          </NavLink>
          <button
            type="button"
            className="link-button"
            onClick={async () => {
              close();
              await signOut().catch(() => undefined);
              navigate('/login');
            }}
          >
            Sign out
          </button>
        </nav>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
