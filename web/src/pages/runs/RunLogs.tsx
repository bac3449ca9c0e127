/** A run's log (GET /v1/runs/{id}/logs, JSON lines, redacted), refreshed as events arrive. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError } from "../../api/client";
import { formatMicros } from "../../lib/format";

interface LogLine {
  ts: string;
  seq?: number;
  level: string;
  event: string;
  step_id?: string;
  node_id?: string;
  model?: string;
  provider?: string | null;
  data?: Record<string, unknown>;
}

function summary(line: LogLine): string {
  const d = line.data ?? {};
  const err = d.error as { code?: string; message?: string } | undefined;
  if (err) return `${err.code ?? ""} ${err.message ?? ""}`.trim();
  if (typeof d.progress === "number") return `${Math.round(d.progress * 100)}%${d.message ? ` · ${String(d.message)}` : ""}`;
  if (d.served_by) return `served by ${String(d.served_by)}`;
  if (d.reason) return String(d.reason);
  if (d.model && line.event.startsWith("step.")) return String(d.model);
  if (typeof d.cost_micros === "number") return `cost ${formatMicros(d.cost_micros)}`;
  return "";
}

export function RunLogs({ runId, version }: { runId: string; version: number }) {
  const [raw, setRaw] = useState(false);
  const q = useQuery({
    queryKey: ["run-logs", runId, version],
    queryFn: async () => {
      // NDJSON is not one JSON document: read it as text, a line at a time.
      const res = await fetch(`/v1/runs/${encodeURIComponent(runId)}/logs`, { credentials: "same-origin", headers: { Accept: "application/x-ndjson" } });
      if (!res.ok) throw await ApiError.fromResponse(res);
      return (await res.text())
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LogLine);
    },
    placeholderData: (prev) => prev,
  });
  const lines = q.data ?? [];
  return (
    <section className="section" aria-labelledby="logs-title">
      <div className="row">
        <h2 id="logs-title">Logs</h2>
        <span className="muted small">{lines.length} lines · secrets redacted</span>
        <span className="spacer" />
        <label className="check small">
          <input type="checkbox" checked={raw} onChange={(e) => setRaw(e.target.checked)} /> Raw JSON
        </label>
        <a className="btn small" href={`/v1/runs/${encodeURIComponent(runId)}/logs`} download={`${runId}.jsonl`}>
          Download log
        </a>
      </div>
      {q.isLoading ? (
        <div className="skeleton-line" />
      ) : raw ? (
        <pre className="log" tabIndex={0} aria-label="Raw log">
          {lines.map((l) => JSON.stringify(l)).join("\n")}
        </pre>
      ) : (
        <div className="table-wrap log-table" tabIndex={0} aria-label="Log lines">
          <table>
            <caption className="sr-only">Log lines</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Level</th>
                <th scope="col">Event</th>
                <th scope="col">Step</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {lines.map((l, i) => (
                <tr key={l.seq ?? i} className={`lvl-${l.level}`}>
                  <td className="mono small">{new Date(l.ts).toLocaleTimeString(undefined, { hour12: false })}</td>
                  <td>
                    <span className={`lvl ${l.level}`}>{l.level}</span>
                  </td>
                  <td className="mono small">{l.event}</td>
                  <td className="small">{l.node_id ?? "–"}</td>
                  <td className="small log-detail">{summary(l)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
