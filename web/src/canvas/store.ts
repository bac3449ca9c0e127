/**
 * The canvas state: boxes and edges (undoable), plus what a run reports per box (not undoable).
 * Boxes keep their own data objects, so a change to one box re-renders only that box.
 */
import { applyNodeChanges, type Edge, type EdgeChange, type NodeChange, applyEdgeChanges } from "@xyflow/react";
import { create } from "zustand";
import type { BoxNode } from "./rules";
import { emptyBox, type BoxData, type BoxRun, type Mode } from "./types";

interface Snapshot {
  nodes: BoxNode[];
  edges: Edge[];
}

const HISTORY_LIMIT = 100;

export interface CanvasState {
  nodes: BoxNode[];
  edges: Edge[];
  past: Snapshot[];
  future: Snapshot[];
  /** Coalesces typing into one undo step: same key within a short time = one entry. */
  lastKey: string | null;
  lastAt: number;
  runs: Record<string, BoxRun>;
  /** Outputs of implicit last-frame steps, by "<source>-><target>". */
  edgeFrames: Record<string, string>;
  runId: string | null;
  runStatus: string | null;
  name: string;
  pipelineId: string | null;
  pipelineVersion: number | null;
  dirty: boolean;
  notice: { text: string; tone: "error" | "ok" | "info"; at: number } | null;

  onNodesChange: (changes: NodeChange<BoxNode>[]) => void;
  onEdgesChange: (changes: EdgeChange[]) => void;
  addBox: (mode?: Mode | "", position?: { x: number; y: number }) => string;
  addEdge: (source: string, target: string) => void;
  updateBox: (id: string, patch: Partial<BoxData>, key?: string) => void;
  removeBoxes: (ids: string[]) => void;
  load: (nodes: BoxNode[], edges: Edge[], meta?: { name?: string; pipelineId?: string | null; version?: number | null }) => void;
  undo: () => void;
  redo: () => void;
  commitMove: () => void;
  setRun: (runId: string | null, status: string | null) => void;
  setBoxRun: (id: string, run: Partial<BoxRun>) => void;
  resetRuns: () => void;
  setEdgeFrame: (key: string, url: string) => void;
  setMeta: (meta: { name?: string; pipelineId?: string | null; version?: number | null; dirty?: boolean }) => void;
  notify: (text: string, tone?: "error" | "ok" | "info") => void;
}

let counter = 0;
export function newBoxId(existing: Set<string>): string {
  let id = "";
  do {
    counter += 1;
    id = `box${counter}`;
  } while (existing.has(id));
  return id;
}

export const useCanvas = create<CanvasState>((set, get) => {
  /** Record the current state for undo, then apply `next`. */
  const commit = (next: Partial<CanvasState>, key: string | null = null) => {
    const s = get();
    const now = Date.now();
    const coalesce = key !== null && key === s.lastKey && now - s.lastAt < 1200;
    const past = coalesce ? s.past : [...s.past, { nodes: s.nodes, edges: s.edges }].slice(-HISTORY_LIMIT);
    set({ ...next, past, future: [], lastKey: key, lastAt: now, dirty: true });
  };

  return {
    nodes: [],
    edges: [],
    past: [],
    future: [],
    lastKey: null,
    lastAt: 0,
    runs: {},
    edgeFrames: {},
    runId: null,
    runStatus: null,
    name: "Untitled pipeline",
    pipelineId: null,
    pipelineVersion: null,
    dirty: false,
    notice: null,

    onNodesChange: (changes) => {
      const removing = changes.filter((c) => c.type === "remove");
      if (removing.length) {
        get().removeBoxes(removing.map((c) => (c as { id: string }).id));
        return;
      }
      // Moves, selection and measured sizes are not undo steps (a finished drag is: commitMove).
      set({ nodes: applyNodeChanges(changes, get().nodes) });
    },
    onEdgesChange: (changes) => {
      const removing = changes.some((c) => c.type === "remove");
      const edges = applyEdgeChanges(changes, get().edges);
      if (removing) commit({ edges });
      else set({ edges });
    },
    addBox: (mode = "", position) => {
      const s = get();
      const id = newBoxId(new Set(s.nodes.map((n) => n.id)));
      const last = s.nodes[s.nodes.length - 1];
      const pos = position ?? (last ? { x: last.position.x + 440, y: last.position.y } : { x: 80, y: 100 });
      const node: BoxNode = { id, type: "box", position: pos, data: emptyBox(mode) };
      commit({ nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), { ...node, selected: true }] });
      return id;
    },
    addEdge: (source, target) => {
      const s = get();
      if (s.edges.some((e) => e.source === source && e.target === target)) return;
      commit({ edges: [...s.edges, { id: `e-${source}-${target}`, source, target, type: "typed" }] });
    },
    updateBox: (id, patch, key) => {
      const s = get();
      commit(
        { nodes: s.nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...patch } } : n)) },
        key ? `${id}:${key}` : null,
      );
    },
    removeBoxes: (ids) => {
      const s = get();
      const gone = new Set(ids);
      commit({
        nodes: s.nodes.filter((n) => !gone.has(n.id)),
        edges: s.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)),
      });
    },
    load: (nodes, edges, meta = {}) =>
      set({
        nodes,
        edges,
        past: [],
        future: [],
        lastKey: null,
        runs: {},
        edgeFrames: {},
        runId: null,
        runStatus: null,
        name: meta.name ?? get().name,
        pipelineId: meta.pipelineId === undefined ? get().pipelineId : meta.pipelineId,
        pipelineVersion: meta.version === undefined ? get().pipelineVersion : meta.version,
        dirty: false,
      }),
    undo: () => {
      const s = get();
      const prev = s.past[s.past.length - 1];
      if (!prev) return;
      set({ nodes: prev.nodes, edges: prev.edges, past: s.past.slice(0, -1), future: [{ nodes: s.nodes, edges: s.edges }, ...s.future], lastKey: null, dirty: true });
    },
    redo: () => {
      const s = get();
      const next = s.future[0];
      if (!next) return;
      set({ nodes: next.nodes, edges: next.edges, future: s.future.slice(1), past: [...s.past, { nodes: s.nodes, edges: s.edges }], lastKey: null, dirty: true });
    },
    commitMove: () => {
      // The drag already moved the boxes; record the state before it (kept in dragOrigin).
      const origin = dragOrigin;
      dragOrigin = null;
      if (!origin) return;
      const s = get();
      set({ past: [...s.past, origin].slice(-HISTORY_LIMIT), future: [], lastKey: null, dirty: true });
    },
    setRun: (runId, status) => set({ runId, runStatus: status }),
    setBoxRun: (id, run) => {
      const runs = get().runs;
      const prev = runs[id] ?? { status: "idle", progress: null, outputs: [] };
      set({ runs: { ...runs, [id]: { ...prev, ...run } } });
    },
    resetRuns: () => set({ runs: {}, edgeFrames: {} }),
    setEdgeFrame: (key, url) => set({ edgeFrames: { ...get().edgeFrames, [key]: url } }),
    setMeta: (meta) =>
      set({
        ...(meta.name !== undefined ? { name: meta.name } : {}),
        ...(meta.pipelineId !== undefined ? { pipelineId: meta.pipelineId } : {}),
        ...(meta.version !== undefined ? { pipelineVersion: meta.version } : {}),
        ...(meta.dirty !== undefined ? { dirty: meta.dirty } : {}),
      }),
    notify: (text, tone = "info") => set({ notice: { text, tone, at: Date.now() } }),
  };
});

let dragOrigin: Snapshot | null = null;
/** Called when a drag starts: the state to go back to on undo. */
export function beginMove() {
  const s = useCanvas.getState();
  dragOrigin = { nodes: s.nodes, edges: s.edges };
}
