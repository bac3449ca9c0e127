/** Credits: balance, plan and period, holds in flight, own-key spend, and the ledger. */
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { formatDate, timeAgo } from "../lib/format";
import { PageHeader } from "../shell/Shell";
import { ErrorBox, Loading } from "./setup/common";
import { LedgerTable } from "./credits/LedgerTable";
import { TopupForm } from "./credits/TopupForm";
import { useSession } from "../shell/session";
import "./setup.css";
import "./credits.css";

interface OwnKeys {
  summary?: string;
  applies_to?: string;
  plan_credits_apply_to?: string;
  warnings?: string[];
}

export default function Credits() {
  const { session } = useSession();
  const isAdmin = session.user?.role === "owner" || session.user?.role === "admin";
  const wallet = useQuery({ queryKey: ["credits", "wallet"], queryFn: async () => unwrap(await api.GET("/v1/credits", {})) });
  const plans = useQuery({ queryKey: ["credits", "plans"], queryFn: async () => unwrap(await api.GET("/v1/credits/plans", {})) });
  const w = wallet.data;
  const own = (w?.own_keys ?? null) as OwnKeys | null;
  const monthly = w?.plan.monthly_allocation.micros ?? 0;
  const left = w?.allocation.micros ?? 0;
  const pct = monthly > 0 ? Math.max(0, Math.min(100, (left / monthly) * 100)) : 0;

  return (
    <div className="page credits-page">
      <PageHeader title="Credits" subtitle="What you can spend, the plan it comes from, and every movement of it." />
      {wallet.isPending && <Loading label="Loading your balance…" />}
      {wallet.isError && <ErrorBox error={wallet.error} title="Could not load your credits" />}
      {w && (
        <>
          <div className="credit-stats">
            <section className="card stat balance-card" aria-labelledby="balance-title">
              <h2 id="balance-title" className="stat-label">
                Balance
              </h2>
              <p className="stat-value" data-testid="credit-balance">
                {w.balance.display}
              </p>
              <p className="small muted">
                {w.balance.usd} spendable now · allocation left plus top-up
                {w.held.micros > 0 ? ` · ${w.held.display} held by runs in flight` : ""}
              </p>
            </section>
            <section className="card stat" aria-labelledby="plan-title">
              <h2 id="plan-title" className="stat-label">
                Plan
              </h2>
              <p className="stat-value">{w.plan.name}</p>
              <p className="small muted">
                {w.plan.monthly_allocation.display} a month · renews {formatDate(w.period_end)}
              </p>
            </section>
            <section className="card stat" aria-labelledby="alloc-title">
              <h2 id="alloc-title" className="stat-label">
                Allocation left
              </h2>
              <p className="stat-value">{w.allocation.display}</p>
              <div className="progress" role="progressbar" aria-label="Allocation left this period" aria-valuenow={Math.round(pct)} aria-valuemin={0} aria-valuemax={100}>
                <div style={{ width: `${pct}%` }} />
              </div>
              <p className="small muted">
                of {w.plan.monthly_allocation.display} since {formatDate(w.period_start)}
              </p>
            </section>
            <section className="card stat" aria-labelledby="topup-title">
              <h2 id="topup-title" className="stat-label">
                Top-up
              </h2>
              <p className="stat-value">{w.topup.display}</p>
              <p className="small muted">Top-up credits never expire.</p>
            </section>
          </div>

          {isAdmin && (
            <div className="topup-slot">
              <TopupForm userId={w.user_id} />
            </div>
          )}

          {own && (
            <div className={`alert own-keys ${own.warnings?.length ? "warn" : ""}`}>
              <div className="row">
                <strong>Your own keys</strong>
                <span>· {(own.summary ?? "").replace(/^own keys:\s*/, "")}</span>
                <span className="spacer" />
                <Link to="/setup" className="own-keys-link">
                  Manage keys
                </Link>
              </div>
              <p className="small muted own-keys-note">
                Runs on {own.applies_to} are paid by those keys, not by credits. Plan credits pay for {own.plan_credits_apply_to}.
              </p>
              {own.warnings?.map((x) => (
                <p key={x} className="small">
                  {x}
                </p>
              ))}
            </div>
          )}

          {w.holds.length > 0 && (
            <section className="section" aria-labelledby="holds-title">
              <h2 id="holds-title">Held by runs in flight</h2>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Run</th>
                      <th scope="col">Status</th>
                      <th scope="col" className="num">
                        Held
                      </th>
                      <th scope="col" className="num">
                        Charged
                      </th>
                      <th scope="col">Since</th>
                    </tr>
                  </thead>
                  <tbody>
                    {w.holds.map((h) => (
                      <tr key={h.run_id}>
                        <td>
                          <Link className="mono small" to={`/history/${h.run_id}`}>
                            {h.run_id}
                          </Link>
                        </td>
                        <td>{h.status}</td>
                        <td className="num">{h.held.display}</td>
                        <td className="num">{h.captured.display}</td>
                        <td>{timeAgo(h.created_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          )}
        </>
      )}

      <LedgerTable />

      {plans.data && plans.data.length > 0 && (
        <section className="section" aria-labelledby="plans-title">
          <h2 id="plans-title">Plans</h2>
          <div className="grid plan-grid">
            {plans.data.map((p) => {
              const current = p.id === w?.plan.id;
              return (
                <div key={p.id} className={`card plan-card ${current ? "current" : ""}`}>
                  <div className="card-head">
                    <h3>{p.name}</h3>
                    {current && <span className="badge ok">Your plan</span>}
                  </div>
                  <p className="plan-price">
                    {p.monthly_allocation.display}
                    <span className="small muted"> / month ({p.monthly_allocation.usd})</span>
                  </p>
                  <p className="small muted">
                    {p.max_workspaces} workspaces · rate limit ×{p.rate_limit_multiplier}
                  </p>
                </div>
              );
            })}
          </div>
          <p className="small muted plans-note">Plans and top-ups are changed by an admin (POST /v1/credits/plan, /v1/credits/topups).</p>
        </section>
      )}
    </div>
  );
}
