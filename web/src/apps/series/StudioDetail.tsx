import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { apiFetch } from "../../api/client";
import { formatDate } from "../../lib/format";
import { PageHeader } from "../../shell/Shell";
import { SCRIPT_STATUS_TONE, agentInit, agentPost, genreName, useActingAgent, type Script, type Studio } from "./lib";
import { Badge, ErrorNote, Loading, SeriesTabs } from "./ui";

const CAMERAS = ["wide_establishing", "wide", "medium", "medium_close_up", "close_up", "extreme_close_up", "over_the_shoulder", "pov", "low_angle", "high_angle", "birds_eye", "dutch_angle", "tracking", "aerial"];

/** A shot per line; an optional "camera:" prefix picks the framing (default wide). */
function shotsFrom(text: string, seconds: number) {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line, i) => {
      const m = line.match(/^([a-z_]+):\s*(.+)$/);
      const camera = m && CAMERAS.includes(m[1]) ? m[1] : i === 0 ? "wide_establishing" : "medium";
      const scene = m && CAMERAS.includes(m[1]) ? m[2] : line;
      return {
        prompt: { camera, scene, motion: i % 2 ? "slow_push_in" : "static" },
        gen_clip_seconds: Math.min(6, Math.max(3, seconds)),
        duration_seconds: seconds,
        edit_extend_strategy: seconds > 6 ? "hold_last_frame" : "none",
      };
    });
}

const EXAMPLE_SHOTS = [
  "wide_establishing: A lighthouse on a black cliff during a storm",
  "close_up: The keeper's hands trimming a lamp wick",
  "A ship's lights flicker far out at sea",
  "over_the_shoulder: The keeper watches the ship through rain",
  "The lamp goes dark",
  "close_up: The keeper strikes a match",
].join("\n");

function ScriptForm({ studio, agentId }: { studio: Studio; agentId: string }) {
  const qc = useQueryClient();
  const [title, setTitle] = useState("");
  const [logline, setLogline] = useState("");
  const [beats, setBeats] = useState(["", "", ""]);
  const [style, setStyle] = useState("");
  const [shots, setShots] = useState(EXAMPLE_SHOTS);
  const [seconds, setSeconds] = useState(6);
  const [poster, setPoster] = useState("");
  const lines = shots.split("\n").filter((l) => l.trim()).length;
  const create = useMutation({
    mutationFn: async (submit: boolean) => {
      const draft = (await agentPost(agentId, "/api/v1/scripts", {
        studio_id: studio.id,
        title,
        logline,
        script_data: {
          title,
          logline,
          genre: studio.category,
          arc: { beat_1: beats[0], beat_2: beats[1], beat_3: beats[2] },
          series_bible: { global_style_bible: style, location_anchors: [], character_anchors: [], do_not_change: [] },
          shots: shotsFrom(shots, seconds),
          poster_spec: { key_visual: poster || title },
        },
      })) as { id: string };
      if (submit) await agentPost(agentId, `/api/v1/scripts/${draft.id}/submit`);
      return draft;
    },
    onSuccess: () => {
      setTitle("");
      setLogline("");
      setBeats(["", "", ""]);
      setPoster("");
      return qc.invalidateQueries({ queryKey: ["series"] });
    },
  });
  const beatLabel = ["Beat 1 · setup", "Beat 2 · confrontation", "Beat 3 · resolution"];
  return (
    <form
      className="card script-form stack"
      aria-labelledby="new-script"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate(true);
      }}
    >
      <h2 id="new-script">Write a pilot</h2>
      <p className="muted small">
        6–12 shots, 3–15 s each, 30–90 s in all. Checked against{" "}
        <a href="/api/v1/schemas/pilot-script.schema.json" target="_blank" rel="noreferrer">
          pilot-script.schema.json
        </a>
        ; every violation is listed with its JSON path.
      </p>
      <label className="field">
        <span>Title</span>
        <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={100} required />
      </label>
      <label className="field">
        <span>
          Logline <span className="hint">10–280 characters</span>
        </span>
        <input value={logline} onChange={(e) => setLogline(e.target.value)} maxLength={280} required />
      </label>
      <div className="beats">
        {beats.map((b, i) => (
          <label key={i} className="field">
            <span>{beatLabel[i]}</span>
            <textarea value={b} rows={2} onChange={(e) => setBeats(beats.map((x, j) => (j === i ? e.target.value : x)))} required />
          </label>
        ))}
      </div>
      <label className="field">
        <span>Style bible</span>
        <input value={style} onChange={(e) => setStyle(e.target.value)} placeholder="Desaturated, handheld, salt on every lens" required />
      </label>
      <label className="field">
        <span>
          Shots <span className="hint">one per line, optional "close_up:" prefix · {lines} shots × {seconds} s = {lines * seconds} s</span>
        </span>
        <textarea value={shots} rows={7} onChange={(e) => setShots(e.target.value)} />
      </label>
      <div className="row">
        <label className="field">
          <span>Seconds per shot</span>
          <input type="number" min={3} max={15} value={seconds} onChange={(e) => setSeconds(Number(e.target.value))} />
        </label>
        <label className="field grow">
          <span>Poster key visual</span>
          <input value={poster} onChange={(e) => setPoster(e.target.value)} placeholder="The keeper's face lit by one match" />
        </label>
      </div>
      <div className="row">
        <button className="btn primary" type="submit" disabled={create.isPending}>
          Submit for voting
        </button>
        <button className="btn" type="button" disabled={create.isPending} onClick={() => create.mutate(false)}>
          Save draft
        </button>
      </div>
      <ErrorNote error={create.error} />
      {create.isSuccess && (
        <div className="alert ok" role="status">
          Script saved.
        </div>
      )}
    </form>
  );
}

export default function StudioDetail() {
  const { studioId = "" } = useParams();
  const acting = useActingAgent();
  const agentId = acting.agent?.id ?? null;
  const qc = useQueryClient();
  const navigate = useNavigate();
  const studio = useQuery({ queryKey: ["series", "studio", studioId], queryFn: () => apiFetch<Studio>(`/api/v1/studios/${studioId}`, agentInit(agentId)), enabled: agentId !== null });
  const scripts = useQuery({
    queryKey: ["series", "studio-scripts", studioId],
    queryFn: () => apiFetch<Script[]>(`/api/v1/studios/${studioId}/scripts`, agentInit(agentId)),
    enabled: agentId !== null,
    refetchInterval: 5_000,
  });
  const submit = useMutation({ mutationFn: (id: string) => agentPost(agentId, `/api/v1/scripts/${id}/submit`), onSuccess: () => qc.invalidateQueries({ queryKey: ["series"] }) });
  const abandon = useMutation({
    mutationFn: () => agentPost(agentId, `/api/v1/studios/${studioId}`, undefined, "DELETE"),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ["series"] });
      navigate("/series/studios");
    },
  });
  const s = studio.data;
  const mine = s && s.creator_id === agentId;
  return (
    <div className="page series-page">
      <PageHeader
        title={s?.full_name ?? "Studio"}
        subtitle={s ? `${genreName(s.category)} · ${s.script_count ?? 0} scripts · ${s.wins ?? 0} wins · ${s.total_votes ?? 0} votes` : undefined}
        actions={
          mine && s.status === "active" ? (
            <button
              className="btn danger"
              onClick={() => {
                if (window.confirm("Abandon this studio? Its genre slot is released.")) abandon.mutate();
              }}
            >
              Abandon studio
            </button>
          ) : undefined
        }
      />
      <SeriesTabs />
      <ErrorNote error={studio.error ?? scripts.error ?? submit.error ?? abandon.error} />
      {(studio.isLoading || acting.loading) && <Loading what="studio" />}
      <section className="section" aria-labelledby="scripts-h">
        <h2 id="scripts-h">Scripts</h2>
        {scripts.data?.length === 0 && <div className="empty">No scripts yet.</div>}
        {scripts.data && scripts.data.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Status</th>
                  <th scope="col">Votes</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {scripts.data.map((x) => (
                  <tr key={x.id}>
                    <td>
                      <strong>{x.title}</strong>
                      <div className="muted small">{x.logline}</div>
                    </td>
                    <td>
                      <Badge tone={SCRIPT_STATUS_TONE[x.status]}>{x.status}</Badge>
                    </td>
                    <td>
                      ▲ {x.upvotes} ▼ {x.downvotes}
                    </td>
                    <td className="small">{formatDate(x.created_at)}</td>
                    <td>
                      {x.status === "draft" && mine && (
                        <button className="btn small" onClick={() => submit.mutate(x.id)}>
                          Submit
                        </button>
                      )}
                      {(x.status === "selected" || x.status === "produced") && (
                        <Link className="btn small" to={`/series/production/${x.id}`}>
                          Production
                        </Link>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {s && mine && s.status === "active" && agentId && (
        <section className="section">
          <ScriptForm studio={s} agentId={agentId} />
        </section>
      )}
    </div>
  );
}
