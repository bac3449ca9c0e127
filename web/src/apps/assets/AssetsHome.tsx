/** The asset studio's front door: the five modes (each its own studio), HD credits, and
 * linking a GitHub or Google account for signing in. */
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { PageHeader } from "../../shell/Shell";
import { assetsApi } from "./api";
import { CreditsPill, ErrorBox, MODE_LABELS, ModeSwitcher } from "./parts";
import "./assets.css";

export default function AssetsHome() {
  const modes = useQuery({ queryKey: ["assets", "modes"], queryFn: assetsApi.modes, staleTime: 300_000 });
  const credits = useQuery({ queryKey: ["assets", "credits"], queryFn: assetsApi.credits });
  const providers = useQuery({ queryKey: ["assets", "oauth"], queryFn: assetsApi.oauthProviders, staleTime: 300_000 });
  return (
    <div className="page as-page">
      <PageHeader
        title="Asset studio"
        subtitle="Five studios, one per kind of asset. Each keeps its own presets, workspaces and gallery."
        actions={<CreditsPill credits={credits.data} />}
      />
      <ModeSwitcher />
      <ErrorBox error={modes.error} />
      <section className="section" aria-labelledby="as-modes-h">
        <h2 id="as-modes-h">Choose a mode</h2>
        <ul className="as-mode-cards">
          {(modes.data ?? []).map((m) => (
            <li key={m.id} className={`card as-mode-card as-mode-${m.id}`}>
              <div className="card-head">
                <h3>
                  <span aria-hidden="true" className="as-glyph big">
                    {MODE_LABELS[m.id]?.glyph}
                  </span>{" "}
                  {m.name}
                </h3>
                <span className={"badge" + (m.status === "stable" ? " ok" : " warn")}>{m.status}</span>
              </div>
              <p>{m.description}</p>
              <p className="muted small">For {m.target_audience.toLowerCase()}.</p>
              <p className="small">
                <span className="muted">Presets:</span> {m.presets.map((p) => p.name).join(", ")}
              </p>
              <p className="small">
                <span className="muted">Exports:</span> {m.export_formats.join(", ")}
              </p>
              <Link className="btn primary" to={m.studio_path}>
                Open the {m.name} studio
              </Link>
            </li>
          ))}
        </ul>
      </section>
      <section className="section" aria-labelledby="as-plan-h">
        <h2 id="as-plan-h">Plan and sign-in</h2>
        <div className="grid wide">
          <div className="card">
            <h3>HD credits</h3>
            {credits.data ? (
              <dl className="kv">
                <dt>Plan</dt>
                <dd>{credits.data.plan}</dd>
                <dt>This month</dt>
                <dd>{credits.data.allocation_credits} credits</dd>
                <dt>Top-ups</dt>
                <dd>{credits.data.topup_credits} credits</dd>
                <dt>One HD image</dt>
                <dd>1 credit ({credits.data.hd_credit_usd})</dd>
                <dt>Workspaces</dt>
                <dd>up to {credits.data.max_workspaces}</dd>
              </dl>
            ) : (
              <ErrorBox error={credits.error} />
            )}
            <p className="muted small">Standard quality is free within your rate limit. On your own provider keys HD takes no credits.</p>
          </div>
          <div className="card">
            <h3>Linked sign-in</h3>
            {providers.data && providers.data.length > 0 ? (
              <div className="row">
                {providers.data.map((p) => (
                  <a key={p.name} className="btn" href={`${p.start}?next=/assets`}>
                    Link {p.label}
                  </a>
                ))}
              </div>
            ) : (
              <p className="muted">No GitHub or Google sign-in is configured on this server (REELFORGE_ASSETS_OAUTH).</p>
            )}
          </div>
        </div>
      </section>
    </div>
  );
}
