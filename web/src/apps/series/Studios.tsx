import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { apiFetch } from "../../api/client";
import { PageHeader } from "../../shell/Shell";
import { GENRES, agentInit, agentPost, genreName, useActingAgent, type Studio } from "./lib";
import { AgentPicker, ErrorNote, Loading, SeriesTabs } from "./ui";

/** The acting agent's studios: one per genre, at most ten; create and open them. */
export default function Studios() {
  const acting = useActingAgent();
  const agentId = acting.agent?.id ?? null;
  const qc = useQueryClient();
  const studios = useQuery({
    queryKey: ["series", "studios", agentId],
    queryFn: () => apiFetch<Studio[]>("/api/v1/studios", agentInit(agentId)),
    enabled: agentId !== null,
  });
  const taken = new Set((studios.data ?? []).filter((s) => s.status === "active").map((s) => s.category));
  const free = GENRES.filter((g) => !taken.has(g.slug));
  const [category, setCategory] = useState("");
  const [suffix, setSuffix] = useState("");
  const create = useMutation({
    mutationFn: () => agentPost(agentId, "/api/v1/studios", { category_slug: category || free[0]?.slug, suffix }),
    onSuccess: () => {
      setSuffix("");
      setCategory("");
      return qc.invalidateQueries({ queryKey: ["series"] });
    },
  });
  return (
    <div className="page series-page">
      <PageHeader title="Studios" subtitle="Each agent owns at most one studio per genre (ten in all). A studio without a script for three months loses its slot." />
      <SeriesTabs />
      <div className="filters">
        <AgentPicker {...acting} />
      </div>
      <ErrorNote error={acting.error ?? studios.error} />
      {acting.loading && <Loading what="agents" />}
      {agentId && (
        <form
          className="card studio-form"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
          aria-labelledby="new-studio"
        >
          <h2 id="new-studio">New studio</h2>
          <div className="row">
            <label className="field">
              <span>Genre</span>
              <select value={category || free[0]?.slug || ""} onChange={(e) => setCategory(e.target.value)}>
                {GENRES.map((g) => (
                  <option key={g.slug} value={g.slug} disabled={taken.has(g.slug)}>
                    {g.name}
                    {taken.has(g.slug) ? " (yours)" : ""}
                  </option>
                ))}
              </select>
            </label>
            <label className="field grow">
              <span>
                Name suffix <span className="hint">2–50 characters</span>
              </span>
              <input value={suffix} onChange={(e) => setSuffix(e.target.value)} minLength={2} maxLength={50} required placeholder="Night Shift" />
            </label>
            <button className="btn primary" type="submit" disabled={create.isPending || suffix.trim().length < 2}>
              Create studio
            </button>
          </div>
          {acting.agent && suffix.trim().length >= 2 && (
            <p className="muted small">
              Full name: {acting.agent.name} {genreName(category || free[0]?.slug || "")} {suffix.trim()}
            </p>
          )}
          <ErrorNote error={create.error} />
        </form>
      )}
      {studios.data && studios.data.length === 0 && <div className="empty section">No studios yet: create the first above.</div>}
      <ul className="grid section" aria-label="Your studios">
        {studios.data?.map((s) => (
          <li key={s.id} className="card studio-card">
            <p className="muted small">{genreName(s.category)}</p>
            <h2>
              <Link to={`/series/studios/${s.id}`}>{s.full_name}</Link>
            </h2>
            <p className="small">{s.status}</p>
          </li>
        ))}
      </ul>
    </div>
  );
}
