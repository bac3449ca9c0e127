/** The Studio: the node canvas of seed 002 (lazy-loaded with React Flow). */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  useStore,
  type Connection,
  type EdgeTypes,
  type NodeTypes,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import "./canvas.css";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { ApiError, apiFetch } from "../api/client";
import { Icon } from "../shell/icons";
import { BoxNode } from "./BoxNode";
import { useCatalog } from "./catalog";
import { OpenDialog } from "./OpenDialog";
import { fromDocument, pipelinesApi, toDocument } from "./pipelines";
import { useLiveQuotes, useQuotes } from "./quotes";
import { edgeProblem, fromPipeline, toPipeline, wouldCycle } from "./rules";
import { detach, follow, refreshRun, startRun } from "./runner";
import { beginMove, useCanvas } from "./store";
import { TypedEdge } from "./TypedEdge";
import { MODES, type Mode } from "./types";

const nodeTypes: NodeTypes = { box: BoxNode };
/** Past this many boxes the minimap is left out (F fits the canvas instead). */
const MINIMAP_MAX = 400;
/** Room between chained boxes for the edge and its last-frame thumbnail. */
const BOX_STEP = 440;
const KIND_COLOR: Record<string, string> = { image: "#0284c7", video: "#be185d", audio: "#7c3aed" };
function minimapColor(n: { data: Record<string, unknown> }): string {
  const mode = n.data.mode as Mode | "";
  const info = MODES.find((m) => m.id === mode);
  return KIND_COLOR[info?.output ?? ""] ?? "#94a3b8";
}
const edgeTypes: EdgeTypes = { typed: TypedEdge };

/** Dots that stay ≥ 12 px apart on screen: zoomed out, a 24 px grid would be ~3 px of dots
 * (hundreds of thousands to paint each pan frame). */
function CanvasBackground() {
  const step = useStore((st) => {
    const z = st.transform[2];
    return z >= 0.5 ? 1 : 2 ** Math.ceil(Math.log2(0.5 / z));
  });
  return <Background gap={24 * step} size={1} />;
}

function isTyping(el: EventTarget | null): boolean {
  const t = el as HTMLElement | null;
  return !!t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
}

function Canvas() {
  const s = useCanvas();
  const catalog = useCatalog();
  useLiveQuotes(catalog.data?.models);
  const total = useQuotes((q) => q.total);
  const flow = useReactFlow();
  const navigate = useNavigate();
  const { pipelineId } = useParams();
  const [search, setSearch] = useSearchParams();
  const [openDialog, setOpenDialog] = useState(false);
  const [addOpen, setAddOpen] = useState(false);
  const [runError, setRunError] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState<"run" | "save" | null>(null);
  const [showKeys, setShowKeys] = useState(false);
  const loadedRef = useRef<string | null>(null);

  useEffect(() => {
    document.title = "Studio · ReelForge";
    return () => detach();
  }, []);

  // Boxes of a stored run or pipeline may lack a mode: take the model's first one.
  const fillModes = useCallback(
    <T extends { data: { mode: string; model: string } }>(nodes: T[]): T[] => {
      const list = catalog.data?.models ?? [];
      return nodes.map((n) => {
        if (n.data.mode || !n.data.model) return n;
        const m = list.find((x) => x.id === n.data.model);
        return m ? { ...n, data: { ...n.data, mode: m.modes[0] } } : n;
      });
    },
    [catalog.data],
  );

  // Open what the URL names: /studio/:pipelineId or /studio?run=<run id>.
  const runParam = search.get("run");
  useEffect(() => {
    const key = pipelineId ? `p:${pipelineId}` : runParam ? `r:${runParam}` : null;
    if (!key || loadedRef.current === key || !catalog.data) return;
    loadedRef.current = key;
    (async () => {
      try {
        if (pipelineId) {
          const p = await pipelinesApi.get(pipelineId);
          const { nodes, edges } = fromDocument(p.document);
          s.load(fillModes(nodes), edges, { name: p.name, pipelineId: p.id, version: p.version });
        } else if (runParam) {
          const answer = await apiFetch<{ pipeline: Record<string, unknown> }>(`/v1/runs/${encodeURIComponent(runParam)}/pipeline`);
          const { nodes, edges } = fromPipeline(answer.pipeline as Parameters<typeof fromPipeline>[0]);
          s.load(fillModes(nodes), edges, { name: String(answer.pipeline.name || `Run ${runParam}`), pipelineId: null, version: null });
          s.setRun(runParam, null);
          const run = await refreshRun(runParam);
          if (!["succeeded", "failed", "canceled"].includes(run.status)) follow(runParam, new Map(run.steps.map((st) => [st.id, st.node_id])));
        }
        window.setTimeout(() => flow.fitView({ padding: 0.2, maxZoom: 1 }), 50);
      } catch (e) {
        s.notify(e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message, "error");
      }
    })();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pipelineId, runParam, catalog.data]);

  const byId = useMemo(() => new Map(s.nodes.map((n) => [n.id, n])), [s.nodes]);
  const edgeProblems = useMemo(
    () =>
      s.edges
        .map((e) => ({ e, problem: edgeProblem(e.source, e.target, byId, s.edges) }))
        .filter((x): x is { e: (typeof s.edges)[number]; problem: string } => x.problem !== null),
    [s.edges, byId],
  );
  const running = s.runId !== null && s.runStatus !== null && !["succeeded", "failed", "canceled", "cancelled"].includes(s.runStatus);

  const onConnect = useCallback(
    (c: Connection) => {
      const st = useCanvas.getState();
      if (!c.source || !c.target) return;
      const nodes = new Map(st.nodes.map((n) => [n.id, n]));
      const problem = edgeProblem(c.source, c.target, nodes, st.edges);
      if (problem) {
        st.notify(problem, "error");
        return;
      }
      if (wouldCycle(c.source, c.target, st.edges)) {
        st.notify("That edge would make a loop: pipelines flow one way", "error");
        return;
      }
      st.addEdge(c.source, c.target);
    },
    [],
  );

  const addBox = useCallback(
    (mode: Mode | "" = "") => {
      setAddOpen(false);
      const st = useCanvas.getState();
      const sel = st.nodes.find((n) => n.selected);
      const last = sel ?? st.nodes[st.nodes.length - 1];
      const pos = last ? { x: last.position.x + BOX_STEP, y: last.position.y } : { x: 80, y: 100 };
      const id = st.addBox(mode, pos);
      // A box added after a selected one is wired to it when the types allow.
      if (sel) {
        const nodes = new Map(useCanvas.getState().nodes.map((n) => [n.id, n]));
        if (mode && !edgeProblem(sel.id, id, nodes, useCanvas.getState().edges)) useCanvas.getState().addEdge(sel.id, id);
      }
      return id;
    },
    [],
  );

  const run = useCallback(async () => {
    const st = useCanvas.getState();
    setRunError(null);
    const nodes = new Map(st.nodes.map((n) => [n.id, n]));
    const bad = st.edges.map((e) => edgeProblem(e.source, e.target, nodes, st.edges)).find(Boolean);
    if (bad) {
      setRunError(new Error(bad));
      return;
    }
    const doc = toPipeline(st.nodes, st.edges, st.name);
    if (!doc.nodes.length) {
      setRunError(new Error("Add a box and choose its mode and model first."));
      return;
    }
    setBusy("run");
    try {
      await startRun(doc);
    } catch (e) {
      setRunError(e as Error);
    } finally {
      setBusy(null);
    }
  }, []);

  const cancel = useCallback(async () => {
    const id = useCanvas.getState().runId;
    if (!id) return;
    try {
      await apiFetch(`/v1/runs/${encodeURIComponent(id)}/cancel`, { method: "POST" });
      await refreshRun(id);
    } catch (e) {
      setRunError(e as Error);
    }
  }, []);

  const save = useCallback(async () => {
    const st = useCanvas.getState();
    if (!st.nodes.length) {
      st.notify("Nothing to save yet: add a box", "info");
      return;
    }
    setBusy("save");
    try {
      const document = toDocument(st.nodes, st.edges, st.name);
      const saved =
        st.pipelineId && st.pipelineVersion !== null
          ? await pipelinesApi.update(st.pipelineId, st.name, document, st.pipelineVersion)
          : await pipelinesApi.create(st.name, document);
      st.setMeta({ pipelineId: saved.id, version: saved.version, dirty: false });
      st.notify(`Saved “${saved.name}” (version ${saved.version})`, "ok");
      if (!pipelineId || pipelineId !== saved.id) {
        loadedRef.current = `p:${saved.id}`;
        navigate(`/studio/${saved.id}`, { replace: true });
      }
    } catch (e) {
      const err = e as ApiError;
      st.notify(err.code === "VERSION_CONFLICT" ? "Someone saved a newer version: reopen it to see their changes" : `${err.code ?? "Error"}: ${err.message}`, "error");
    } finally {
      setBusy(null);
    }
  }, [navigate, pipelineId]);

  const newCanvas = () => {
    detach();
    loadedRef.current = null;
    s.load([], [], { name: "Untitled pipeline", pipelineId: null, version: null });
    setSearch({});
    navigate("/studio");
  };

  // Keyboard shortcuts (not while typing in a field).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === "s") {
        e.preventDefault();
        void save();
      } else if (mod && key === "enter") {
        e.preventDefault();
        void run();
      } else if (isTyping(e.target)) {
        return;
      } else if (mod && key === "z" && !e.shiftKey) {
        e.preventDefault();
        useCanvas.getState().undo();
      } else if (mod && (key === "y" || (key === "z" && e.shiftKey))) {
        e.preventDefault();
        useCanvas.getState().redo();
      } else if (!mod && key === "b") {
        e.preventDefault();
        addBox();
      } else if (!mod && key === "?") {
        setShowKeys((v) => !v);
      } else if (!mod && key === "f") {
        flow.fitView({ padding: 0.2, maxZoom: 1 });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [save, run, addBox, flow]);

  // Notices fade after a few seconds.
  useEffect(() => {
    if (!s.notice) return;
    const t = window.setTimeout(() => useCanvas.setState({ notice: null }), s.notice.tone === "error" ? 6000 : 3500);
    return () => window.clearTimeout(t);
  }, [s.notice]);

  const runLabel = total ? `Run pipeline · ${total.display}` : "Run pipeline · $0";
  const canRun = !running && busy !== "run" && edgeProblems.length === 0 && s.nodes.some((n) => n.data.model);

  return (
    <div className="studio">
      <div className="studio-toolbar" role="toolbar" aria-label="Canvas">
        <label className="sr-only" htmlFor="pipeline-name">
          Pipeline name
        </label>
        <input id="pipeline-name" className="name-input" value={s.name} onChange={(e) => s.setMeta({ name: e.target.value, dirty: true })} />
        {s.dirty && <span className="muted small" title="Unsaved changes">●</span>}
        <div className="add-box">
          <button className="btn" aria-haspopup="menu" aria-expanded={addOpen} onClick={() => setAddOpen((v) => !v)}>
            <Icon name="plus" size={16} /> Add box
          </button>
          {addOpen && (
            <div className="menu" role="menu" aria-label="Add a box">
              {MODES.map((m) => (
                <button key={m.id} role="menuitem" className="menu-item" onClick={() => addBox(m.id)}>
                  {m.label}
                  <span className="muted small">{m.group}</span>
                </button>
              ))}
              <button role="menuitem" className="menu-item" onClick={() => addBox("")}>
                Empty box <span className="muted small">pick later</span>
              </button>
            </div>
          )}
        </div>
        <button className="btn ghost icon" aria-label="Undo (Ctrl+Z)" title="Undo (Ctrl+Z)" disabled={!s.past.length} onClick={s.undo}>
          <Icon name="undo" />
        </button>
        <button className="btn ghost icon" aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)" disabled={!s.future.length} onClick={s.redo}>
          <Icon name="redo" />
        </button>
        <span className="toolbar-sep" aria-hidden="true" />
        <button className="btn ghost" onClick={newCanvas}>
          New
        </button>
        <button className="btn ghost" onClick={() => setOpenDialog(true)}>
          <Icon name="folder" size={16} /> Open
        </button>
        <button className="btn ghost" onClick={() => void save()} disabled={busy === "save"} title="Save (Ctrl+S)">
          <Icon name="save" size={16} /> {busy === "save" ? "Saving…" : "Save"}
        </button>
        <button className="btn ghost icon" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" onClick={() => setShowKeys((v) => !v)}>
          ?
        </button>
        <span className="spacer" />
        {s.runId && (
          <span className="muted small run-id">
            Run {s.runStatus ?? "…"} · <Link to={`/history/${s.runId}`}>details</Link>
          </span>
        )}
        {running ? (
          <button className="btn danger" onClick={() => void cancel()}>
            Cancel run
          </button>
        ) : null}
        <button className="btn primary run-btn" disabled={!canRun} onClick={() => void run()} data-testid="run-button" title="Run (Ctrl+Enter)">
          <Icon name="play" size={16} /> {busy === "run" ? "Starting…" : runLabel}
        </button>
      </div>
      {(edgeProblems.length > 0 || runError) && (
        <div className="studio-problems" role="alert">
          {edgeProblems.map(({ e, problem }) => (
            <div key={e.id} className="alert error small">
              <strong>
                {e.source} → {e.target}:
              </strong>{" "}
              {problem}{" "}
              <button className="btn ghost small" onClick={() => s.onEdgesChange([{ type: "remove", id: e.id }])}>
                Remove edge
              </button>
            </div>
          ))}
          {runError && (
            <div className="alert error small">
              <strong>{runError instanceof ApiError ? runError.code : "Can't run"}</strong> {runError.message}
              {runError instanceof ApiError && runError.remediation.length > 0 && (
                <ul>
                  {runError.remediation.map((r) => (
                    <li key={r}>{r}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
        </div>
      )}
      <div className="flow-wrap">
        {s.nodes.length === 0 && (
          <div className="canvas-empty">
            <h2>Start a pipeline</h2>
            <p className="muted">Add a box, pick a mode and a model, then chain boxes by dragging from a box's right edge to the next one.</p>
            <div className="row center">
              <button className="btn primary" onClick={() => addBox("t2i")}>
                <Icon name="plus" size={16} /> Text → Image
              </button>
              <button className="btn" onClick={() => addBox("t2v")}>
                Text → Video
              </button>
              <button className="btn" onClick={() => addBox("")}>
                Empty box
              </button>
            </div>
          </div>
        )}
        <ReactFlow
          nodes={s.nodes}
          edges={s.edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={s.onNodesChange}
          onEdgesChange={s.onEdgesChange}
          onConnect={onConnect}
          onNodeDragStart={beginMove}
          onNodeDragStop={s.commitMove}
          deleteKeyCode={["Delete", "Backspace"]}
          minZoom={0.1}
          maxZoom={1.5}
          defaultViewport={{ x: 0, y: 0, zoom: 0.9 }}
          onlyRenderVisibleElements={s.nodes.length > 60}
          proOptions={{ hideAttribution: true }}
          colorMode="system"
        >
          <CanvasBackground />
          <Controls showInteractive={false} />
          {s.nodes.length > 0 && s.nodes.length <= MINIMAP_MAX && <MiniMap pannable zoomable ariaLabel="Canvas overview" nodeColor={minimapColor} nodeStrokeWidth={0} maskColor="rgba(100, 116, 139, 0.12)" />}
        </ReactFlow>
      </div>
      {showKeys && (
        <div className="keys-panel" role="dialog" aria-label="Keyboard shortcuts">
          <div className="row">
            <strong>Shortcuts</strong>
            <span className="spacer" />
            <button className="btn ghost icon" aria-label="Close shortcuts" onClick={() => setShowKeys(false)}>
              <Icon name="close" size={14} />
            </button>
          </div>
          <dl className="kv small">
            <dt>B</dt>
            <dd>Add a box (wired after the selected one)</dd>
            <dt>Ctrl+Z / Ctrl+Shift+Z</dt>
            <dd>Undo / redo</dd>
            <dt>Ctrl+S</dt>
            <dd>Save</dd>
            <dt>Ctrl+Enter</dt>
            <dd>Run</dd>
            <dt>Delete</dt>
            <dd>Remove the selected boxes or edges</dd>
            <dt>F</dt>
            <dd>Fit the canvas to the screen</dd>
          </dl>
        </div>
      )}
      {openDialog && (
        <OpenDialog
          onClose={() => setOpenDialog(false)}
          onOpen={(id) => {
            setOpenDialog(false);
            loadedRef.current = null;
            navigate(`/studio/${id}`);
          }}
        />
      )}
      {s.notice && (
        <div className={`toast ${s.notice.tone}`} role={s.notice.tone === "error" ? "alert" : "status"} data-testid="toast">
          {s.notice.text}
        </div>
      )}
    </div>
  );
}

export default function StudioPage() {
  return (
    <ReactFlowProvider>
      <Canvas />
    </ReactFlowProvider>
  );
}
