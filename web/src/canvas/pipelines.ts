/** Saved pipelines (/v1/pipelines, versioned): the canvas document plus its layout. */
import { apiFetch } from "../api/client";
import { fromPipeline, toPipeline, type BoxNode } from "./rules";
import type { Edge } from "@xyflow/react";

export interface SavedPipeline {
  id: string;
  name: string;
  version: number;
  document: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export function listOf<T>(answer: unknown, key: string): T[] {
  if (Array.isArray(answer)) return answer as T[];
  const a = answer as Record<string, unknown>;
  for (const k of [key, "items", "data", "results"]) if (Array.isArray(a?.[k])) return a[k] as T[];
  return [];
}

/** What /v1/pipelines stores: the runnable document, boxes without a model kept in layout. */
export function toDocument(nodes: BoxNode[], edges: Edge[], name: string): Record<string, unknown> {
  const doc = toPipeline(nodes, edges, name);
  const drafts = nodes.filter((n) => !n.data.mode || !n.data.model).map((n) => ({ id: n.id, position: n.position, data: n.data }));
  const positions = Object.fromEntries(nodes.map((n) => [n.id, { x: Math.round(n.position.x), y: Math.round(n.position.y) }]));
  const draftEdges = edges
    .filter((e) => drafts.some((d) => d.id === e.source || d.id === e.target))
    .map((e) => ({ from: e.source, to: e.target }));
  return { ...doc, layout: { positions, drafts, draft_edges: draftEdges } };
}

export function fromDocument(document: Record<string, unknown>): { nodes: BoxNode[]; edges: Edge[] } {
  const { nodes, edges } = fromPipeline(document as Parameters<typeof fromPipeline>[0]);
  const layout = (document.layout ?? {}) as { drafts?: { id: string; position: { x: number; y: number }; data: BoxNode["data"] }[]; draft_edges?: { from: string; to: string }[] };
  for (const d of layout.drafts ?? []) nodes.push({ id: d.id, type: "box", position: d.position, data: d.data });
  for (const e of layout.draft_edges ?? []) edges.push({ id: `e-${e.from}-${e.to}`, source: e.from, target: e.to, type: "typed" });
  return { nodes, edges };
}

export const pipelinesApi = {
  list: () => apiFetch<unknown>("/v1/pipelines").then((a) => listOf<SavedPipeline>(a, "pipelines")),
  get: (id: string) => apiFetch<SavedPipeline>(`/v1/pipelines/${encodeURIComponent(id)}`),
  create: (name: string, document: Record<string, unknown>) =>
    apiFetch<SavedPipeline>("/v1/pipelines", { method: "POST", body: JSON.stringify({ name, document }) }),
  update: (id: string, name: string, document: Record<string, unknown>, version: number) =>
    apiFetch<SavedPipeline>(`/v1/pipelines/${encodeURIComponent(id)}`, { method: "PUT", body: JSON.stringify({ name, document, version }) }),
  remove: (id: string) => apiFetch<void>(`/v1/pipelines/${encodeURIComponent(id)}`, { method: "DELETE" }),
};
