/** Run the canvas: POST /v1/runs, then follow each box over SSE (GET /v1/runs/{id}/events). */
import { apiFetch } from "../api/client";
import type { PipelineDoc } from "./rules";
import { useCanvas } from "./store";
import { kindOfMime, type BoxRun, type Kind, type OutputRef, type StepStatus } from "./types";

interface StepError {
  code?: string;
  message?: string;
  remediation?: string[] | string;
  preset_message?: string;
  preset_remediation?: string[] | string;
}

export interface RunStep {
  id: string;
  node_id: string;
  model: string;
  served_by: string | null;
  mode: string;
  status: StepStatus;
  progress: number | null;
  implicit: boolean;
  outputs: string[];
  output_urls?: string[];
  error: StepError | null;
  cost_micros: number | null;
  depends_on: string[];
}

export interface RunInfo {
  id: string;
  status: string;
  quote_micros: number | null;
  cost_micros: number | null;
  cost?: string;
  error: StepError | null;
  steps: RunStep[];
  remediation?: string[];
  error_code?: string | null;
}

const RUN_EVENTS = [
  "run.created",
  "run.succeeded",
  "run.failed",
  "run.canceled",
  "run.cancelled",
  "step.submitting",
  "step.submitted",
  "step.progress",
  "step.collecting",
  "step.succeeded",
  "step.failed",
  "step.retry",
  "step.fallback",
  "step.resubmit",
  "step.skipped",
  "step.canceled",
  "budget.warning",
];
const FINAL = new Set(["succeeded", "failed", "canceled", "cancelled"]);

const kinds = new Map<string, Kind>();
async function artifactKind(id: string): Promise<Kind> {
  const hit = kinds.get(id);
  if (hit) return hit;
  try {
    const a = await apiFetch<{ media_type?: string; content_type?: string }>(`/v1/artifacts/${encodeURIComponent(id)}`);
    const k = kindOfMime(a.media_type ?? a.content_type);
    kinds.set(id, k);
    return k;
  } catch {
    return "image";
  }
}

function asList(v: string[] | string | undefined): string[] {
  if (!v) return [];
  return Array.isArray(v) ? v : [v];
}

async function outputsOf(step: RunStep): Promise<OutputRef[]> {
  const urls = step.output_urls ?? step.outputs.map((id) => `/v1/artifacts/${encodeURIComponent(id)}/content`);
  return Promise.all(step.outputs.map(async (id, i) => ({ artifact_id: id, url: urls[i], kind: await artifactKind(id) })));
}

/** Bring every box up to date with the run as the server has it. */
export async function refreshRun(runId: string): Promise<RunInfo> {
  const run = await apiFetch<RunInfo>(`/v1/runs/${encodeURIComponent(runId)}`);
  const s = useCanvas.getState();
  if (s.runId !== runId) return run;
  for (const step of run.steps) {
    const outputs = await outputsOf(step);
    if (step.implicit || step.node_id.includes("~")) {
      // "<target>~<slot>~last-frame": the frame shown on the edge that feeds <target>.
      const target = step.node_id.split("~")[0];
      const url = outputs[0]?.url;
      if (url) {
        for (const e of useCanvas.getState().edges) if (e.target === target) useCanvas.getState().setEdgeFrame(`${e.source}->${target}`, url);
      }
      continue;
    }
    const err = step.error;
    const patch: Partial<BoxRun> = {
      status: step.status,
      progress: step.status === "succeeded" ? 1 : step.progress,
      outputs,
      cost_micros: step.cost_micros,
      served_by: step.served_by,
      error: err
        ? {
            code: err.code ?? "FAILED",
            message: err.preset_message ?? err.message ?? "The step failed.",
            remediation: [...asList(err.remediation), ...asList(err.preset_remediation)],
          }
        : null,
    };
    useCanvas.getState().setBoxRun(step.node_id, patch);
  }
  useCanvas.getState().setRun(runId, run.status);
  return run;
}

let source: EventSource | null = null;
let poll: number | undefined;

export function detach() {
  source?.close();
  source = null;
  window.clearInterval(poll);
}

/** Follow a run: SSE for live status and progress, a slow poll as a safety net. */
export function follow(runId: string, stepToNode: Map<string, string>) {
  detach();
  const es = new EventSource(`/v1/runs/${encodeURIComponent(runId)}/events`, { withCredentials: true });
  source = es;
  let refreshing: Promise<unknown> | null = null;
  const refresh = () => {
    if (!refreshing) {
      refreshing = refreshRun(runId)
        .then((run) => {
          if (FINAL.has(run.status)) detach();
        })
        .catch(() => undefined)
        .finally(() => (refreshing = null));
    }
  };
  const onEvent = (ev: MessageEvent) => {
    if (useCanvas.getState().runId !== runId) return;
    let data: Record<string, unknown> = {};
    try {
      data = JSON.parse(ev.data);
    } catch {
      /* keep-alive or plain text */
    }
    const type = ev.type;
    const node = (data.node as string | undefined) ?? stepToNode.get(String(data.step_id ?? ""));
    const st = useCanvas.getState();
    if (node && !node.includes("~")) {
      if (type === "step.progress") {
        st.setBoxRun(node, { status: "collecting", progress: typeof data.progress === "number" ? data.progress : null, message: data.message as string | undefined });
      } else if (type === "step.submitting") st.setBoxRun(node, { status: "submitting", progress: null });
      else if (type === "step.submitted") st.setBoxRun(node, { status: "submitted" });
      else if (type === "step.retry" || type === "step.fallback" || type === "step.resubmit")
        st.setBoxRun(node, { message: `${type.replace("step.", "")}: ${String(data.reason ?? data.model ?? "")}`.trim() });
    }
    if (type === "step.succeeded" || type === "step.failed" || type === "step.skipped" || type === "step.canceled" || type.startsWith("run.")) refresh();
    if (type === "run.succeeded" || type === "run.failed" || type === "run.canceled" || type === "run.cancelled") {
      st.setRun(runId, type.slice(4));
    }
  };
  for (const name of RUN_EVENTS) es.addEventListener(name, onEvent as EventListener);
  es.onmessage = onEvent;
  es.onerror = () => {
    // The browser reconnects with Last-Event-ID; the poll below covers a server that closed it.
  };
  poll = window.setInterval(refresh, 2500);
}

/** Start the canvas as a run; every box goes to "queued" until its step moves. */
export async function startRun(doc: PipelineDoc): Promise<RunInfo> {
  const s = useCanvas.getState();
  s.resetRuns();
  const run = await apiFetch<RunInfo>("/v1/runs", { method: "POST", body: JSON.stringify({ pipeline: doc }) });
  s.setRun(run.id, run.status);
  const stepToNode = new Map<string, string>();
  for (const step of run.steps) {
    stepToNode.set(step.id, step.node_id);
    if (!step.node_id.includes("~")) s.setBoxRun(step.node_id, { status: step.status, progress: null, outputs: [], error: null });
  }
  follow(run.id, stepToNode);
  return run;
}

/** Open a past run: its pipeline onto the canvas, its results into the boxes. */
export async function reopenRun(runId: string) {
  const doc = await apiFetch<Record<string, unknown>>(`/v1/runs/${encodeURIComponent(runId)}/pipeline`);
  return doc;
}
