/** Edge type rules and the canvas → pipeline document translation. */
import type { Edge, Node } from "@xyflow/react";
import { MODE_BY_ID, type BoxData, type Kind } from "./types";

export type BoxNode = Node<BoxData, "box">;

/** What a box outputs: its mode's kind, or for upscale/edit the kind it receives. */
export function outputKind(id: string, nodes: Map<string, BoxNode>, edges: Edge[], seen = new Set<string>()): Kind | null {
  const node = nodes.get(id);
  if (!node || !node.data.mode) return null;
  const info = MODE_BY_ID[node.data.mode];
  if (info.output) return info.output;
  if (seen.has(id)) return "image";
  seen.add(id);
  for (const e of edges) {
    if (e.target === id) {
      const k = outputKind(e.source, nodes, edges, seen);
      if (k) return k;
    }
  }
  const upload = node.data.inputs[0];
  return upload ? upload.kind : "image";
}

/** Why an edge from `source` into `target` is refused, or null when it is fine. */
export function edgeProblem(sourceId: string, targetId: string, nodes: Map<string, BoxNode>, edges: Edge[]): string | null {
  if (sourceId === targetId) return "A box can't feed itself";
  const target = nodes.get(targetId);
  const kind = outputKind(sourceId, nodes, edges);
  if (!target?.data.mode || !kind) return null; // not decided yet: checked again when it is
  const info = MODE_BY_ID[target.data.mode];
  if (info.id === "v2v" && kind !== "video") return "Video→Video needs a video input";
  if (info.accepts.length === 0) return `${info.label} takes no media input (pick another mode, e.g. ${info.output === "video" ? "Image → Video" : "Image → Image"})`;
  if (!info.accepts.includes(kind)) return `${info.label} can't take ${kind === "audio" ? "an audio" : `a ${kind}`} input`;
  return null;
}

export function wouldCycle(sourceId: string, targetId: string, edges: Edge[]): boolean {
  // Adding source → target closes a cycle if target already reaches source.
  const out = new Map<string, string[]>();
  for (const e of edges) out.set(e.source, [...(out.get(e.source) ?? []), e.target]);
  const stack = [targetId];
  const seen = new Set<string>();
  while (stack.length) {
    const n = stack.pop()!;
    if (n === sourceId) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(out.get(n) ?? []));
  }
  return false;
}

export interface PipelineNode {
  id: string;
  model: string;
  mode: string;
  prompt?: string;
  negative_prompt?: string;
  params: Record<string, unknown>;
  inputs: { artifact_id: string; slot: string; kind: Kind }[];
  position: { x: number; y: number };
  consent?: boolean;
}

export interface PipelineDoc {
  version: 1;
  name: string;
  nodes: PipelineNode[];
  edges: { from: string; to: string }[];
}

/** The document POST /v1/runs and /v1/quotes accept (boxes without a model are left out). */
export function toPipeline(nodes: BoxNode[], edges: Edge[], name = "", opts: { placeholderPrompts?: boolean } = {}): PipelineDoc {
  const ready = nodes.filter((n) => n.data.mode && n.data.model);
  const ids = new Set(ready.map((n) => n.id));
  return {
    version: 1,
    name,
    nodes: ready.map((n) => {
      const d = n.data;
      const node: PipelineNode = {
        id: n.id,
        model: d.model,
        mode: d.mode,
        params: cleanParams(d.params),
        inputs: d.inputs.map((i) => ({ artifact_id: i.artifact_id, slot: i.slot, kind: i.kind })),
        position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      };
      const prompt = d.prompt.trim() || (opts.placeholderPrompts ? "quote" : "");
      if (prompt) node.prompt = prompt;
      if (d.negative_prompt.trim()) node.negative_prompt = d.negative_prompt.trim();
      if (d.consent) node.consent = true;
      return node;
    }),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ from: e.source, to: e.target })),
  };
}

function cleanParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === "" || v === undefined || v === null || (typeof v === "number" && Number.isNaN(v))) continue;
    out[k] = v;
  }
  return out;
}

/** A stored document (a run's pipeline or a saved one) back into boxes and edges. */
export function fromPipeline(doc: {
  nodes?: Array<Record<string, unknown>>;
  edges?: Array<Record<string, unknown>>;
  layout?: { positions?: Record<string, { x: number; y: number }> };
}): { nodes: BoxNode[]; edges: Edge[] } {
  const positions = doc.layout?.positions ?? {};
  const nodes: BoxNode[] = (doc.nodes ?? []).map((raw, i) => {
    const id = String(raw.id);
    const pos = positions[id] ?? (raw.position as { x: number; y: number } | undefined);
    const hasPos = pos && (pos.x !== 0 || pos.y !== 0);
    return {
      id,
      type: "box",
      position: hasPos ? { x: pos.x, y: pos.y } : { x: 80 + i * 440, y: 120 },
      data: {
        mode: (raw.mode as BoxData["mode"]) ?? "",
        model: String(raw.model ?? ""),
        prompt: String(raw.prompt ?? ""),
        negative_prompt: String(raw.negative_prompt ?? ""),
        params: { ...((raw.params as Record<string, unknown>) ?? {}) },
        inputs: ((raw.inputs as Array<Record<string, unknown>>) ?? [])
          .filter((x) => x.artifact_id)
          .map((x) => ({ artifact_id: String(x.artifact_id), slot: String(x.slot ?? x.kind ?? "image"), kind: (x.kind as Kind) ?? "image" })),
        consent: Boolean(raw.consent),
      },
    };
  });
  const edges: Edge[] = (doc.edges ?? []).map((raw) => {
    const source = String(raw.from ?? raw.source).split(".")[0];
    const target = String(raw.to ?? raw.target).split(".")[0];
    return { id: `e-${source}-${target}`, source, target, type: "typed" };
  });
  return { nodes, edges };
}
