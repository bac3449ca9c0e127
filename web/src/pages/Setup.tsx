/** The setup hub (seed 001 §4): connect providers, local engines, model sources, the
 * healthcheck matrix, Export Diagnostics and the ethics & safety checklist. */
import { useMemo, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, apiFetch, unwrap } from "../api/client";
import { PageHeader } from "../shell/Shell";
import { useSession } from "../shell/session";
import { ErrorBox, Loading, type HealthRow } from "./setup/common";
import { ProviderCard, type ProviderInfo } from "./setup/ProviderCard";
import { ComfyCard, LocalEngineCard } from "./setup/EngineCard";
import { HealthMatrix, HealthSummary } from "./setup/HealthMatrix";
import { SourceForm, SourceList } from "./setup/SourceForm";
import { SafetyChecklist } from "./setup/SafetyChecklist";
import { downloadDiagnostics } from "./setup/diagnostics";
import "./setup.css";

const SECTIONS = [
  ["providers", "Providers"],
  ["engines", "Local engines"],
  ["sources", "Model sources"],
  ["health", "Healthcheck"],
  ["safety", "Ethics & safety"],
] as const;

export default function Setup() {
  const qc = useQueryClient();
  const { session } = useSession();
  const role = session.user?.role;
  const isAdmin = role === undefined || role === "owner" || role === "admin";
  const [filter, setFilter] = useState("");

  const health = useQuery({
    queryKey: ["setup", "health"],
    queryFn: async () => unwrap(await api.GET("/v1/setup/healthcheck", { params: { query: { fresh: true } } })),
  });
  const providers = useQuery({
    queryKey: ["setup", "providers"],
    queryFn: () => apiFetch<{ providers: ProviderInfo[]; sandbox_mode: boolean }>("/v1/providers"),
  });
  const diagnostics = useMutation({ mutationFn: downloadDiagnostics });

  const rows = useMemo(() => {
    const byId = new Map<string, HealthRow>();
    for (const r of health.data?.providers ?? []) byId.set(r.id, r as HealthRow);
    return byId;
  }, [health.data]);
  const engineRow = (id: string) => health.data?.engines.find((r) => r.id === id) as HealthRow | undefined;

  // ComfyUI is an engine (its card is below); providers without credentials need no card.
  const cards = (providers.data?.providers ?? []).filter((p) => p.name !== "comfyui" && p.credential_fields.length > 0);
  const shown = cards.filter((p) => (p.display_name + " " + p.name).toLowerCase().includes(filter.trim().toLowerCase()));
  const connected = cards.filter((p) => {
    const r = rows.get(p.name);
    return r?.status === "connected" && r.key_from !== "sandbox";
  }).length;

  const problems = health.data
    ? [...health.data.engines, ...health.data.providers, ...health.data.tools, ...health.data.system].filter((r) => r.status === "error" || r.status === "warning").length
    : 0;

  return (
    <div className="page setup-page">
      <PageHeader
        title="Setup"
        subtitle="Connect providers, run local engines, add model sources and check that everything answers."
        actions={
          <>
            <button className="btn" onClick={() => void qc.invalidateQueries({ queryKey: ["setup"] })} disabled={health.isFetching}>
              {health.isFetching ? <span className="spinner" aria-hidden="true" /> : null}
              Re-run checks
            </button>
            <button className="btn primary" onClick={() => diagnostics.mutate()} disabled={!isAdmin || diagnostics.isPending}>
              {diagnostics.isPending ? "Exporting…" : "Export diagnostics"}
            </button>
          </>
        }
      />
      <div aria-live="polite">
        {diagnostics.isSuccess && (
          <p className="alert ok" role="status">
            Saved <span className="mono">{diagnostics.data}</span>: system, engines and providers with every secret redacted. Attach it to a bug report.
          </p>
        )}
        {diagnostics.isError && <ErrorBox error={diagnostics.error} title="Diagnostics export failed" />}
      </div>
      {providers.data?.sandbox_mode && (
        <p className="alert sandbox-banner">
          <strong>Sandbox mode is on.</strong> Providers without your key are served by built-in emulators: no real calls, no cost. A key you connect goes live.
        </p>
      )}
      {!isAdmin && <p className="alert warn">Connecting providers, engine control and diagnostics need the owner or an admin; you can still see their status.</p>}

      {health.data && (
        <div className="setup-overview">
          <div className="overview-tile">
            <span className="overview-num">
              {connected}
              <span className="muted"> / {cards.length}</span>
            </span>
            <span className="small muted">providers on your own keys</span>
          </div>
          <div className="overview-tile">
            <span className="overview-num">
              {health.data.engines.filter((r) => r.status === "running").length}
              <span className="muted"> / {health.data.engines.length}</span>
            </span>
            <span className="small muted">local engines running</span>
          </div>
          <div className={`overview-tile ${problems > 0 ? "bad" : "good"}`}>
            <span className="overview-num">{problems}</span>
            <span className="small muted">{problems === 1 ? "check needs" : "checks need"} attention</span>
          </div>
        </div>
      )}

      <nav className="setup-toc" aria-label="Setup sections">
        {SECTIONS.map(([id, label]) => (
          <a key={id} href={`#${id}`}>
            {label}
          </a>
        ))}
      </nav>

      <section className="section" id="providers" aria-labelledby="providers-title">
        <div className="section-head">
          <h2 id="providers-title">Connect providers</h2>
          <span className="small muted">{providers.data ? `${connected} of ${cards.length} on your own key` : ""}</span>
          <span className="spacer" />
          <label className="field filter-field">
            <span className="sr-only">Filter providers</span>
            <input type="search" placeholder="Filter providers…" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </label>
        </div>
        {providers.isPending && <Loading label="Loading providers…" />}
        {providers.isError && <ErrorBox error={providers.error} title="Could not list providers" />}
        {providers.data && shown.length === 0 && <p className="empty">No provider matches “{filter}”.</p>}
        <div className="grid wide provider-grid">
          {shown.map((p) => (
            <ProviderCard key={p.name} provider={p} row={rows.get(p.name)} canConnect={isAdmin} />
          ))}
        </div>
      </section>

      <section className="section" id="engines" aria-labelledby="engines-title">
        <h2 id="engines-title">Local engines</h2>
        <div className="grid engines-grid">
          <ComfyCard row={engineRow("comfyui")} canControl={isAdmin} />
          <LocalEngineCard row={engineRow("local")} />
        </div>
      </section>

      <section className="section" id="sources" aria-labelledby="sources-title">
        <h2 id="sources-title">Model sources</h2>
        <div className="sources-layout">
          <SourceForm />
          <SourceList canDownload={isAdmin} />
        </div>
      </section>

      <section className="section" id="health" aria-labelledby="health-title">
        <h2 id="health-title">Healthcheck matrix</h2>
        {health.isPending && <Loading label="Probing engines, providers and tools…" />}
        {health.isError && <ErrorBox error={health.error} title="The healthcheck failed" />}
        {health.data && (
          <>
            <HealthSummary matrix={health.data} />
            <HealthMatrix matrix={health.data} onRetry={() => void health.refetch()} />
          </>
        )}
      </section>

      <section className="section" id="safety" aria-labelledby="safety-title">
        <h2 id="safety-title">Ethics &amp; safety</h2>
        <SafetyChecklist />
      </section>
    </div>
  );
}
