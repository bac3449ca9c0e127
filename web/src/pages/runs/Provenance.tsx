/** Where an artifact came from (GET /v1/artifacts/{id}/provenance): its content
 * credentials as they validate now, and its lineage back to uploads and first generations. */
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { apiFetch } from "../../api/client";
import { formatMicros } from "../../lib/format";

interface LineageArtifact {
  id: string;
  media_type: string;
  name: string;
  source: string;
  model: string | null;
  provider: string | null;
  mode: string | null;
  prompt: string | null;
  cost_micros: number | null;
  run_id: string | null;
  parents: string[];
  created_at: string;
}

interface Graph {
  artifact_id: string;
  artifacts: LineageArtifact[];
  runs: { id: string; status: string; preset: string | null; cost_micros: number | null }[];
  models: string[];
  cost_micros: number | null;
  truncated: boolean;
  manifest: { state: string | null; signer?: string; title?: string; embedded?: boolean; actions?: { action: string; description?: string }[] } | null;
}

export function Provenance({ id }: { id: string }) {
  const q = useQuery({ queryKey: ["provenance", id], queryFn: () => apiFetch<Graph>(`/v1/artifacts/${encodeURIComponent(id)}/provenance`), staleTime: 60_000 });
  if (q.isLoading)
    return (
      <p className="muted" role="status">
        <span className="spinner" aria-hidden="true" /> Reading provenance…
      </p>
    );
  if (q.error || !q.data)
    return (
      <div className="alert error" role="alert">
        Could not read the provenance: {(q.error as Error | null)?.message}
      </div>
    );
  const g = q.data;
  const state = g.manifest?.state ?? null;
  const tone = state === "Trusted" || state === "Valid" ? "ok" : state === "Invalid" ? "err" : "";
  return (
    <div className="provenance">
      <div className="row">
        <h3>Content credentials</h3>
        <span className={`badge ${tone}`}>{state ?? "none"}</span>
      </div>
      {g.manifest ? (
        <dl className="kv small">
          {g.manifest.signer && (
            <>
              <dt>Signer</dt>
              <dd>{g.manifest.signer}</dd>
            </>
          )}
          <dt>Stored</dt>
          <dd>{g.manifest.embedded ? "embedded in the file" : "beside the file (sidecar)"}</dd>
          {g.manifest.actions?.map((a, i) => (
            <div key={i} className="kv-row">
              <dt>{a.action}</dt>
              <dd>{a.description ?? ""}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="muted small">This file carries no C2PA manifest.</p>
      )}
      <div className="row">
        <h3>Lineage</h3>
        <span className="muted small">
          {g.artifacts.length} artifact{g.artifacts.length === 1 ? "" : "s"} · {g.runs.length} run{g.runs.length === 1 ? "" : "s"} · total {formatMicros(g.cost_micros ?? 0)}
          {g.truncated && " · truncated"}
        </span>
      </div>
      <ol className="lineage">
        {g.artifacts.map((a) => (
          <li key={a.id} className={a.id === g.artifact_id ? "self" : ""}>
            <div className="row">
              <span className={`kind-chip ${a.media_type}`}>{a.media_type}</span>
              <span className="mono small">{a.id}</span>
              <span className="badge">{a.source}</span>
            </div>
            <div className="small">
              {a.model && (
                <>
                  <span className="mono">{a.model}</span>
                  {a.mode && <span className="muted"> · {a.mode}</span>}
                </>
              )}
              {a.run_id && (
                <>
                  {" "}
                  · <Link to={`/history/${encodeURIComponent(a.run_id)}`}>run</Link>
                </>
              )}
              {a.parents.length > 0 && <span className="muted"> · from {a.parents.join(", ")}</span>}
            </div>
            {a.prompt && <p className="muted small prompt-line">“{a.prompt}”</p>}
          </li>
        ))}
      </ol>
    </div>
  );
}
