/** One canvas box: mode → model → settings, media inputs, price chip, live status, outputs. */
import { memo, useCallback, useMemo } from "react";
import { Handle, Position, useStore, type NodeProps } from "@xyflow/react";
import { useQueryClient } from "@tanstack/react-query";
import { MediaView } from "../components/Media";
import { Icon } from "../shell/icons";
import { formatMicros } from "../lib/format";
import {
  defaultParams,
  fetchModelDetail,
  mediaSlots,
  modelsForMode,
  promptRequired,
  settingParams,
  takesPrompt,
  useCatalog,
  useModelDetail,
  type ModelDetail,
} from "./catalog";
import { MediaSlot } from "./MediaSlot";
import { ModelPicker } from "./ModelPicker";
import { useQuotes } from "./quotes";
import { outputKind, type BoxNode as BoxNodeType } from "./rules";
import { SchemaForm } from "./SchemaForm";
import { useCanvas } from "./store";
import { LAST_FRAME_MODES, MODES, MODE_BY_ID, type MediaRef, type Mode } from "./types";

const STATUS_LABEL: Record<string, string> = {
  idle: "",
  queued: "Queued",
  held: "Waiting",
  submitting: "Submitting",
  submitted: "Running",
  collecting: "Running",
  succeeded: "Done",
  failed: "Failed",
  canceled: "Canceled",
  skipped: "Skipped",
};

function statusTone(status: string): string {
  if (status === "succeeded") return "ok";
  if (status === "failed") return "err";
  if (status === "canceled" || status === "skipped") return "warn";
  return "info";
}

/** Below this zoom a box is too small to edit: it shows a summary card (cheap to paint). */
export const COMPACT_ZOOM = 0.45;
export const TINY_ZOOM = 0.22;

function BoxNodeInner({ id, data, selected }: NodeProps<BoxNodeType>) {
  // 0 = full box, 1 = summary card, 2 = a coloured block (text would be under 3 px anyway).
  const detailLevel = useStore((s) => (s.transform[2] < TINY_ZOOM ? 2 : s.transform[2] < COMPACT_ZOOM ? 1 : 0));
  const compact = detailLevel > 0;
  const qc = useQueryClient();
  const updateBox = useCanvas((s) => s.updateBox);
  const removeBoxes = useCanvas((s) => s.removeBoxes);
  const run = useCanvas((s) => s.runs[id]);
  // "<source>:<kind>" of every box wired into this one (a string: re-render only on change).
  const feeders = useCanvas(
    useCallback(
      (s) => {
        const incoming = s.edges.filter((e) => e.target === id);
        if (!incoming.length) return "";
        const byId = new Map(s.nodes.map((n) => [n.id, n]));
        return incoming.map((e) => `${e.source}:${outputKind(e.source, byId, s.edges) ?? ""}`).join(",");
      },
      [id],
    ),
  );
  const chip = useQuotes((s) => s.chips[id]);
  const catalog = useCatalog();
  const detail = useModelDetail(data.model);
  const mode = data.mode;
  const models = useMemo(() => modelsForMode(catalog.data?.models, mode), [catalog.data, mode]);
  const info = mode ? MODE_BY_ID[mode] : null;

  const setMode = (m: Mode | "") => {
    // Seed 002 §3: a new mode clears the model and its params.
    updateBox(id, { mode: m, model: "", params: {}, inputs: [] });
  };
  const setModel = async (modelId: string) => {
    // A new model starts from its own schema's defaults (no stale params leak across models).
    let d: ModelDetail | undefined;
    try {
      d = await qc.fetchQuery({ queryKey: ["model", modelId], queryFn: () => fetchModelDetail(modelId), staleTime: 600_000 });
    } catch {
      d = undefined;
    }
    const slots = mediaSlots(d);
    const inputs = data.inputs
      .map((i) => {
        const slot = slots.find((s) => s.name === i.slot) ?? slots.find((s) => s.kind === i.kind);
        return slot ? { ...i, slot: slot.name } : null;
      })
      .filter((i): i is MediaRef => i !== null);
    updateBox(id, { model: modelId, params: d ? defaultParams(d) : {}, inputs });
  };
  const setParam = useCallback(
    (name: string, value: unknown) => {
      const cur = useCanvas.getState().nodes.find((n) => n.id === id);
      if (!cur) return;
      const params = { ...cur.data.params };
      if (value === undefined) delete params[name];
      else params[name] = value;
      updateBox(id, { params }, `param:${name}`);
    },
    [id, updateBox],
  );
  const setInput = (slot: string, ref: MediaRef | null) => {
    const rest = data.inputs.filter((i) => i.slot !== slot);
    updateBox(id, { inputs: ref ? [...rest, ref] : rest });
  };

  const d = detail.data && detail.data.id === data.model ? detail.data : undefined;
  const settings = settingParams(d);
  const slots = mediaSlots(d);
  const fed = feeders ? feeders.split(",").map((f) => ({ box: f.split(":")[0], kind: f.split(":")[1] })) : [];
  // Which slot an edge fills: the first one of its kind (a video into an image slot: its last frame).
  const fedSlots = new Map<string, string>();
  for (const f of fed) {
    const wanted = f.kind === "video" && mode && LAST_FRAME_MODES.has(mode) ? "image" : f.kind;
    const slot = slots.find((s) => s.kind === wanted && !fedSlots.has(s.name));
    if (slot) fedSlots.set(slot.name, f.kind === wanted ? f.box : `${f.box} (last frame)`);
  }
  const identity = slots.some((s) => s.identity);
  const status = run?.status ?? "idle";
  const running = ["queued", "held", "submitting", "submitted", "collecting"].includes(status);
  const acceptsInput = info ? info.accepts.length > 0 : true;
  // Upscale/edit make what they receive: colour them by their feed.
  const boxKind = info?.output ?? (fed.find((f) => f.kind)?.kind || "any");
  // A fed box hides optional slots of another kind (local/upscale takes an image or a video).
  const fedKinds = new Set(fed.map((f) => (f.kind === "video" && mode && LAST_FRAME_MODES.has(mode) ? "image" : f.kind)));
  const shownSlots = slots.filter((sl) => fedKinds.size === 0 || sl.required || fedKinds.has(sl.kind) || data.inputs.some((i) => i.slot === sl.name));

  if (detailLevel === 2) {
    return (
      <div className={`box tiny ${selected ? "selected" : ""} status-${status}`} data-box={id} aria-label={`Box ${id}: ${info ? info.label : "new box"}`} role="group">
        {acceptsInput && <Handle type="target" position={Position.Left} className="handle in" />}
        <div className={`tiny-band ${boxKind}`} />
        <Handle type="source" position={Position.Right} className="handle out" />
      </div>
    );
  }
  if (compact) {
    const model = models.find((m) => m.id === data.model);
    const first = run?.outputs?.[0];
    return (
      <div className={`box compact ${selected ? "selected" : ""} status-${status}`} data-box={id} aria-label={`Box ${id}`} role="group">
        {acceptsInput && <Handle type="target" position={Position.Left} className="handle in" />}
        <header className="box-head">
          <span className="box-title">
            <span className={`kind-dot ${boxKind}`} aria-hidden="true" />
            <span className="box-mode">{info ? info.label : "New box"}</span>
          </span>
          <span className="chip price" data-testid="price-chip">
            {data.model ? (chip ? chip.display : "…") : "$0"}
          </span>
        </header>
        <div className="box-summary">
          <span className="box-id">{id}</span> {model?.label ?? (data.model || "no model yet")}
          {STATUS_LABEL[status] && <span className={`badge ${statusTone(status)}`}>{STATUS_LABEL[status]}</span>}
        </div>
        {first?.kind === "image" && <img className="box-thumb" src={first.url} alt={`Output of ${id}`} />}
        <Handle type="source" position={Position.Right} className="handle out" />
      </div>
    );
  }

  return (
    <div className={`box ${selected ? "selected" : ""} status-${status}`} data-box={id} aria-label={`Box ${id}`} role="group">
      {acceptsInput && <Handle type="target" position={Position.Left} className="handle in" title={`Input of ${id}: drag an edge here`} />}
      <header className="box-head">
        <span className="box-title">
          <span className={`kind-dot ${boxKind}`} aria-hidden="true" />
          <span className="box-mode">{info ? info.label : "New box"}</span>
          <span className="box-id">{id}</span>
        </span>
        <span className={"chip price" + (chip && !chip.known ? " unknown" : "") + (chip?.source === "catalog" ? " estimate" : "")} data-testid="price-chip" title={chip?.problem ?? (chip?.source === "catalog" ? "catalog price (not yet quotable)" : "quoted")}>
          {data.model ? (chip ? chip.display : "…") : "$0"}
        </span>
        {STATUS_LABEL[status] && (
          <span className={`badge ${statusTone(status)}`} data-testid="box-status">
            {running && <span className="spinner tiny" aria-hidden="true" />} {STATUS_LABEL[status]}
          </span>
        )}
        <button type="button" className="btn ghost icon nodrag" aria-label={`Delete ${id}`} onClick={() => removeBoxes([id])}>
          <Icon name="close" size={14} />
        </button>
      </header>
      <div className="box-body">
        <label className="field nodrag">
          <span>Mode</span>
          <select aria-label={`Mode of ${id}`} value={mode} onChange={(e) => setMode(e.target.value as Mode | "")}>
            <option value="">Choose a mode…</option>
            {(["Generate", "Post-process"] as const).map((g) => (
              <optgroup key={g} label={g}>
                {MODES.filter((m) => m.group === g).map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.label}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        <div className="field">
          <span className="field-label">Model</span>
          <ModelPicker models={models} value={data.model} onChange={(m) => void setModel(m)} disabled={!mode} loading={catalog.isPending} />
        </div>
        {data.model && detail.isPending && <p className="muted small">Loading settings…</p>}
        {detail.isError && (
          <div className="alert error small">
            Couldn't load settings. <button className="btn ghost small" onClick={() => detail.refetch()}>Retry</button>
          </div>
        )}
        {d && takesPrompt(d, mode) && (
          <label className="field nodrag">
            <span>
              Prompt
              {promptRequired(d, mode) && (
                <span className="req" aria-hidden="true">
                  *
                </span>
              )}
            </span>
            <textarea
              aria-label={`Prompt of ${id}`}
              rows={3}
              value={data.prompt}
              required={promptRequired(d, mode)}
              maxLength={d.limits?.max_prompt_chars ?? undefined}
              placeholder="Describe what you want…"
              onChange={(e) => updateBox(id, { prompt: e.target.value }, "prompt")}
            />
          </label>
        )}
        {d?.features?.negative_prompt && (
          <label className="field nodrag">
            <span>Negative prompt</span>
            <input type="text" value={data.negative_prompt} onChange={(e) => updateBox(id, { negative_prompt: e.target.value }, "negative")} />
          </label>
        )}
        {shownSlots.map((slot) => {
          const fedHere = fedSlots.get(slot.name) ?? null;
          return (
            <MediaSlot
              key={slot.name}
              boxId={id}
              slot={slot}
              fedBy={fedHere}
              value={data.inputs.find((i) => i.slot === slot.name)}
              onChange={(ref) => setInput(slot.name, ref)}
            />
          );
        })}
        {settings.length > 0 && (
          <details className="box-settings nodrag">
            <summary>Settings ({settings.length})</summary>
            <SchemaForm idPrefix={id} params={settings} values={data.params} onChange={setParam} />
          </details>
        )}
        {identity && (
          <label className="check nodrag">
            <input type="checkbox" checked={data.consent} onChange={(e) => updateBox(id, { consent: e.target.checked })} />
            <span>I have the consent of the person shown or heard</span>
          </label>
        )}
        {chip?.problem && !run && <p className="box-hint">{chip.problem}</p>}
        {running && (
          <div className="box-progress" aria-live="polite">
            <div className="progress" role="progressbar" aria-label={`Progress of ${id}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={run?.progress != null ? Math.round(run.progress * 100) : undefined}>
              <div style={{ width: `${Math.round((run?.progress ?? 0.05) * 100)}%` }} />
            </div>
            {run?.message && <span className="small muted">{run.message}</span>}
          </div>
        )}
        {run?.outputs?.length ? (
          <div className="box-outputs" data-testid="box-output">
            {run.outputs.map((o) => (
              <MediaView key={o.artifact_id} url={o.url} kind={o.kind} label={`Output of ${id}`} />
            ))}
          </div>
        ) : null}
        {run?.error && (
          <div className="alert error small" role="alert" data-testid="box-error">
            <strong>{run.error.code}</strong> {run.error.message}
            {run.error.remediation.length > 0 && (
              <ul>
                {run.error.remediation.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        {status === "succeeded" && run?.cost_micros != null && (
          <p className="small muted box-cost">
            Cost {formatMicros(run.cost_micros)}
            {run?.served_by && run.served_by !== data.model ? ` · served by ${run.served_by}` : ""}
          </p>
        )}
      </div>
      <Handle type="source" position={Position.Right} className="handle out" title={`Output of ${id}: drag to the next box`} />
    </div>
  );
}

export const BoxNode = memo(BoxNodeInner);
