import { Suspense, useEffect, useState, type ReactNode } from "react";
import { NavLink, Outlet, useLocation } from "react-router-dom";
import { useEnabledModules } from "./apps";
import { Icon } from "./icons";
import { useSession } from "./session";

export const CORE_NAV = [
  { to: "/studio", label: "Studio", icon: "studio" },
  { to: "/presets", label: "Presets", icon: "presets" },
  { to: "/history", label: "History", icon: "history" },
  { to: "/gallery", label: "Gallery", icon: "gallery" },
  { to: "/credits", label: "Credits", icon: "credits" },
  { to: "/setup", label: "Setup", icon: "setup" },
] as const;

function NavItem({ to, label, icon }: { to: string; label: string; icon: string }) {
  return (
    <li>
      <NavLink to={to} className={({ isActive }) => "nav-link" + (isActive ? " active" : "")}>
        <Icon name={icon} />
        <span>{label}</span>
      </NavLink>
    </li>
  );
}

export function PageFallback() {
  return (
    <div className="page-loading" role="status" aria-live="polite">
      <div className="spinner" aria-hidden="true" /> Loading…
    </div>
  );
}

export default function Shell() {
  const { session, signOut } = useSession();
  const location = useLocation();
  const [navOpen, setNavOpen] = useState(false);
  useEffect(() => setNavOpen(false), [location.pathname]);
  const user = session.user;
  const products = useEnabledModules(); // only those switched on (GET /v1/apps)
  return (
    <div className={"shell" + (navOpen ? " nav-open" : "")}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar-mobile">
        <button className="btn ghost" aria-expanded={navOpen} aria-controls="sidenav" onClick={() => setNavOpen((v) => !v)}>
          ☰ <span className="sr-only">Menu</span>
        </button>
        <span className="brand">
          <span className="brand-mark" aria-hidden="true">▶</span> ReelForge
        </span>
      </header>
      <nav id="sidenav" className="sidenav" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">▶</span> ReelForge <span className="brand-sub">Studio</span>
        </div>
        <ul className="nav-list">
          {CORE_NAV.map((n) => (
            <NavItem key={n.to} {...n} />
          ))}
        </ul>
        {products.length > 0 && (
          <>
            <div className="nav-heading" id="nav-products">
              Products
            </div>
            <ul className="nav-list" aria-labelledby="nav-products">
              {products.map((m) => (
                <NavItem key={m.id} to={m.basePath} label={m.label} icon="app" />
              ))}
            </ul>
          </>
        )}
        <div className="nav-footer">
          {user && (
            <div className="user-chip" title={user.id}>
              <span className="avatar" aria-hidden="true">
                {(user.name ?? user.id ?? "?").slice(0, 1).toUpperCase()}
              </span>
              <span className="user-meta">
                <span className="user-name">{user.name ?? user.id}</span>
                {user.role && <span className="user-role">{user.role}</span>}
              </span>
            </div>
          )}
          <button className="btn ghost small" onClick={() => void signOut()}>
            <Icon name="logout" size={16} /> Sign out
          </button>
        </div>
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        <Suspense fallback={<PageFallback />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · ReelForge`;
  }, [title]);
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="muted">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}
