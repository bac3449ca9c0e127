/** The healthcheck matrix (seed 001 §4.5): every engine, provider, tool and system check,
 * one row each, grouped, with status, balance, what was found and when. */
import { timeAgo } from "../../lib/format";
import { StatusBadge, formatBalance, type HealthMatrix as Matrix, type HealthRow } from "./common";

const GROUPS: { key: "engines" | "providers" | "tools" | "system"; label: string }[] = [
  { key: "engines", label: "Engines" },
  { key: "providers", label: "Providers" },
  { key: "tools", label: "Optional tools" },
  { key: "system", label: "System" },
];

function details(row: HealthRow): string {
  if (row.error) return (row.error_code ? `${row.error_code}: ` : "") + row.error;
  if (row.summary) return row.summary;
  const from = row.key_from as string | undefined;
  if (row.kind === "provider" && from) {
    return { sandbox: "sandbox emulator", stored: "your stored key", env: "environment key", none: "no key needed" }[from] ?? from;
  }
  if (row.remediation) return row.remediation;
  return "";
}

function Action({ row, onRetry }: { row: HealthRow; onRetry: () => void }) {
  const label = row.name ?? row.id;
  if (row.status === "error") {
    return (
      <button className="btn ghost small" onClick={onRetry} aria-label={`Check ${label} again`}>
        Retry
      </button>
    );
  }
  if (row.kind === "provider") {
    const own = row.key_from === "stored" || row.key_from === "env";
    return (
      <a className="small" href={`#card-${row.id}`} aria-label={`${own ? "Manage" : "Connect"} ${label}`}>
        {own ? "Manage" : "Connect"}
      </a>
    );
  }
  if (row.id === "comfyui") {
    return (
      <a className="small" href="#engines" aria-label="Manage ComfyUI">
        {row.status === "running" ? "Stop" : "Manage"}
      </a>
    );
  }
  return null;
}

export function HealthMatrix({ matrix, onRetry }: { matrix: Matrix; onRetry: () => void }) {
  return (
    <div className="table-wrap health-matrix">
      <table>
        <caption className="sr-only">Healthcheck matrix</caption>
        <thead>
          <tr>
            <th scope="col">Component</th>
            <th scope="col">Status</th>
            <th scope="col">Balance / credits</th>
            <th scope="col">Details</th>
            <th scope="col">Last check</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        {GROUPS.map(({ key, label }) =>
          matrix[key].length === 0 ? null : (
            <tbody key={key}>
              <tr className="group-row">
                <th scope="rowgroup" colSpan={6}>
                  {label} <span className="muted">({matrix[key].length})</span>
                </th>
              </tr>
              {matrix[key].map((row) => {
                const r = row as HealthRow;
                return (
                  <tr key={`${key}-${r.id}`}>
                    <th scope="row" className="component">
                      {r.name ?? r.id}
                    </th>
                    <td>
                      {r.kind === "provider" && r.key_from === "sandbox" && r.status === "connected" ? (
                        <StatusBadge tone="info" label="Sandbox" />
                      ) : (
                        <StatusBadge status={r.status} />
                      )}
                    </td>
                    <td>{formatBalance(r.balance, "–")}</td>
                    <td className="health-detail">
                      {details(r)}
                      {r.remediation && r.status !== "ok" && r.status !== "connected" && details(r) !== r.remediation && (
                        <div className="small muted">{r.remediation}</div>
                      )}
                    </td>
                    <td className="nowrap" title={r.last_check}>
                      {timeAgo(r.last_check)}
                      <div className="small muted">{Math.round(r.elapsed_ms)} ms</div>
                    </td>
                    <td>
                      <Action row={r} onRetry={onRetry} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          ),
        )}
      </table>
    </div>
  );
}

export function HealthSummary({ matrix }: { matrix: Matrix }) {
  const entries = Object.entries(matrix.summary).sort((a, b) => b[1] - a[1]);
  return (
    <div className="row health-summary" aria-label="Summary">
      {entries.map(([status, n]) => (
        <StatusBadge key={status} status={status} label={`${n} ${status.replace(/_/g, " ")}`} />
      ))}
      {matrix.checked_at && (
        <span className="small muted">
          checked {timeAgo(matrix.checked_at)}
          {matrix.elapsed_ms != null ? ` in ${Math.round(matrix.elapsed_ms)} ms` : ""}
          {matrix.cached ? " (cached)" : ""}
        </span>
      )}
    </div>
  );
}
