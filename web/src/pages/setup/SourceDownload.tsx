/** The "On disk" cell of a model source: its state, a Download button (owner/admin), the
 * progress while it runs (polled), and the error with its code when it fails. A file
 * without a checksum is only fetched after an explicit "download unverified". */
import { useEffect, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, apiFetch, jsonBody } from "../../api/client";
import { StatusBadge } from "./common";

interface Job {
  status: string;
  percent: number | null;
  done_bytes: number;
  error: { code?: string; message?: string } | null;
}

function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(bytes < 10_000_000 ? 1 : 0)} MB`;
}

export function SourceDownload({ id, name, status, hasChecksum, canDownload }: { id: string; name: string; status: string; hasChecksum: boolean; canDownload: boolean }) {
  const qc = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [started, setStarted] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const path = `/v1/sources/${encodeURIComponent(id)}/download`;
  const job = useQuery({
    queryKey: ["setup", "source-job", id],
    queryFn: () => apiFetch<Job>(path),
    enabled: started,
    refetchInterval: (q) => ((q.state.data as Job | undefined)?.status === "running" || !q.state.data ? 1000 : false),
  });
  const j = job.data;

  const start = async () => {
    setConfirming(false);
    setError(null);
    try {
      await apiFetch<Job>(path, jsonBody({ acknowledge_missing_checksum: !hasChecksum }));
      setStarted(true);
      void qc.invalidateQueries({ queryKey: ["setup", "source-job", id] });
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, "ERROR", String(e)));
    }
  };

  const finished = j?.status === "succeeded";
  useEffect(() => {
    if (finished) void qc.invalidateQueries({ queryKey: ["setup", "sources"] });
  }, [finished, qc]);
  if (status === "installed" || j?.status === "succeeded") return <StatusBadge tone="ok" label="Installed" />;
  if (started && j?.status === "running") {
    return (
      <div className="dl-progress" role="status" aria-label={`Downloading ${name}`}>
        <div className="progress">
          <div style={{ width: `${j.percent ?? 5}%` }} />
        </div>
        <span className="small muted">{j.percent != null ? `${j.percent}%` : mb(j.done_bytes)}</span>
      </div>
    );
  }
  const failure = error ?? (j?.status === "failed" || j?.status === "canceled" ? j.error : null);
  return (
    <div className="dl-cell">
      <div className="row">
        <StatusBadge status={status} />
        {canDownload && !confirming && (
          <button className="btn ghost small" onClick={() => (hasChecksum ? void start() : setConfirming(true))} aria-label={`Download ${name}`}>
            {failure ? "Retry" : "Download"}
          </button>
        )}
      </div>
      {confirming && (
        <div className="dl-confirm">
          <span className="small">No checksum: the file cannot be verified.</span>
          <div className="row">
            <button className="btn small danger" onClick={() => void start()}>
              Download unverified
            </button>
            <button className="btn ghost small" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {failure && (
        <p className="small dl-error" role="alert">
          <code className="err-code">{failure.code ?? "ERROR"}</code> {failure.message}
        </p>
      )}
    </div>
  );
}
