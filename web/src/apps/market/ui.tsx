/** The marketplace's small shared pieces: badges, the agent card, order status, errors. */
import { Link, NavLink } from "react-router-dom";
import { ApiError } from "../../api/client";
import { formatMicros } from "../../lib/format";
import { useSession } from "../../shell/session";
import { CATEGORIES, type Agent, type AgentItem, type OrderStatus } from "./types";

export function useIsAdmin(): boolean {
  const role = useSession().session.user?.role;
  return role === "owner" || role === "admin";
}

/** Browse / My orders / Margins (operators), under each page's header. */
export function MarketTabs() {
  const admin = useIsAdmin();
  const tabs = [
    { to: "/market", label: "Browse", end: true },
    { to: "/market/orders", label: "My orders", end: false },
    ...(admin ? [{ to: "/market/margins", label: "Margins", end: false }] : []),
  ];
  return (
    <nav className="mk-tabs" aria-label="Marketplace">
      {tabs.map((t) => (
        <NavLink key={t.to} to={t.to} end={t.end} className={({ isActive }) => "mk-tab" + (isActive ? " active" : "")}>
          {t.label}
        </NavLink>
      ))}
    </nav>
  );
}

/** The gold Official pill is its own badge, distinct from the blue check and verified. */
export function Badges({ agent, large }: { agent: Agent; large?: boolean }) {
  return (
    <span className={"mk-badges" + (large ? " large" : "")}>
      {agent.badges.map((b) => (
        <span key={b.kind} className={"mk-badge mk-badge-" + b.kind} title={b.kind === "official" ? "Atelier Official agent" : b.label}>
          <span aria-hidden="true">{b.kind === "official" ? "★" : b.kind === "blue_check" ? "✓" : "●"}</span> {b.label}
        </span>
      ))}
    </span>
  );
}

export function AgentAvatar({ agent, size = 44 }: { agent: Agent; size?: number }) {
  const hue = [...agent.id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7);
  const initials = agent.name
    .replace(/^Atelier\s+/, "")
    .split(/\s+/)
    .map((w) => w[0])
    .join("")
    .slice(0, 2)
    .toUpperCase();
  if (agent.avatar) return <img className="mk-avatar" src={agent.avatar} alt="" width={size} height={size} />;
  return (
    <span
      className={"mk-avatar" + (agent.is_atelier_official ? " official" : "")}
      style={{ width: size, height: size, fontSize: size * 0.38, background: `linear-gradient(135deg, hsl(${hue} 55% 42%), hsl(${(hue + 50) % 360} 60% 30%))` }}
      aria-hidden="true"
    >
      {initials}
    </span>
  );
}

export function AgentCard({ agent }: { agent: AgentItem }) {
  return (
    <article className={"card mk-agent-card" + (agent.is_atelier_official ? " official" : "")} aria-labelledby={`agent-${agent.id}`}>
      <div className="mk-agent-head">
        <AgentAvatar agent={agent} />
        <div className="mk-agent-title">
          <h3 id={`agent-${agent.id}`}>
            <Link to={`/market/agents/${encodeURIComponent(agent.id)}`} className="mk-stretch">
              {agent.name}
            </Link>
          </h3>
          <span className="mk-source-line">
            <span className={"mk-source" + (agent.is_atelier_official ? " official" : "")}>{agent.source_label}</span>
            <span className="muted small">
              {" "}
              · {agent.services_count} service{agent.services_count === 1 ? "" : "s"}
            </span>
          </span>
        </div>
      </div>
      <Badges agent={agent} />
      <p className="mk-desc">{agent.description || <span className="muted">No description.</span>}</p>
      <div className="mk-agent-foot">
        <span className="mk-cats">
          {agent.categories.map((c) => (
            <span key={c} className="mk-cat">
              {CATEGORIES[c] ?? c}
            </span>
          ))}
        </span>
        <span className="mk-from">
          {agent.price_from ? (
            <>
              <span className="muted small">from</span> <strong>{agent.price_from}</strong>
            </>
          ) : (
            <span className="muted small">no services yet</span>
          )}
        </span>
      </div>
    </article>
  );
}

const STATUS_LABEL: Record<OrderStatus, string> = {
  pending_payment: "Awaiting payment",
  paid: "Paid",
  in_progress: "In progress",
  delivered: "Delivered",
  failed: "Failed · refunded",
  refunded: "Refunded",
  canceled: "Canceled",
};

export function StatusBadge({ status }: { status: OrderStatus }) {
  const tone = status === "delivered" ? "ok" : status === "failed" ? "err" : status === "in_progress" || status === "paid" ? "info" : "";
  return (
    <span className={"badge " + tone}>
      {(status === "in_progress" || status === "paid") && <span className="spinner mk-spin" aria-hidden="true" />}
      {STATUS_LABEL[status] ?? status}
    </span>
  );
}

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  const e = error instanceof ApiError ? error : null;
  return (
    <div className="alert error" role="alert">
      <strong>{title ?? "Something went wrong"}</strong>
      {e && <span className="mono small"> {e.code}</span>}
      <div>{e ? e.message : String((error as Error)?.message ?? error)}</div>
      {e && e.remediation.length > 0 && (
        <ul>
          {e.remediation.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="page-loading" role="status" aria-live="polite">
      <div className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

/** Dollars as prices are shown ($0.50, $6.00); amounts finer than a cent keep their digits. */
export function usd(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return "–";
  if (micros % 10_000 !== 0) return formatMicros(micros);
  return (micros < 0 ? "-$" : "$") + (Math.abs(micros) / 1_000_000).toFixed(2);
}
