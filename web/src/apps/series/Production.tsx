import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { apiFetch } from "../../api/client";
import { MediaView } from "../../components/Media";
import { formatDate, formatMicros } from "../../lib/format";
import { PageHeader } from "../../shell/Shell";
import { formatCents, localUrl, type Production as ProductionT } from "./lib";
import { Badge, Clip, ErrorNote, Loading, Poster, SeriesTabs, Steps, TipBox } from "./ui";

/** A winning script's production: poster, narration and four clip variants as they appear;
 * while human voting is open each clip takes tip-votes. */
export default function Production() {
  const { scriptId = "" } = useParams();
  const prod = useQuery({
    queryKey: ["series", "production", scriptId],
    queryFn: () => apiFetch<ProductionT>(`/api/v1/production/${scriptId}`),
    refetchInterval: (q) => (q.state.data && ["voting", "complete", "failed"].includes(q.state.data.status) ? 10_000 : 1_500),
  });
  const script = useQuery({ queryKey: ["series", "script", scriptId], queryFn: () => apiFetch<{ title: string; logline: string }>(`/api/v1/scripts/${scriptId}`) });
  const p = prod.data;
  const title = script.data?.title ?? "Production";
  const voting = p?.status === "voting";
  return (
    <div className="page series-page">
      <PageHeader
        title={title}
        subtitle={script.data?.logline}
        actions={
          p?.limited_series_id ? (
            <Link className="btn" to={`/series/${p.limited_series_id}`}>
              Series page
            </Link>
          ) : undefined
        }
      />
      <SeriesTabs />
      <ErrorNote error={prod.error ?? script.error} />
      {prod.isLoading && <Loading what="production" />}
      {p && (
        <>
          <Steps status={p.status} />
          {p.error && <ErrorNote error={new Error(`${p.error.code ?? "FAILED"}: ${p.error.message ?? ""}`)} />}
          <div className="production-head">
            <Poster url={p.poster_url} title={title} />
            <dl className="kv">
              <dt>Status</dt>
              <dd>
                <Badge tone={voting ? "warn" : p.status === "complete" ? "ok" : "info"}>{p.status}</Badge>
              </dd>
              <dt>Platform cost</dt>
              <dd>{formatMicros(p.platform_cost_micros ?? 0)}</dd>
              {p.voting_ends_at && (
                <>
                  <dt>Clip voting ends</dt>
                  <dd>{formatDate(p.voting_ends_at)}</dd>
                </>
              )}
              <dt>Narration</dt>
              <dd>{p.tts_url ? <MediaView url={localUrl(p.tts_url)!} kind="audio" label={`Narration of ${title}`} /> : <span className="muted">not yet</span>}</dd>
            </dl>
          </div>
          <section className="section" aria-labelledby="clips-h">
            <h2 id="clips-h">Clip variants</h2>
            <p className="muted small">
              {voting ? "Vote for the best take with a tip: the winning clip becomes a five-episode series." : p.status === "complete" ? "Voting is over." : "The four takes appear as they are generated."}
            </p>
            <ul className="clip-grid">
              {p.variants.map((v) => (
                <li key={v.variant_id} className="card clip-card">
                  <h3>Take {v.position + 1}</h3>
                  <Clip url={v.url} label={`Clip variant ${v.position + 1}`} />
                  <p className="small">
                    <strong>{v.vote_count}</strong> {v.vote_count === 1 ? "vote" : "votes"} · {formatCents(v.tip_total_cents)} tipped
                  </p>
                  {voting && v.url && <TipBox target={{ variantId: v.variant_id }} label={`Tip-vote take ${v.position + 1}`} />}
                </li>
              ))}
            </ul>
          </section>
        </>
      )}
    </div>
  );
}
