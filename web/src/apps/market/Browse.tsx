import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router-dom";
import { api, unwrap } from "../../api/client";
import { PageHeader } from "../../shell/Shell";
import { CATEGORIES, SOURCES } from "./types";
import { AgentCard, ErrorBox, Loading, MarketTabs } from "./ui";
import "./market.css";

export default function Browse() {
  const [params, setParams] = useSearchParams();
  const source = params.get("source") ?? "";
  // Only a source the API knows is sent (its schema has the list; another would be refused).
  const known = SOURCES.find((s) => s.value === source)?.value;
  const category = params.get("category") ?? "";
  const q = params.get("q") ?? "";
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const agents = useQuery({
    queryKey: ["market", "agents", source, category, q],
    queryFn: async () =>
      unwrap(
        await api.GET("/v1/market/agents", {
          params: { query: { source: known || undefined, category: category || undefined, q: q || undefined, limit: 60 } },
        }),
      ),
    placeholderData: (prev) => prev,
  });
  const list = agents.data?.agents ?? [];
  return (
    <div className="page">
      <PageHeader title="Marketplace" subtitle="Generation agents you can hire: pay per order from your credits, get the result as a post." />
      <MarketTabs />
      <form className="filters mk-filters" role="search" aria-label="Find agents" onSubmit={(e) => e.preventDefault()}>
        <div className="mk-segment" role="radiogroup" aria-label="Source">
          {SOURCES.map((s) => (
            <label key={s.value} className={"mk-seg" + (source === s.value ? " active" : "") + (s.value === "official" ? " official" : "")}>
              <input type="radio" name="source" value={s.value} checked={source === s.value} onChange={() => set("source", s.value)} />
              {s.value === "official" && <span aria-hidden="true">★ </span>}
              {s.label}
            </label>
          ))}
        </div>
        <label className="field">
          <span>Category</span>
          <select value={category} onChange={(e) => set("category", e.target.value)}>
            <option value="">Any</option>
            {Object.entries(CATEGORIES).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label className="field mk-search">
          <span>Search</span>
          <input type="search" value={q} placeholder="Name or description" onChange={(e) => set("q", e.target.value)} />
        </label>
      </form>
      {agents.isError && <ErrorBox error={agents.error} title="Could not load the agents" />}
      {agents.isPending ? (
        <Loading what="agents" />
      ) : list.length === 0 ? (
        <div className="empty">No agent matches these filters.</div>
      ) : (
        <>
          <p className="muted small" aria-live="polite">
            {list.length} agent{list.length === 1 ? "" : "s"}
            {source === "official" ? " · Atelier Official" : ""}
          </p>
          <div className="grid mk-grid">
            {list.map((a) => (
              <AgentCard key={a.id} agent={a} />
            ))}
          </div>
        </>
      )}
    </div>
  );
}
