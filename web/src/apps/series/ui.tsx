import { useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { Link, NavLink } from "react-router-dom";
import { ApiError } from "../../api/client";
import { MediaView } from "../../components/Media";
import {
  PRODUCTION_STEPS,
  RECIPIENT_LABEL,
  formatUsdc,
  STEP_LABEL,
  localUrl,
  shortAddress,
  splitMicros,
  useSeriesConfig,
  type Agent,
  type SeriesConfig,
} from "./lib";
import { browserSigner, injectedWallet, sandboxSigner, tipWithX402, type TipResult } from "./x402";
import "./series.css";

const TABS = [
  { to: "/series", label: "Series", end: true },
  { to: "/series/voting", label: "Script voting" },
  { to: "/series/studios", label: "Studios" },
  { to: "/series/dashboard", label: "Dashboard" },
];

export function SeriesTabs() {
  return (
    <nav className="series-tabs" aria-label="Series sections">
      {TABS.map((t) => (
        <NavLink key={t.to} to={t.to} end={t.end} className={({ isActive }) => "series-tab" + (isActive ? " active" : "")}>
          {t.label}
        </NavLink>
      ))}
    </nav>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  const violations = ((e?.detail as { violations?: { path: string; message: string }[] } | null)?.violations ?? []).slice(0, 12);
  return (
    <div className="alert error" role="alert">
      <strong>{e ? e.code : "Error"}</strong>: {e ? e.message : String(error)}
      {violations.length > 0 && (
        <ul>
          {violations.map((v, i) => (
            <li key={i}>
              <code>{v.path}</code> {v.message}
            </li>
          ))}
        </ul>
      )}
      {e && e.remediation.length > 0 && (
        <ul>
          {e.remediation.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Badge({ tone, children }: { tone?: string; children: ReactNode }) {
  return <span className={"badge" + (tone ? " " + tone : "")}>{children}</span>;
}

export function AgentPicker({ agents, agent, choose, label = "Acting as" }: { agents: Agent[]; agent: Agent | null; choose: (id: string) => void; label?: string }) {
  if (!agents.length) {
    return (
      <p className="muted small">
        You have no agents yet: <Link to="/series/dashboard">make or claim one on the dashboard</Link>.
      </p>
    );
  }
  return (
    <label className="field agent-picker">
      <span>{label}</span>
      <select value={agent?.id ?? ""} onChange={(e) => choose(e.target.value)}>
        {agents.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Steps({ status }: { status: string }) {
  const at = PRODUCTION_STEPS.indexOf(status as (typeof PRODUCTION_STEPS)[number]);
  return (
    <ol className="steps" aria-label="Production status">
      {PRODUCTION_STEPS.map((s, i) => {
        const state = status === "failed" ? "" : i < at ? "done" : i === at ? "now" : "";
        return (
          <li key={s} className={"step " + state} aria-current={i === at ? "step" : undefined}>
            <span className="dot" aria-hidden="true">
              {i < at ? "✓" : i + 1}
            </span>
            {STEP_LABEL[s]}
          </li>
        );
      })}
      {status === "failed" && <li className="step failed">Failed</li>}
    </ol>
  );
}

export function Poster({ url, title }: { url: string | null; title: string }) {
  const src = localUrl(url);
  return src ? <img className="poster" src={src} alt={`Poster of ${title}`} /> : <div className="poster placeholder" aria-label="No poster yet">🎬</div>;
}

export function Clip({ url, label }: { url: string | null; label: string }) {
  const src = localUrl(url);
  return src ? <MediaView url={src} kind="video" label={label} /> : <div className="clip-placeholder">Generating…</div>;
}

export function SplitTable({ micros, config }: { micros: number; config: SeriesConfig }) {
  return (
    <table className="split-table">
      <caption className="sr-only">How the tip is split</caption>
      <tbody>
        {splitMicros(micros, config.splits).map((p) => (
          <tr key={p.recipient_type}>
            <th scope="row">{RECIPIENT_LABEL[p.recipient_type] ?? p.recipient_type}</th>
            <td>{p.percent}%</td>
            <td className="num">{formatUsdc(p.micros)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const WALLET_KEY = "reelforge.series.sandboxWallet";

/** A tip-vote (or series tip) through x402, with the split it makes shown before paying. */
export function TipBox({ target, label, onPaid }: { target: { variantId: string } | { seriesId: string }; label: string; onPaid?: (r: TipResult) => void }) {
  const cfg = useSeriesConfig();
  const qc = useQueryClient();
  const config = cfg.data;
  const [cents, setCents] = useState<number | null>(null);
  const [wallet, setWallet] = useState<number>(() => Number(localStorage.getItem(WALLET_KEY) ?? "1"));
  const hasInjected = injectedWallet() !== null;
  const [useInjected, setUseInjected] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<TipResult | null>(null);
  if (!config) return <ErrorNote error={cfg.error} />;
  const amount = cents ?? config.tip_default_cents;
  const id = "variantId" in target ? target.variantId : target.seriesId;
  const viaBrowser = useInjected || !config.sandbox;
  const pay = async () => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const result = await tipWithX402(target, amount, viaBrowser ? browserSigner() : sandboxSigner(wallet));
      setDone(result);
      onPaid?.(result);
      await qc.invalidateQueries({ queryKey: ["series"] });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="tipbox">
      <div className="row">
        <label className="field tip-amount">
          <span>Tip (cents)</span>
          <input type="number" min={config.tip_min_cents} step={1} value={amount} onChange={(e) => setCents(Math.max(0, Math.round(Number(e.target.value))))} aria-describedby={`tip-min-${id}`} />
        </label>
        {config.sandbox && (
          <label className="field tip-wallet">
            <span>Pay with</span>
            <select
              value={viaBrowser ? "browser" : String(wallet)}
              onChange={(e) => {
                if (e.target.value === "browser") return setUseInjected(true);
                setUseInjected(false);
                setWallet(Number(e.target.value));
                localStorage.setItem(WALLET_KEY, e.target.value);
              }}
            >
              {[1, 2, 3, 4, 5].map((n) => (
                <option key={n} value={n}>
                  Sandbox wallet {n}
                </option>
              ))}
              {hasInjected && <option value="browser">Browser wallet</option>}
            </select>
          </label>
        )}
      </div>
      <p className="muted small" id={`tip-min-${id}`}>
        USDC on {config.network} via x402, at least {config.tip_min_cents}¢; one tip-vote per wallet per clip; not refundable.
      </p>
      <SplitTable micros={amount * 10_000} config={config} />
      <button className="btn primary wide" disabled={busy || amount < config.tip_min_cents} onClick={() => void pay()}>
        {busy ? "Paying…" : `${label} · ${formatUsdc(amount * 10_000)}`}
      </button>
      <ErrorNote error={error} />
      {done && (
        <div className="alert ok" role="status">
          Paid {formatUsdc(Math.round(done.tip_amount_cents * 10_000))} from {shortAddress(done.payer)}: vote <code>{done.vote_id}</code>, tx{" "}
          <code title={done.transaction}>{shortAddress(done.transaction)}</code>.
        </div>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="page-loading" role="status">
      <div className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}
