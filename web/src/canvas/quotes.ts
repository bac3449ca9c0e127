/**
 * Live prices: POST /v1/quotes with the canvas (debounced), per-box chips and the total.
 * Boxes the planner refuses for now (a missing input, say) are left out and quoted again
 * without them, so every other chip stays live; those show the catalog price instead.
 */
import { useEffect, useRef } from "react";
import { create } from "zustand";
import { ApiError, apiFetch } from "../api/client";
import { formatMicros } from "../lib/format";
import type { CatalogModel } from "./catalog";
import { edgeProblem, toPipeline, type BoxNode } from "./rules";
import { useCanvas } from "./store";
import type { Edge } from "@xyflow/react";

export interface Chip {
  display: string;
  micros: number | null;
  known: boolean;
  /** "quote" = planned by the server; "catalog" = the model's listed price (not yet quotable). */
  source: "quote" | "catalog" | "none";
  problem?: string;
}

interface QuoteState {
  chips: Record<string, Chip>;
  total: { display: string; micros: number; known: boolean } | null;
  pending: boolean;
  warnings: string[];
  /** Bumped on every answer: benchmarks and tests wait for it. */
  seq: number;
  updatedAt: number;
}

export const useQuotes = create<QuoteState>(() => ({ chips: {}, total: null, pending: false, warnings: [], seq: 0, updatedAt: 0 }));

interface QuoteNode {
  id: string;
  known: boolean;
  micros: number | null;
  display: string;
  implicit: boolean;
  warnings?: string[];
}
interface QuoteAnswer {
  nodes: QuoteNode[];
  total: { micros: number | null; known: boolean; display: string };
  warnings: string[];
}

export function validEdges(nodes: BoxNode[], edges: Edge[]): Edge[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return edges.filter((e) => !edgeProblem(e.source, e.target, byId, edges));
}

function quoteDoc(nodes: BoxNode[], edges: Edge[], skip: Set<string>) {
  const keep = nodes.filter((n) => !skip.has(n.id));
  const doc = toPipeline(keep, validEdges(keep, edges), "", { placeholderPrompts: true });
  // Positions do not change prices: leave them out so a drag never re-quotes.
  return { ...doc, nodes: doc.nodes.map(({ position: _p, ...rest }) => rest) };
}

function problemNodes(e: unknown): { node: string; message: string }[] {
  if (!(e instanceof ApiError)) return [];
  const problems = (e.detail as { problems?: { node?: string; message?: string }[] } | null)?.problems ?? [];
  return problems.filter((p) => p.node).map((p) => ({ node: String(p.node), message: String(p.message ?? e.message) }));
}

/** The document without its prompts: when only a prompt changed, typing is debounced longer. */
function settingsSig(doc: ReturnType<typeof quoteDoc>): string {
  return JSON.stringify({ ...doc, nodes: doc.nodes.map(({ prompt: _p, negative_prompt: _n, ...rest }) => rest) });
}

/** A settings change is quoted at once (an older request in flight is aborted); prompt typing waits a little. */
export function useLiveQuotes(models: CatalogModel[] | undefined, delayMs = 0, typingDelayMs = 200) {
  const nodes = useCanvas((s) => s.nodes);
  const edges = useCanvas((s) => s.edges);
  const lastSig = useRef("");
  const lastSettings = useRef("");
  const timer = useRef<number | undefined>(undefined);
  const ctrl = useRef<AbortController | null>(null);
  const lastRefs = useRef<{ data: unknown[]; edges: Edge[] | null }>({ data: [], edges: null });

  useEffect(() => {
    // A drag makes new node objects but keeps each box's data: nothing to quote then.
    const refs = nodes.map((n) => n.data);
    const prev = lastRefs.current;
    if (prev.edges === edges && prev.data.length === refs.length && refs.every((r, i) => r === prev.data[i])) return;
    lastRefs.current = { data: refs, edges };
    const byModel = new Map((models ?? []).map((m) => [m.id, m]));
    const doc0 = quoteDoc(nodes, edges, new Set());
    const sig = JSON.stringify(doc0);
    if (sig === lastSig.current) return;
    lastSig.current = sig;
    const settings = settingsSig(doc0);
    const onlyPrompts = settings === lastSettings.current;
    lastSettings.current = settings;
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(async () => {
      ctrl.current?.abort();
      const c = new AbortController();
      ctrl.current = c;
      useQuotes.setState({ pending: true });
      const chips: Record<string, Chip> = {};
      for (const n of nodes) {
        if (!n.data.model) chips[n.id] = { display: "$0", micros: 0, known: true, source: "none" };
      }
      const skip = new Set<string>();
      let answer: QuoteAnswer | null = null;
      for (let attempt = 0; attempt < 3; attempt++) {
        const doc = quoteDoc(nodes, edges, skip);
        if (doc.nodes.length === 0) break;
        try {
          answer = await apiFetch<QuoteAnswer>("/v1/quotes", { method: "POST", body: JSON.stringify(doc), signal: c.signal });
          break;
        } catch (e) {
          if (c.signal.aborted) return;
          const bad = problemNodes(e);
          if (!bad.length) {
            // Not about a node: show the catalog prices and the reason.
            for (const n of doc.nodes) skip.add(n.id);
            for (const n of doc.nodes) chips[n.id] = { ...catalogChip(byModel.get(n.model)), problem: (e as Error).message };
            break;
          }
          for (const b of bad) {
            skip.add(b.node);
            const model = nodes.find((n) => n.id === b.node)?.data.model;
            chips[b.node] = { ...catalogChip(model ? byModel.get(model) : undefined), problem: b.message };
          }
        }
      }
      if (c.signal.aborted) return;
      let micros = 0;
      let known = true;
      const warnings: string[] = [];
      if (answer) {
        // Implicit steps (a last frame, say) belong to the box they feed: "<box>~<slot>~last-frame".
        for (const q of answer.nodes) {
          const owner = q.implicit ? q.id.split("~")[0] : q.id;
          const prev = chips[owner];
          if (prev && prev.source === "quote") {
            const sum = (prev.micros ?? 0) + (q.micros ?? 0);
            const k = prev.known && q.known;
            chips[owner] = { display: k ? formatMicros(sum) : "unknown", micros: k ? sum : null, known: k, source: "quote" };
          } else {
            chips[owner] = { display: q.known ? q.display : "unknown", micros: q.micros, known: q.known, source: "quote" };
          }
          warnings.push(...(q.warnings ?? []).map((w) => `${owner}: ${w}`));
        }
        warnings.push(...answer.warnings);
      }
      for (const [, chip] of Object.entries(chips)) {
        if (chip.source === "none") continue;
        if (!chip.known || chip.micros === null) known = false;
        else micros += chip.micros;
      }
      useQuotes.setState((s) => ({
        chips,
        total: { micros, known, display: known ? formatMicros(micros) : `≥ ${formatMicros(micros)} + unknown` },
        pending: false,
        warnings,
        seq: s.seq + 1,
        updatedAt: performance.now(),
      }));
    }, onlyPrompts ? typingDelayMs : delayMs);
  }, [nodes, edges, models, delayMs, typingDelayMs]);

  useEffect(() => () => ctrl.current?.abort(), []);
}

function catalogChip(m: CatalogModel | undefined): Chip {
  if (!m) return { display: "unknown", micros: null, known: false, source: "catalog" };
  return { display: m.price.known ? m.price.display : "unknown", micros: m.price.known ? m.price.micros : null, known: m.price.known, source: "catalog" };
}
