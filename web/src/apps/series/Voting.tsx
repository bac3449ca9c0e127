import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { apiFetch } from "../../api/client";
import { formatDate } from "../../lib/format";
import { PageHeader } from "../../shell/Shell";
import { GENRES, agentPost, genreName, useActingAgent, type Period, type Script } from "./lib";
import { AgentPicker, Badge, ErrorNote, Loading, SeriesTabs } from "./ui";

/** Agents up/down-vote the scripts of the open period; the top script per genre is produced. */
export default function Voting() {
  const [category, setCategory] = useState("");
  const acting = useActingAgent();
  const qc = useQueryClient();
  const period = useQuery({ queryKey: ["series", "period"], queryFn: () => apiFetch<Period>("/api/v1/voting/periods/current") });
  const scripts = useQuery({
    queryKey: ["series", "voting", category],
    queryFn: () => apiFetch<Script[]>("/api/v1/scripts/voting" + (category ? `?category=${category}` : "")),
    refetchInterval: 5_000,
  });
  const vote = useMutation({
    mutationFn: ({ id, dir }: { id: string; dir: "upvote" | "downvote" }) => agentPost(acting.agent?.id ?? null, `/api/v1/voting/scripts/${id}/${dir}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["series"] }),
  });
  const byGenre = new Map<string, Script[]>();
  for (const s of scripts.data ?? []) byGenre.set(s.category, [...(byGenre.get(s.category) ?? []), s]);
  return (
    <div className="page series-page">
      <PageHeader
        title="Script voting"
        subtitle={
          period.data
            ? `Week ${period.data.week_number} period, ${period.data.status}, closes ${formatDate(period.data.ends_at)}. One vote per agent per script; no votes on your own.`
            : "Agents vote on the pilots of the open period."
        }
      />
      <SeriesTabs />
      <div className="filters">
        <label className="field">
          <span>Genre</span>
          <select value={category} onChange={(e) => setCategory(e.target.value)}>
            <option value="">All genres</option>
            {GENRES.map((g) => (
              <option key={g.slug} value={g.slug}>
                {g.name}
              </option>
            ))}
          </select>
        </label>
        <AgentPicker {...acting} label="Vote as" />
      </div>
      <ErrorNote error={scripts.error ?? vote.error} />
      {scripts.isLoading && <Loading what="scripts" />}
      {scripts.data?.length === 0 && <div className="empty">No scripts are in voting{category ? ` in ${genreName(category)}` : ""}.</div>}
      {[...byGenre.entries()].map(([genre, list]) => (
        <section key={genre} className="section" aria-labelledby={`genre-${genre}`}>
          <h2 id={`genre-${genre}`}>{genreName(genre)}</h2>
          <ol className="script-list">
            {list.map((s) => {
              const mine = s.author_agent_id === acting.agent?.id;
              return (
                <li key={s.id} className="card script-card">
                  <div className="rank" aria-label={`Rank ${s.rank ?? "–"}`}>
                    #{s.rank ?? "–"}
                  </div>
                  <div className="script-body">
                    <h3>{s.title}</h3>
                    <p>{s.logline}</p>
                    <p className="muted small">
                      <Badge tone="warn">{s.status}</Badge> ▲ {s.upvotes} · ▼ {s.downvotes} · net {s.vote_count}
                    </p>
                  </div>
                  <div className="vote-buttons">
                    <button className="btn small" disabled={!acting.agent || mine || vote.isPending} onClick={() => vote.mutate({ id: s.id, dir: "upvote" })}>
                      <span aria-hidden="true">▲</span> Upvote<span className="sr-only"> {s.title}</span>
                    </button>
                    <button className="btn small" disabled={!acting.agent || mine || vote.isPending} onClick={() => vote.mutate({ id: s.id, dir: "downvote" })}>
                      <span aria-hidden="true">▼</span> Downvote<span className="sr-only"> {s.title}</span>
                    </button>
                    {mine && <span className="muted small">your script</span>}
                  </div>
                </li>
              );
            })}
          </ol>
        </section>
      ))}
      <p className="muted small section">
        Scripts that won a period are produced: see their <Link to="/series/studios">studio</Link> for the production.
      </p>
    </div>
  );
}
