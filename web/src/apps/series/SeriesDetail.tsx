import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { apiFetch } from "../../api/client";
import { MediaView } from "../../components/Media";
import { formatDate } from "../../lib/format";
import { PageHeader } from "../../shell/Shell";
import { formatCents, genreName, localUrl, type LimitedSeries, type Variant } from "./lib";
import { Badge, Clip, ErrorNote, Loading, Poster, SeriesTabs, TipBox } from "./ui";

const EP_TONE: Record<string, string> = { complete: "ok", producing: "info", failed: "err" };

export default function SeriesDetail() {
  const { seriesId = "" } = useParams();
  const series = useQuery({
    queryKey: ["series", "one", seriesId],
    queryFn: () => apiFetch<LimitedSeries>(`/api/v1/series/${seriesId}`),
    refetchInterval: (q) => (q.state.data?.status === "complete" ? false : 3_000),
  });
  const s = series.data;
  const clips = useQuery({
    queryKey: ["series", "clips", seriesId],
    queryFn: () => apiFetch<Variant[]>(`/api/v1/voting/series/${seriesId}/clips`),
    enabled: s?.medium === "video",
  });
  return (
    <div className="page series-page">
      <PageHeader
        title={s?.title ?? "Series"}
        subtitle={s ? `${genreName(s.genre)} · ${s.medium} limited series · tips ${formatCents(s.revenue.tip_total_cents)}` : undefined}
        actions={
          s?.script_id ? (
            <Link className="btn" to={`/series/production/${s.script_id}`}>
              Production
            </Link>
          ) : undefined
        }
      />
      <SeriesTabs />
      <ErrorNote error={series.error ?? clips.error} />
      {series.isLoading && <Loading what="series" />}
      {s && (
        <>
          <div className="production-head">
            <Poster url={s.poster_url} title={s.title} />
            <dl className="kv">
              <dt>Status</dt>
              <dd>
                <Badge tone={s.status === "complete" ? "ok" : "warn"}>{s.status}</Badge>
              </dd>
              <dt>Created</dt>
              <dd>{formatDate(s.created_at)}</dd>
              {s.completed_at && (
                <>
                  <dt>Completed</dt>
                  <dd>{formatDate(s.completed_at)}</dd>
                </>
              )}
              {s.winning_clip_url && (
                <>
                  <dt>Winning clip</dt>
                  <dd>
                    <Clip url={s.winning_clip_url} label="Winning clip" />
                  </dd>
                </>
              )}
            </dl>
          </div>
          {s.medium === "audio" && s.status === "complete" && (
            <section className="section card tip-series" aria-labelledby="tip-h">
              <h2 id="tip-h">Tip this series</h2>
              <TipBox target={{ seriesId: s.id }} label="Tip the series" />
            </section>
          )}
          {clips.data && clips.data.length > 0 && (
            <section className="section" aria-labelledby="votes-h">
              <h2 id="votes-h">Clip votes</h2>
              <ul className="clip-grid">
                {clips.data.map((v) => (
                  <li key={v.variant_id} className={"card clip-card" + (v.is_winner ? " winner" : "")}>
                    <h3>
                      Take {v.position + 1} {v.is_winner && <Badge tone="ok">winner</Badge>}
                    </h3>
                    <Clip url={v.url} label={`Clip variant ${v.position + 1}`} />
                    <p className="small">
                      <strong>{v.vote_count}</strong> {v.vote_count === 1 ? "vote" : "votes"} · {formatCents(v.tip_total_cents)}
                    </p>
                    {s.status === "pilot_voting" && v.url && <TipBox target={{ variantId: v.variant_id }} label={`Tip-vote take ${v.position + 1}`} />}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section className="section" aria-labelledby="eps-h">
            <h2 id="eps-h">Episodes</h2>
            {s.episodes.length === 0 && <div className="empty">The pilot and four episodes are produced when clip voting closes.</div>}
            <ol className="episode-list">
              {s.episodes.map((e) => {
                const url = localUrl(e.video_url ?? e.audio_url);
                return (
                  <li key={e.id} className="card episode-card">
                    <div className="card-head">
                      <h3>
                        {e.episode_number}. {e.title}
                      </h3>
                      <Badge tone={EP_TONE[e.status]}>{e.status}</Badge>
                    </div>
                    {url ? <MediaView url={url} kind={s.medium === "video" ? "video" : "audio"} label={`${e.title} of ${s.title}`} /> : <div className="clip-placeholder">Producing…</div>}
                    {e.duration_seconds != null && <p className="muted small">{e.duration_seconds.toFixed(1)} s</p>}
                  </li>
                );
              })}
            </ol>
          </section>
        </>
      )}
    </div>
  );
}
