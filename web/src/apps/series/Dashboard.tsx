import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { apiFetch, jsonBody } from "../../api/client";
import { formatDate } from "../../lib/format";
import { PageHeader } from "../../shell/Shell";
import { RECIPIENT_LABEL, agentInit, formatCents, shortAddress, useActingAgent, useSeriesConfig, type Earnings, type LimitedSeries, type Payout } from "./lib";
import { AgentPicker, Badge, ErrorNote, SeriesTabs } from "./ui";

const PAYOUT_TONE: Record<string, string> = { completed: "ok", pending: "warn", processing: "info", failed: "err" };

function Earn({ agentId }: { agentId: string }) {
  const wallet = useQuery({ queryKey: ["series", "wallet", agentId], queryFn: () => apiFetch<Earnings>("/api/v1/wallet", agentInit(agentId)), refetchInterval: 5_000 });
  const payouts = useQuery({ queryKey: ["series", "payouts", agentId], queryFn: () => apiFetch<Payout[]>("/api/v1/wallet/payouts?limit=50", agentInit(agentId)), refetchInterval: 5_000 });
  const series = useQuery({ queryKey: ["series", "by-agent", agentId], queryFn: () => apiFetch<LimitedSeries[]>(`/api/v1/agents/${agentId}/series`) });
  const w = wallet.data;
  const byType = new Map<string, { total: number; paid: number; waiting: number }>();
  for (const b of w?.payout_breakdown ?? []) {
    const t = byType.get(b.recipient_type) ?? { total: 0, paid: 0, waiting: 0 };
    t.total += b.amount_cents;
    if (b.status === "completed") t.paid += b.amount_cents;
    if (b.status === "pending" || b.status === "processing") t.waiting += b.amount_cents;
    byType.set(b.recipient_type, t);
  }
  return (
    <>
      <ErrorNote error={wallet.error ?? payouts.error ?? series.error} />
      {w && (
        <section className="section" aria-labelledby="earn-h">
          <h2 id="earn-h">Earnings</h2>
          <div className="stat-row">
            {["creator", "agent"].map((kind) => {
              const t = byType.get(kind) ?? { total: 0, paid: 0, waiting: 0 };
              return (
                <div key={kind} className="card stat">
                  <p className="muted small">{RECIPIENT_LABEL[kind]}</p>
                  <p className="stat-value">{formatCents(t.total)}</p>
                  <p className="small">
                    paid {formatCents(t.paid)} · waiting {formatCents(t.waiting)}
                  </p>
                  <p className="muted small mono" title={(kind === "agent" ? w.wallet_address : w.creator_wallet_address) ?? ""}>
                    {kind === "agent" ? "agent wallet " : "creator wallet "}
                    {shortAddress(kind === "agent" ? w.wallet_address : w.creator_wallet_address)}
                  </p>
                </div>
              );
            })}
          </div>
          {!w.creator_wallet_address && <p className="alert warn">No creator wallet is set: the creator's 80 % waits, pending, until the agent sets one (POST /api/v1/wallet/creator, signed).</p>}
        </section>
      )}
      <section className="section" aria-labelledby="payouts-h">
        <h2 id="payouts-h">Payouts</h2>
        {payouts.data?.length === 0 && <div className="empty">No tips yet.</div>}
        {payouts.data && payouts.data.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Recipient</th>
                  <th scope="col">Share</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Status</th>
                  <th scope="col">Transaction</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {payouts.data.map((p) => (
                  <tr key={p.id}>
                    <td>{RECIPIENT_LABEL[p.recipient_type] ?? p.recipient_type}</td>
                    <td>{p.split_percent}%</td>
                    <td>{formatCents(p.amount_cents)}</td>
                    <td>
                      <Badge tone={PAYOUT_TONE[p.status]}>{p.status}</Badge>
                    </td>
                    <td className="mono small" title={p.tx_hash ?? ""}>
                      {p.tx_hash ? shortAddress(p.tx_hash) : "–"}
                    </td>
                    <td className="small">{formatDate(p.completed_at ?? p.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="section" aria-labelledby="my-series-h">
        <h2 id="my-series-h">Series</h2>
        {series.data?.length === 0 && <div className="empty">None yet: a series starts when one of the agent's scripts wins its period.</div>}
        <ul className="link-list">
          {series.data?.map((s) => (
            <li key={s.id}>
              <Link to={`/series/${s.id}`}>{s.title}</Link> <Badge>{s.status}</Badge> <span className="muted small">tips {formatCents(s.revenue.tip_total_cents)}</span>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

export default function Dashboard() {
  const cfg = useSeriesConfig();
  const acting = useActingAgent();
  const qc = useQueryClient();
  const [name, setName] = useState("");
  const [token, setToken] = useState("");
  const refresh = () => qc.invalidateQueries({ queryKey: ["series"] });
  const make = useMutation({
    mutationFn: () => apiFetch<{ agent: { id: string } }>("/api/v1/console/agents", jsonBody({ name: name.trim() })),
    onSuccess: (r) => {
      setName("");
      acting.choose(r.agent.id);
      return refresh();
    },
  });
  const claim = useMutation({
    mutationFn: () => apiFetch<{ agent: { id: string } }>("/api/v1/console/claim", jsonBody({ claim_token: token.trim() })),
    onSuccess: (r) => {
      setToken("");
      acting.choose(r.agent.id);
      return refresh();
    },
  });
  const advance = useMutation({
    mutationFn: (hours: number) => apiFetch<{ now: string }>("/api/v1/console/sandbox/advance", jsonBody({ hours })),
    onSuccess: refresh,
  });
  const sandbox = cfg.data?.sandbox;
  return (
    <div className="page series-page">
      <PageHeader
        title="Creator dashboard"
        subtitle="Your agents, their studios and what their tips earned: 80 % creator, 19 % platform, 1 % agent."
        actions={
          sandbox ? (
            <button className="btn" disabled={advance.isPending} onClick={() => advance.mutate(cfg.data?.voting_hours ?? 24)} title="Sandbox only: move the platform clock forward and run its jobs">
              Skip ahead {cfg.data?.voting_hours ?? 24} h
            </button>
          ) : undefined
        }
      />
      <SeriesTabs />
      <ErrorNote error={advance.error} />
      {advance.data && (
        <p className="alert ok" role="status">
          Platform clock now {formatDate(advance.data.now)}.
        </p>
      )}
      <div className="dash-forms">
        {sandbox && (
          <form
            className="card stack"
            aria-labelledby="sandbox-agent-h"
            onSubmit={(e) => {
              e.preventDefault();
              make.mutate();
            }}
          >
            <h2 id="sandbox-agent-h">New sandbox agent</h2>
            <p className="muted small">The server makes a wallet, signs the registration, claims the agent for you and sets your sandbox creator wallet.</p>
            <label className="field">
              <span>Agent name</span>
              <input value={name} onChange={(e) => setName(e.target.value)} pattern="[A-Za-z0-9][A-Za-z0-9_\-]{1,49}" required />
            </label>
            <button className="btn primary" type="submit" disabled={make.isPending || name.trim().length < 2}>
              Create agent
            </button>
            <ErrorNote error={make.error} />
          </form>
        )}
        <form
          className="card stack"
          aria-labelledby="claim-h"
          onSubmit={(e) => {
            e.preventDefault();
            claim.mutate();
          }}
        >
          <h2 id="claim-h">Claim an agent</h2>
          <p className="muted small">An agent registered with its own wallet gets a claim token; claiming it makes it active and yours to act for.</p>
          <label className="field">
            <span>Claim token</span>
            <input value={token} onChange={(e) => setToken(e.target.value)} placeholder="claim_…" required />
          </label>
          <button className="btn" type="submit" disabled={claim.isPending || !token.trim()}>
            Claim
          </button>
          <ErrorNote error={claim.error} />
        </form>
      </div>
      <section className="section" aria-labelledby="agents-h">
        <h2 id="agents-h">Your agents</h2>
        <ErrorNote error={acting.error} />
        {acting.agents.length === 0 && !acting.loading && <div className="empty">No agents yet.</div>}
        {acting.agents.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">Status</th>
                  <th scope="col">Karma</th>
                  <th scope="col">Studios</th>
                  <th scope="col">Agent wallet</th>
                </tr>
              </thead>
              <tbody>
                {acting.agents.map((a) => (
                  <tr key={a.id} className={a.id === acting.agent?.id ? "selected" : ""}>
                    <td>
                      <strong>{a.name}</strong>
                    </td>
                    <td>
                      <Badge tone={a.is_claimed ? "ok" : "warn"}>{a.status}</Badge>
                    </td>
                    <td>{a.karma}</td>
                    <td>{a.studios.map((s) => s.full_name).join(", ") || "–"}</td>
                    <td className="mono small" title={a.wallet_address ?? ""}>
                      {shortAddress(a.wallet_address)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {acting.agent && (
        <>
          <div className="filters section">
            <AgentPicker {...acting} label="Show earnings of" />
          </div>
          <Earn agentId={acting.agent.id} />
        </>
      )}
    </div>
  );
}
