import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { apiFetch } from "../api/client";
import { duration, formatDate, formatMicros } from "../lib/format";
import { PageHeader } from "../shell/Shell";
import { usePresets } from "./presets/queries";
import { runDetailsText } from "./runs/copyDetails";
import { ErrorPanel } from "./runs/ErrorPanel";
import { RunLogs } from "./runs/RunLogs";
import { RunOutputs, stepError } from "./runs/RunLive";
import { StatusBadge } from "./runs/StatusBadge";
import { FINAL_STATUSES, type Run, type RunStep } from "./runs/types";
import { runPath, runProgress, useRun } from "./runs/useRun";
import "./runs.css";

function Route({ step }: { step: RunStep }) {
  const route = step.route;
  const attempts = route?.attempts ?? [];
  const served = step.served_by ?? route?.served_by;
  return (
    <div className="route">
      <div className="mono small">
        {served ?? step.model}
        {step.provider && <span className="muted"> via {step.provider}</span>}
      </div>
      {route?.fell_back && <span className="badge warn">fell back</span>}
      {(attempts.length > 0 || (route?.options?.length ?? 0) > 1) && (
        <details className="small">
          <summary>Route ({route?.options?.length ?? 1} option{(route?.options?.length ?? 1) === 1 ? "" : "s"})</summary>
          {route?.options && (
            <ol className="route-options">
              {route.options.map((o) => (
                <li key={o} className={o === served ? "served" : ""}>
                  <span className="mono">{o}</span>
                  {o === served && <span className="badge ok">served</span>}
                </li>
              ))}
            </ol>
          )}
          {attempts.map((a, i) => (
            <div key={i} className="muted">
              #{a.attempt} {a.model}: {a.event}
              {a.code && ` · ${a.code}`}
              {a.reason && ` · ${a.reason}`}
            </div>
          ))}
        </details>
      )}
    </div>
  );
}

function Steps({ run, live }: { run: Run; live: Record<string, number | null> }) {
  return (
    <section className="section" aria-labelledby="steps-title">
      <h2 id="steps-title">Steps</h2>
      <div className="table-wrap">
        <table className="steps-table">
          <caption className="sr-only">Steps of the run</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Status</th>
              <th scope="col">Route (provider / model)</th>
              <th scope="col">Attempts</th>
              <th scope="col">Quote</th>
              <th scope="col">Cost</th>
            </tr>
          </thead>
          <tbody>
            {run.steps.map((s) => (
              <tr key={s.id} className={s.implicit ? "implicit" : ""}>
                <td>
                  <strong>{s.node_id}</strong>
                  <div className="muted small">
                    {s.mode ?? ""}
                    {s.implicit && " · added by ReelForge"}
                  </div>
                </td>
                <td>
                  <StatusBadge status={s.status} />
                  {live[s.id] != null && !FINAL_STATUSES.has(s.status) && <div className="small">{Math.round((live[s.id] ?? 0) * 100)}%</div>}
                  {s.error && <div className="error-code small">{s.error.code}</div>}
                </td>
                <td>
                  <Route step={s} />
                </td>
                <td>{s.attempts}</td>
                <td>{s.quote_micros == null ? "unknown" : formatMicros(s.quote_micros)}</td>
                <td>{s.cost_micros == null ? "–" : formatMicros(s.cost_micros)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export default function RunDetail() {
  const { runId } = useParams();
  const live = useRun(runId);
  const qc = useQueryClient();
  const presets = usePresets();
  const cancel = useMutation({
    mutationFn: () => apiFetch<Run>(`${runPath(runId!)}/cancel`, { method: "POST" }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["run", runId] }),
  });
  const run = live.run;
  if (live.isLoading) return <div className="page-loading" role="status">Loading run…</div>;
  if (!run) {
    return (
      <div className="page">
        <PageHeader title="Run not found" />
        <div className="alert error" role="alert">
          {(live.error as Error | null)?.message ?? "No such run."} <Link to="/history">Back to History</Link>
        </div>
      </div>
    );
  }
  const presetName = run.preset ? presets.data?.presets.find((p) => p.id === run.preset)?.name ?? run.preset : null;
  const done = FINAL_STATUSES.has(run.status);
  const error = stepError(run);
  const pct = Math.round(runProgress(run, live.progress) * 100);
  return (
    <div className="page run-detail">
      <nav aria-label="Breadcrumb" className="crumbs small">
        <Link to="/history">History</Link> <span aria-hidden="true">›</span> <span aria-current="page" className="mono">{run.id}</span>
      </nav>
      <PageHeader
        title={presetName ?? "Pipeline run"}
        subtitle={
          <span className="row">
            <StatusBadge status={run.status} /> <span className="mono">{run.id}</span>
            {run.sandbox && <span className="badge info">sandbox</span>}
          </span>
        }
        actions={
          <>
            {!done && (
              <button type="button" className="btn danger" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
                Cancel run
              </button>
            )}
            {run.status === "failed" && run.preset !== "repair_pipeline_v1" && (
              <Link className="btn" to={`/presets/repair_pipeline_v1?failed_job_id=${encodeURIComponent(run.id)}`}>
                Repair with safer settings
              </Link>
            )}
            {run.preset && (
              <Link className="btn" to={`/presets/${encodeURIComponent(run.preset)}`}>
                Open preset
              </Link>
            )}
            <Link className="btn primary" to={`/studio?run=${encodeURIComponent(run.id)}`}>
              Open on canvas
            </Link>
          </>
        }
      />
      {!done && (
        <div className="run-progress card">
          <div className="progress" role="progressbar" aria-label="Run progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
            <div style={{ width: `${pct}%` }} />
          </div>
          <span className="small muted">{pct}% · live</span>
        </div>
      )}
      <dl className="stat-cards">
        <div className="stat">
          <dt>Cost</dt>
          <dd>{formatMicros(run.cost_micros ?? 0)}</dd>
          <dd className="muted small">
            quoted {run.price_unknown ? "≥ " : ""}
            {formatMicros(run.quote_micros ?? 0)}
          </dd>
        </div>
        <div className="stat">
          <dt>Duration</dt>
          <dd>{duration(run.created_at, run.finished_at)}</dd>
          <dd className="muted small">{formatDate(run.created_at)}</dd>
        </div>
        <div className="stat">
          <dt>Engine</dt>
          <dd className="mono small-dd">{run.engine_used.map((e) => e.model).join(", ") || "–"}</dd>
          <dd className="muted small">{[...new Set(run.engine_used.map((e) => e.provider).filter(Boolean))].join(", ") || "–"}</dd>
        </div>
        <div className="stat">
          <dt>Quality</dt>
          <dd>{run.quality ?? "–"}</dd>
          <dd className="muted small">{run.consent_given ? "consent given" : run.preset ? "no identity consent" : "pipeline"}</dd>
        </div>
      </dl>
      {error && run.status !== "succeeded" && (
        <div className="section">
          <ErrorPanel error={error} details={() => runDetailsText(run)} />
        </div>
      )}
      {run.outputs.length > 0 && (
        <section className="section" aria-labelledby="outputs-title">
          <h2 id="outputs-title">Outputs</h2>
          <RunOutputs run={run} />
          <p className="small">
            <Link to={`/gallery?run=${encodeURIComponent(run.id)}`}>See this run in the Gallery</Link>
          </p>
        </section>
      )}
      <Steps run={run} live={live.progress} />
      {run.inputs && Object.keys(run.inputs).length > 0 && (
        <section className="section" aria-labelledby="inputs-title">
          <h2 id="inputs-title">Inputs</h2>
          <dl className="kv card">
            {Object.entries(run.inputs).map(([k, v]) => (
              <div key={k} className="kv-row">
                <dt>{k}</dt>
                <dd className="mono small">{typeof v === "string" ? v : JSON.stringify(v)}</dd>
              </div>
            ))}
          </dl>
        </section>
      )}
      <RunLogs runId={run.id} version={live.events.length + (done ? 1000 : 0)} />
    </div>
  );
}
