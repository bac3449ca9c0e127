/** One mode's studio (/pixel/studio, /business/studio, …): its presets and fields, its
 * workspaces only, generate a batch of 1–4 variants, the results, export in the mode's
 * formats, and the mode's own gallery. Nothing here is shared with another mode's studio. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { PageHeader } from "../../shell/Shell";
import { assetsApi, settled, type Batch, type ExportResult, type ModeId, type ModeInfo } from "./api";
import { CodePanel } from "./CodePanel";
import { CreditsPill, ErrorBox, formatBytes, MODE_LABELS, ModeSwitcher } from "./parts";
import "./assets.css";

const SLOT_NAMES = ["canonical", "perspective / pose", "lighting / mood", "detail / colour"];
const SINGLE_IMAGE = new Set(["brand_kit", "emoji_set"]);
const FORMAT_LABELS: Record<string, string> = {
  sprite_sheet: "Sprite sheet (PNG + JSON atlas)",
  brand_kit: "Brand kit (light/dark, social sizes)",
  svg: "SVG (traced)",
  emoji_set: "Emoji set (16–512 px PNG + WebP)",
};

function label(s: string): string {
  return s.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

export default function ModeStudio({ mode }: { mode: ModeId }) {
  const modes = useQuery({ queryKey: ["assets", "modes"], queryFn: assetsApi.modes, staleTime: 300_000 });
  const info = modes.data?.find((m) => m.id === mode);
  const name = MODE_LABELS[mode].name;
  return (
    <div className={`page as-page as-theme-${mode}`}>
      <PageHeader title={`${name} studio`} subtitle={info?.description ?? MODE_LABELS[mode].blurb} actions={<HeaderCredits />} />
      <ModeSwitcher current={mode} />
      <ErrorBox error={modes.error} />
      {info ? <Studio info={info} /> : !modes.error && <div className="page-loading" role="status">Loading the {name} mode…</div>}
    </div>
  );
}

function HeaderCredits() {
  const credits = useQuery({ queryKey: ["assets", "credits"], queryFn: assetsApi.credits });
  return (
    <>
      <CreditsPill credits={credits.data} />
      <Link className="btn small ghost" to="/assets">
        All modes
      </Link>
    </>
  );
}

function Studio({ info }: { info: ModeInfo }) {
  const mode = info.id;
  const qc = useQueryClient();
  const credits = useQuery({ queryKey: ["assets", "credits"], queryFn: assetsApi.credits });
  const workspaces = useQuery({ queryKey: ["assets", "workspaces", mode], queryFn: () => assetsApi.workspaces(mode) });
  const [workspaceId, setWorkspaceId] = useState("");
  const [newName, setNewName] = useState("");
  const [preset, setPreset] = useState(info.default_preset);
  const [prompt, setPrompt] = useState("");
  const [negative, setNegative] = useState("");
  const [fields, setFields] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(info.fields).filter(([k]) => k !== "framework").map(([k, v]) => [k, v[0]])),
  );
  const [count, setCount] = useState(4);
  const [quality, setQuality] = useState<"standard" | "hd">("standard");
  const [batch, setBatch] = useState<Batch | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());

  const create = useMutation({
    mutationFn: () => assetsApi.createWorkspace(mode, newName.trim()),
    onSuccess: (ws) => {
      setNewName("");
      setWorkspaceId(ws.id);
      void qc.invalidateQueries({ queryKey: ["assets", "workspaces", mode] });
    },
  });
  const generate = useMutation({
    mutationFn: async () =>
      settled(
        await assetsApi.generate({
          mode,
          prompt,
          tool: preset,
          batchCount: count,
          quality,
          fields,
          ...(negative.trim() ? { negativePrompt: negative.trim() } : {}),
          ...(workspaceId ? { workspaceId } : {}),
        }),
      ),
    onSuccess: (b) => {
      setBatch(b);
      setSelected(new Set(b.jobs.filter((j) => j.url).map((j) => j.id)));
      void qc.invalidateQueries({ queryKey: ["assets", "gallery", mode] });
      void qc.invalidateQueries({ queryKey: ["assets", "credits"] });
    },
  });
  const hdLeft = credits.data?.hd_credits ?? 0;
  const presetInfo = info.presets.find((p) => p.id === preset);

  return (
    <div className="as-layout">
      <form
        className="card as-form"
        aria-labelledby="as-gen-h"
        onSubmit={(e) => {
          e.preventDefault();
          generate.mutate();
        }}
      >
        <h2 id="as-gen-h">Generate</h2>
        <div className="field">
          <label htmlFor="as-ws">Workspace</label>
          <select id="as-ws" value={workspaceId} onChange={(e) => setWorkspaceId(e.target.value)}>
            <option value="">No workspace</option>
            {(workspaces.data ?? []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
          <span className="hint">Only {info.name} workspaces: a workspace stays in its mode.</span>
        </div>
        <div className="row as-new-ws">
          <label className="sr-only" htmlFor="as-ws-new">
            New workspace name
          </label>
          <input id="as-ws-new" placeholder="New workspace…" value={newName} onChange={(e) => setNewName(e.target.value)} />
          <button type="button" className="btn small" disabled={!newName.trim() || create.isPending} onClick={() => create.mutate()}>
            Create workspace
          </button>
        </div>
        <ErrorBox error={create.error} />
        <fieldset className="as-presets">
          <legend>Preset</legend>
          {info.presets.map((p) => (
            <label key={p.id} className={"as-preset" + (p.id === preset ? " on" : "")}>
              <input type="radio" name="as-preset" value={p.id} checked={p.id === preset} onChange={() => setPreset(p.id)} />
              <span className="as-preset-name">{p.name}</span>
              <span className="as-preset-meta">
                {p.width}×{p.height}
                {p.colors ? ` · ${p.colors} colours` : ""}
              </span>
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="as-prompt">Prompt</label>
          <textarea
            id="as-prompt"
            required
            maxLength={2000}
            value={prompt}
            placeholder={PLACEHOLDERS[mode]}
            onChange={(e) => setPrompt(e.target.value)}
          />
        </div>
        <div className="as-fields">
          {Object.entries(info.fields)
            .filter(([k]) => k !== "framework")
            .map(([key, options]) => (
              <div className="field" key={key}>
                <label htmlFor={`as-f-${key}`}>{label(key)}</label>
                <select id={`as-f-${key}`} value={fields[key] ?? ""} onChange={(e) => setFields({ ...fields, [key]: e.target.value })}>
                  {options.map((o) => (
                    <option key={o} value={o}>
                      {label(o)}
                    </option>
                  ))}
                </select>
              </div>
            ))}
          <div className="field">
            <label htmlFor="as-count">Variants</label>
            <select id="as-count" value={count} onChange={(e) => setCount(Number(e.target.value))}>
              {[1, 2, 3, 4].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
        </div>
        <fieldset className="as-quality">
          <legend>Quality</legend>
          <label className="check">
            <input type="radio" name="as-q" checked={quality === "standard"} onChange={() => setQuality("standard")} />
            <span>Standard · free</span>
          </label>
          <label className="check">
            <input type="radio" name="as-q" checked={quality === "hd"} onChange={() => setQuality("hd")} />
            <span>
              HD · {count} credit{count === 1 ? "" : "s"} ({hdLeft} left)
            </span>
          </label>
        </fieldset>
        <details>
          <summary>Negative prompt</summary>
          <div className="field">
            <label htmlFor="as-neg">Also avoid</label>
            <input id="as-neg" maxLength={500} value={negative} onChange={(e) => setNegative(e.target.value)} />
            <span className="hint">Added to the mode's and preset's own negative bank.</span>
          </div>
        </details>
        <button className="btn primary wide" type="submit" disabled={!prompt.trim() || generate.isPending}>
          {generate.isPending ? (
            <>
              <span className="spinner" aria-hidden="true" /> Generating…
            </>
          ) : (
            `Generate ${count} variant${count === 1 ? "" : "s"}`
          )}
        </button>
        <ErrorBox error={generate.error} />
        {presetInfo && (
          <p className="muted small">
            {presetInfo.steps} steps, guidance {presetInfo.guidance}. Transparent: {info.constraints.transparent ? "yes" : "no"}.
          </p>
        )}
      </form>
      <div className="as-output">
        <Results batch={batch} mode={mode} selected={selected} setSelected={setSelected} />
        {batch && <ExportPanel info={info} batch={batch} selected={selected} />}
        {mode === "uiux" && <CodePanel prompt={prompt} preset={preset} />}
        <ModeGallery mode={mode} name={info.name} workspaceId={workspaceId} />
      </div>
    </div>
  );
}

const PLACEHOLDERS: Record<ModeId, string> = {
  pixel: "a knight with a blue cape",
  business: "a coffee roastery called Ember",
  uiux: "a pricing page for a note-taking app",
  vector: "a paper plane",
  emoji: "a cat laughing",
};

function Results({
  batch,
  mode,
  selected,
  setSelected,
}: {
  batch: Batch | null;
  mode: ModeId;
  selected: Set<string>;
  setSelected: (s: Set<string>) => void;
}) {
  return (
    <section className="section as-results" aria-labelledby="as-res-h" aria-live="polite">
      <h2 id="as-res-h">Results</h2>
      {!batch ? (
        <p className="empty">Describe what you want and generate: up to four variants appear here.</p>
      ) : (
        <>
          <p className="muted small">
            <span className={"badge " + (batch.status === "succeeded" ? "ok" : batch.status === "running" ? "info" : "warn")}>{batch.status}</span>{" "}
            {batch.quality === "hd" ? `HD · ${batch.hd_credits} credit(s)` : "Standard"} · served by {batch.provider_chain[0] ?? "–"}
          </p>
          <ul className={`as-results-grid as-bg-${mode}`}>
            {batch.jobs.map((j) => (
              <li key={j.id} className="card as-job">
                <figure>
                  {j.url ? (
                    <img src={j.url} alt={`Variant ${j.slot + 1} (${SLOT_NAMES[j.slot]}): ${batch.prompt}`} className={`as-img as-img-${mode}`} />
                  ) : (
                    <div className="thumb placeholder" aria-hidden="true">
                      …
                    </div>
                  )}
                  <figcaption>
                    <span>
                      <strong>Variant {j.slot + 1}</strong> · {SLOT_NAMES[j.slot]}
                    </span>
                    <span className="muted small as-seed">
                      seed {j.seed}
                      {j.served_by ? ` · ${j.served_by}` : ""}
                    </span>
                    {j.error && <span className="badge err">{j.error.code ?? "failed"}</span>}
                  </figcaption>
                </figure>
                {j.url && (
                  <label className="check small">
                    <input
                      type="checkbox"
                      checked={selected.has(j.id)}
                      onChange={(e) => {
                        const next = new Set(selected);
                        if (e.target.checked) next.add(j.id);
                        else next.delete(j.id);
                        setSelected(next);
                      }}
                    />
                    <span>Select variant {j.slot + 1} for export</span>
                  </label>
                )}
                {j.url && (
                  <a className="btn small ghost" href={j.url} download={`${mode}-${j.slot + 1}.png`}>
                    Download variant {j.slot + 1}
                  </a>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function ExportPanel({ info, batch, selected }: { info: ModeInfo; batch: Batch; selected: Set<string> }) {
  const [format, setFormat] = useState(info.exporters[0] ?? "");
  const [grid, setGrid] = useState(32);
  const [colors, setColors] = useState<number | "">("");
  const ids = useMemo(() => batch.jobs.filter((j) => selected.has(j.id)).map((j) => j.id), [batch, selected]);
  const run = useMutation({
    mutationFn: () => {
      const options: Record<string, unknown> = {};
      if (info.id === "pixel") options.grid = grid;
      if (colors !== "") options.colors = colors;
      return assetsApi.exportJobs(info.id, format, ids, options);
    },
  });
  useEffect(() => run.reset(), [batch.id]); // eslint-disable-line react-hooks/exhaustive-deps
  if (info.exporters.length === 0) return null;
  const single = SINGLE_IMAGE.has(format);
  const ok = ids.length > 0 && (!single || ids.length === 1);
  return (
    <section className="section card" aria-labelledby="as-exp-h">
      <h2 id="as-exp-h">Export</h2>
      <div className="filters">
        <div className="field">
          <label htmlFor="as-fmt">Format</label>
          <select id="as-fmt" value={format} onChange={(e) => setFormat(e.target.value)}>
            {info.exporters.map((f) => (
              <option key={f} value={f}>
                {FORMAT_LABELS[f] ?? f}
              </option>
            ))}
          </select>
        </div>
        {info.id === "pixel" && (
          <div className="field">
            <label htmlFor="as-grid">Pixel grid</label>
            <select id="as-grid" value={grid} onChange={(e) => setGrid(Number(e.target.value))}>
              {[16, 32, 64].map((g) => (
                <option key={g} value={g}>
                  {g}×{g}
                </option>
              ))}
            </select>
          </div>
        )}
        {(info.id === "pixel" || info.id === "vector") && (
          <div className="field">
            <label htmlFor="as-colors">Colours</label>
            <select id="as-colors" value={colors} onChange={(e) => setColors(e.target.value ? Number(e.target.value) : "")}>
              <option value="">Preset's</option>
              {[2, 4, 8, 16, 32].map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </div>
        )}
        <button className="btn primary" disabled={!ok || run.isPending} onClick={() => run.mutate()}>
          {run.isPending ? "Exporting…" : `Export ${ids.length} selected`}
        </button>
      </div>
      {single && ids.length > 1 && <p className="muted small">This format takes one image: select a single variant.</p>}
      <ErrorBox error={run.error} />
      {run.data && <ExportFiles result={run.data} mode={info.id} />}
    </section>
  );
}

function ExportFiles({ result, mode }: { result: ExportResult; mode: ModeId }) {
  const files = result.files;
  // Previews: the sheet, SVGs, the larger emoji PNGs and the brand kit's images.
  const previews = files.filter((f) => /\.(png|svg)$/.test(f.name) && !/_(16|24|32|48)\.png$/.test(f.name)).slice(0, 6);
  return (
    <div className="stack">
      <div className="row">
        <h3 className="as-files-h">Files</h3>
        <span className="spacer" />
        <a className="btn small primary" href={result.zip_url} download>
          Download all (.zip)
        </a>
      </div>
      <ul className={`as-export-previews as-bg-${mode}`} aria-label="Export previews">
        {previews.map((f) => (
          <li key={f.id}>
            <img src={f.url} alt={`Exported ${f.name}`} className={`as-img-${mode}`} />
            <span className="small">{f.name}</span>
          </li>
        ))}
      </ul>
      <ul className="as-files">
        {files.map((f) => (
          <li key={f.id}>
            <a href={f.url} download={f.name}>
              Download {f.name}
            </a>{" "}
            <span className="muted small">{formatBytes(f.bytes)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function ModeGallery({ mode, name, workspaceId }: { mode: ModeId; name: string; workspaceId: string }) {
  const gallery = useQuery({
    queryKey: ["assets", "gallery", mode, workspaceId],
    queryFn: () => assetsApi.gallery(mode, workspaceId || undefined),
  });
  return (
    <section className="section" aria-labelledby="as-gal-h">
      <h2 id="as-gal-h">Your {name} gallery</h2>
      <ErrorBox error={gallery.error} />
      {gallery.data && gallery.data.length === 0 && <p className="empty">Nothing in this mode yet.</p>}
      <ul className={`as-gallery as-bg-${mode}`}>
        {(gallery.data ?? []).slice(0, 24).map((e) => (
          <li key={e.id}>
            <img src={e.url} alt={e.title} loading="lazy" className={`as-img-${mode}`} />
          </li>
        ))}
      </ul>
    </section>
  );
}
