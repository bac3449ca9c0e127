/** A run as it happens and as it ended: progress, steps, outputs, error, cost. */
import { Link } from "react-router-dom";
import { duration, formatMicros } from "../../lib/format";
import { ArtifactPreview } from "./ArtifactPreview";
import { runDetailsText } from "./copyDetails";
import { ErrorPanel } from "./ErrorPanel";
import { StatusBadge } from "./StatusBadge";
import { FINAL_STATUSES, type Run } from "./types";
import { runProgress } from "./useRun";

export function stepError(run: Run) {
  return run.error ?? run.steps.find((s) => s.error)?.error ?? null;
}

export function RunOutputs({ run }: { run: Run }) {
  if (!run.outputs.length) return null;
  return (
    <div className="run-outputs">
      {run.outputs.map((o, i) => (
        <ArtifactPreview key={o.artifact_id} id={o.artifact_id} label={`Result ${i + 1} (${o.node_id})`} />
      ))}
    </div>
  );
}

export function RunLive({ run, live, showLink = true }: { run: Run; live: Record<string, number | null>; showLink?: boolean }) {
  const done = FINAL_STATUSES.has(run.status);
  const pct = Math.round(runProgress(run, live) * 100);
  const error = stepError(run);
  const steps = run.steps.filter((s) => !s.implicit);
  return (
    <section className="card run-live" aria-labelledby="run-live-title">
      <div className="card-head">
        <h2 id="run-live-title">{done ? (run.status === "succeeded" ? "Result" : "Run ended") : "Generating…"}</h2>
        <StatusBadge status={run.status} />
      </div>
      {!done && (
        <div className="run-progress">
          <div className="progress" role="progressbar" aria-label="Run progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
            <div style={{ width: `${pct}%` }} />
          </div>
          <span className="small muted">{pct}%</span>
        </div>
      )}
      <ol className="step-list">
        {steps.map((s) => (
          <li key={s.id} className={`step-row ${s.status}`}>
            <StatusBadge status={s.status} />
            <span className="step-node">{s.node_id}</span>
            <span className="muted small mono">{s.served_by ?? s.model}</span>
            {s.status !== "succeeded" && !FINAL_STATUSES.has(s.status) && live[s.id] != null && <span className="small">{Math.round((live[s.id] ?? 0) * 100)}%</span>}
          </li>
        ))}
      </ol>
      {run.status === "failed" && error && <ErrorPanel error={error} details={() => runDetailsText(run)} />}
      <RunOutputs run={run} />
      <div className="row small muted run-facts">
        <span>
          Cost <strong>{formatMicros(run.cost_micros ?? 0)}</strong>
          {run.quote_micros != null && ` (quoted ${run.price_unknown ? "≥ " : ""}${formatMicros(run.quote_micros)})`}
        </span>
        {done && <span>· took {duration(run.created_at, run.finished_at)}</span>}
        <span className="spacer" />
        {showLink && <Link to={`/history/${encodeURIComponent(run.id)}`}>Run details</Link>}
      </div>
    </section>
  );
}
