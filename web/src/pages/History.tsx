import { useInfiniteQuery } from "@tanstack/react-query";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { apiFetch } from "../api/client";
import { duration, formatDate, formatMicros, timeAgo } from "../lib/format";
import { PageHeader } from "../shell/Shell";
import { usePresets } from "./presets/queries";
import { StatusBadge } from "./runs/StatusBadge";
import type { RunList, RunSummary } from "./runs/types";
import "./runs.css";

const STATUSES = ["queued", "running", "succeeded", "failed", "canceled"];
const PAGE = 25;

function dayStart(date: string): string {
  return new Date(`${date}T00:00:00`).toISOString();
}
function dayAfter(date: string): string {
  const d = new Date(`${date}T00:00:00`);
  d.setDate(d.getDate() + 1);
  return d.toISOString();
}

export default function History() {
  const [search, setSearch] = useSearchParams();
  const navigate = useNavigate();
  const presets = usePresets();
  const names = new Map((presets.data?.presets ?? []).map((p) => [p.id, p.name]));
  const filters = {
    status: search.get("status") ?? "",
    preset: search.get("preset") ?? "",
    q: search.get("q") ?? "",
    from: search.get("from") ?? "",
    to: search.get("to") ?? "",
  };
  const setFilter = (name: keyof typeof filters, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    setSearch(next, { replace: true });
  };
  const query = useInfiniteQuery({
    queryKey: ["runs", filters],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const p = new URLSearchParams({ limit: String(PAGE) });
      if (pageParam) p.set("before", pageParam);
      if (filters.status) p.set("status", filters.status);
      if (filters.preset) p.set("preset", filters.preset);
      if (filters.q) p.set("q", filters.q);
      if (filters.from) p.set("created_after", dayStart(filters.from));
      if (filters.to) p.set("created_before", dayAfter(filters.to));
      return apiFetch<RunList>(`/v1/runs?${p}`);
    },
    getNextPageParam: (last) => last.next_before,
    refetchInterval: (q) => {
      const pages = q.state.data?.pages ?? [];
      return pages.some((pg) => pg.runs.some((r) => r.status === "queued" || r.status === "running" || r.status === "canceling")) ? 3000 : false;
    },
  });
  const runs: RunSummary[] = query.data?.pages.flatMap((p) => p.runs) ?? [];
  const filtered = Object.values(filters).some(Boolean);
  return (
    <div className="page history-page">
      <PageHeader title="History" subtitle="Every run you started, newest first: what ran, who served it, what it cost, and why it failed." />
      <form className="filters card filter-bar" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          <span>Status</span>
          <select value={filters.status} onChange={(e) => setFilter("status", e.target.value)}>
            <option value="">All statuses</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Preset</span>
          <select value={filters.preset} onChange={(e) => setFilter("preset", e.target.value)}>
            <option value="">All runs</option>
            {(presets.data?.presets ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field grow">
          <span>Search</span>
          <input key={filters.q} type="search" placeholder="Prompt, preset or model" defaultValue={filters.q} onKeyDown={(e) => e.key === "Enter" && setFilter("q", (e.target as HTMLInputElement).value.trim())} onBlur={(e) => setFilter("q", e.target.value.trim())} />
        </label>
        <label className="field">
          <span>From</span>
          <input type="date" value={filters.from} onChange={(e) => setFilter("from", e.target.value)} />
        </label>
        <label className="field">
          <span>To</span>
          <input type="date" value={filters.to} onChange={(e) => setFilter("to", e.target.value)} />
        </label>
        {filtered && (
          <button type="button" className="btn ghost small" onClick={() => setSearch(new URLSearchParams(), { replace: true })}>
            Clear filters
          </button>
        )}
      </form>
      {query.error && (
        <div className="alert error" role="alert">
          Could not load runs: {(query.error as Error).message}
        </div>
      )}
      {query.isLoading ? (
        <div className="table-wrap" aria-busy="true">
          <table>
            <caption className="sr-only">Loading runs</caption>
            <tbody>
              {Array.from({ length: 6 }, (_, i) => (
                <tr key={i} aria-hidden="true">
                  <td colSpan={6}>
                    <div className="skeleton-line" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : runs.length === 0 ? (
        <div className="empty">
          <p className="empty-title">{filtered ? "No run matches these filters." : "No runs yet."}</p>
          {!filtered && (
            <p>
              Start one from a <Link to="/presets">preset</Link> or the <Link to="/studio">canvas</Link>.
            </p>
          )}
        </div>
      ) : (
        <div className="table-wrap">
          <table className="runs-table">
            <caption className="sr-only">Runs</caption>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Run</th>
                <th scope="col">Engine</th>
                <th scope="col">Cost</th>
                <th scope="col">Started</th>
                <th scope="col">Took</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} className="clickable" onClick={() => navigate(`/history/${encodeURIComponent(r.id)}`)}>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>
                    <Link to={`/history/${encodeURIComponent(r.id)}`} className="run-title" onClick={(e) => e.stopPropagation()}>
                      {r.preset ? names.get(r.preset) ?? r.preset : "Pipeline run"}
                    </Link>
                    <div className="muted small mono">
                      {r.id}
                      {r.quality && ` · ${r.quality}`}
                    </div>
                    {r.error_code && <code className="error-code small">{r.error_code}</code>}
                  </td>
                  <td className="small">
                    {r.engine_used.length ? r.engine_used.map((e) => <div key={e.model} className="mono">{e.model}</div>) : <span className="muted">–</span>}
                  </td>
                  <td>{formatMicros(r.cost_micros ?? 0)}</td>
                  <td title={formatDate(r.created_at)}>{timeAgo(r.created_at)}</td>
                  <td>{duration(r.created_at, r.finished_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {query.hasNextPage && (
        <div className="load-more">
          <button type="button" className="btn" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
            {query.isFetchingNextPage ? "Loading…" : "Load older runs"}
          </button>
        </div>
      )}
      <p className="muted small count-line" role="status">
        {runs.length > 0 && `${runs.length} run${runs.length === 1 ? "" : "s"} shown`}
      </p>
    </div>
  );
}
