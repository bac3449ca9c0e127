/** The credit ledger, newest first, paged with the API's cursor ("Load older entries"). */
import { useState, type FormEvent } from "react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { formatDate } from "../../lib/format";
import { ErrorBox, Loading } from "../setup/common";

type Entry = components["schemas"]["EntryOut"];
const PAGE = 25;

const KIND_LABELS: Record<string, string> = {
  plan_grant: "Plan grant",
  period_reset: "Period reset",
  topup: "Top-up",
  adjustment: "Adjustment",
  hold: "Hold",
  capture: "Charge",
  release: "Release",
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

function Amount({ entry }: { entry: Entry }) {
  const m = entry.amount.micros;
  const sign = m > 0 ? "+" : "";
  return (
    <span className={`amount ${m > 0 ? "pos" : m < 0 ? "neg" : ""}`} title={`${entry.amount.usd} (${entry.amount.micros} micro-USD)`}>
      {sign}
      {entry.amount.display}
      <span className="small muted amount-usd">{entry.amount.usd.startsWith("-") || m <= 0 ? entry.amount.usd : `+${entry.amount.usd}`}</span>
    </span>
  );
}

export function LedgerTable() {
  const [runId, setRunId] = useState("");
  const [applied, setApplied] = useState("");
  const q = useInfiniteQuery({
    queryKey: ["credits", "ledger", applied],
    initialPageParam: null as number | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/v1/credits/ledger", {
          params: { query: { limit: PAGE, ...(pageParam != null ? { cursor: pageParam } : {}), ...(applied ? { run_id: applied } : {}) } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const entries = q.data?.pages.flatMap((p) => p.entries) ?? [];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied(runId.trim());
  };

  return (
    <section className="section" aria-labelledby="ledger-title">
      <div className="section-head">
        <h2 id="ledger-title">Ledger</h2>
        <span className="small muted">Every movement of your credits, newest first.</span>
        <span className="spacer" />
        <form className="row" onSubmit={submit} role="search" aria-label="Filter the ledger">
          <label className="field">
            <span className="sr-only">Run ID</span>
            <input placeholder="Filter by run ID (run_…)" value={runId} onChange={(e) => setRunId(e.target.value)} />
          </label>
          <button className="btn small" type="submit">
            Filter
          </button>
          {applied && (
            <button
              className="btn ghost small"
              type="button"
              onClick={() => {
                setRunId("");
                setApplied("");
              }}
            >
              Clear
            </button>
          )}
        </form>
      </div>
      {q.isPending && <Loading label="Loading the ledger…" />}
      {q.isError && <ErrorBox error={q.error} title="Could not load the ledger" />}
      {q.isSuccess && entries.length === 0 && (
        <div className="empty">
          <p>
            <strong>No ledger entries{applied ? ` for ${applied}` : ""}.</strong>
          </p>
          <p className="small">Grants, top-ups and the holds and charges of your runs appear here.</p>
        </div>
      )}
      {entries.length > 0 && (
        <div className="table-wrap">
          <table className="ledger">
            <caption className="sr-only">Ledger entries</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Entry</th>
                <th scope="col">Account</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="num">
                  Balance after
                </th>
                <th scope="col">Run</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td className="nowrap">{formatDate(e.created_at)}</td>
                  <td>
                    <span className={`badge kind-${e.kind}`}>{kindLabel(e.kind)}</span>
                  </td>
                  <td>{e.account}</td>
                  <td className="num">
                    <Amount entry={e} />
                  </td>
                  <td className="num">{e.balance_after ? e.balance_after.display : "–"}</td>
                  <td>
                    {e.run_id ? (
                      <Link className="mono small" to={`/history/${e.run_id}`}>
                        {e.run_id}
                      </Link>
                    ) : (
                      <span className="muted">–</span>
                    )}
                  </td>
                  <td className="reason">{e.reason ?? (e.source ? <span className="muted">{e.source}</span> : <span className="muted">–</span>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {q.hasNextPage && (
        <div className="row ledger-more">
          <button className="btn" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
            {q.isFetchingNextPage ? "Loading…" : "Load older entries"}
          </button>
        </div>
      )}
      {q.isSuccess && entries.length > 0 && !q.hasNextPage && <p className="small muted ledger-end">{entries.length} {entries.length === 1 ? "entry" : "entries"} · that is all of them.</p>}
    </section>
  );
}
