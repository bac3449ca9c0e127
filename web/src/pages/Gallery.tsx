import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { apiFetch } from "../api/client";
import { MediaView } from "../components/Media";
import { formatDate, timeAgo } from "../lib/format";
import { Icon } from "../shell/icons";
import { PageHeader } from "../shell/Shell";
import { CategoryIcon } from "./presets/CategoryIcon";
import { Provenance } from "./runs/Provenance";
import type { Artifact } from "./runs/types";
import "./runs.css";
import "./gallery.css";

const KINDS = [
  { value: "", label: "All" },
  { value: "image", label: "Images" },
  { value: "video", label: "Videos" },
  { value: "audio", label: "Audio" },
];
const PAGE = 48;

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function title(a: Artifact): string {
  const model = a.provenance?.model;
  return a.name || (typeof model === "string" ? model : a.id);
}

function Thumb({ a }: { a: Artifact }) {
  if (a.media_type === "audio") {
    return (
      <div className="thumb placeholder audio-thumb" aria-hidden="true">
        <CategoryIcon category="audio" size={34} />
        <span className="wave" />
      </div>
    );
  }
  if (!a.thumbnail_url)
    return (
      <div className="thumb placeholder" aria-hidden="true">
        <CategoryIcon category={a.media_type === "video" ? "video_generation" : "image_generation"} />
      </div>
    );
  return (
    <div className="thumb-wrap">
      <img className="thumb" src={a.thumbnail_url} alt="" loading="lazy" decoding="async" />
      {a.media_type === "video" && (
        <span className="play-badge" aria-hidden="true">
          <Icon name="play" size={18} />
        </span>
      )}
    </div>
  );
}

function Viewer({ a, onClose }: { a: Artifact; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, [a.id]);
  const p = a.provenance ?? {};
  return (
    <dialog ref={ref} className="viewer" aria-labelledby="viewer-title" onClose={onClose} onCancel={onClose}>
      <div className="viewer-head">
        <h2 id="viewer-title">{title(a)}</h2>
        <span className={`kind-chip ${a.media_type}`}>{a.media_type}</span>
        <span className="spacer" />
        <a className="btn primary" href={a.url} download={a.name || a.id}>
          <Icon name="download" size={16} /> Download
        </a>
        <button type="button" className="btn ghost icon" onClick={onClose} aria-label="Close">
          <Icon name="close" />
        </button>
      </div>
      <div className="viewer-body">
        <div className="viewer-media">
          <MediaView url={a.url} kind={a.media_type} label={title(a)} />
          <dl className="kv small">
            <dt>Artifact</dt>
            <dd className="mono">{a.id}</dd>
            <dt>Type</dt>
            <dd>
              {a.content_type} · {sizeText(a.size)}
            </dd>
            <dt>Created</dt>
            <dd>{formatDate(a.created_at)}</dd>
            {typeof p.model === "string" && (
              <>
                <dt>Model</dt>
                <dd className="mono">{p.model}</dd>
              </>
            )}
            {typeof p.run_id === "string" && (
              <>
                <dt>Run</dt>
                <dd>
                  <Link to={`/history/${encodeURIComponent(p.run_id)}`} className="mono">
                    {p.run_id}
                  </Link>
                </dd>
              </>
            )}
            <dt>SHA-256</dt>
            <dd className="mono hash">{a.content_sha256 ?? a.sha256}</dd>
          </dl>
        </div>
        <section className="viewer-prov" aria-label="Provenance">
          <Provenance id={a.id} />
        </section>
      </div>
    </dialog>
  );
}

export default function Gallery() {
  const [search, setSearch] = useSearchParams();
  const kind = search.get("kind") ?? "";
  const run = search.get("run") ?? "";
  const [runText, setRunText] = useState(run);
  const [open, setOpen] = useState<Artifact | null>(null);
  useEffect(() => setRunText(run), [run]);
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    setSearch(next, { replace: true });
  };
  const query = useInfiniteQuery({
    queryKey: ["artifacts", kind, run],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const p = new URLSearchParams({ limit: String(PAGE) });
      if (pageParam) p.set("before", pageParam);
      if (kind) p.set("kind", kind);
      if (run) p.set("run_id", run);
      return apiFetch<{ artifacts: Artifact[]; next_before: string | null }>(`/v1/artifacts?${p}`);
    },
    getNextPageParam: (last) => last.next_before,
  });
  const items = query.data?.pages.flatMap((p) => p.artifacts) ?? [];
  return (
    <div className="page gallery-page">
      <PageHeader title="Gallery" subtitle="Everything you generated or uploaded, with where it came from." />
      <div className="filters">
        <div className="segmented" role="group" aria-label="Kind">
          {KINDS.map((k) => (
            <button key={k.value} type="button" className="seg" aria-pressed={kind === k.value} onClick={() => set("kind", k.value)}>
              {k.label}
            </button>
          ))}
        </div>
        <form
          className="row run-filter"
          onSubmit={(e) => {
            e.preventDefault();
            set("run", runText.trim());
          }}
        >
          <label className="field">
            <span className="sr-only">Run id</span>
            <input type="search" placeholder="Filter by run id" value={runText} onChange={(e) => setRunText(e.target.value)} />
          </label>
          <button type="submit" className="btn">
            Filter
          </button>
          {run && (
            <button type="button" className="btn ghost" onClick={() => set("run", "")}>
              Clear run
            </button>
          )}
        </form>
      </div>
      {query.error && (
        <div className="alert error" role="alert">
          Could not load the gallery: {(query.error as Error).message}
        </div>
      )}
      {query.isLoading ? (
        <ul className="gallery-grid" aria-label="Loading artifacts" aria-busy="true">
          {Array.from({ length: 8 }, (_, i) => (
            <li key={i} className="gallery-card skeleton-card" aria-hidden="true" />
          ))}
        </ul>
      ) : items.length === 0 ? (
        <div className="empty">
          <p className="empty-title">{kind || run ? "Nothing matches these filters." : "Nothing here yet."}</p>
          {!kind && !run && (
            <p>
              Results appear here as you generate: try a <Link to="/presets">preset</Link>.
            </p>
          )}
        </div>
      ) : (
        <ul className="gallery-grid" aria-label="Artifacts">
          {items.map((a) => (
            <li key={a.id} className="gallery-card">
              <button type="button" className="card-open" onClick={() => setOpen(a)} aria-label={`Open ${a.media_type} ${title(a)}`}>
                <Thumb a={a} />
              </button>
              <div className="gallery-meta">
                <div className="row">
                  <span className={`kind-chip ${a.media_type}`}>{a.media_type}</span>
                  {a.sandbox && <span className="badge">sandbox</span>}
                  <span className="spacer" />
                  <a className="btn small ghost icon" href={a.url} download={a.name || a.id} aria-label={`Download ${title(a)}`}>
                    <Icon name="download" size={16} />
                  </a>
                </div>
                <div className="g-title" title={title(a)}>
                  {title(a)}
                </div>
                {a.media_type === "audio" && <MediaView url={a.url} kind="audio" label={`Play ${title(a)}`} />}
                <div className="muted small">
                  {typeof a.provenance?.model === "string" ? <span className="mono">{a.provenance.model}</span> : (a.provenance?.source as string) ?? ""} · {timeAgo(a.created_at)}
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
      {query.hasNextPage && (
        <div className="load-more">
          <button type="button" className="btn" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
            {query.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      )}
      {open && <Viewer a={open} onClose={() => setOpen(null)} />}
    </div>
  );
}
