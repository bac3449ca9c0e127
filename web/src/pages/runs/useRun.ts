/** Follow one run: its JSON (TanStack Query) refreshed by its Server-Sent Events, with a
 * slow poll as a safety net for a stream that closed early. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { apiFetch } from "../../api/client";
import { FINAL_STATUSES, type Run, type RunEvent } from "./types";

const EVENT_NAMES = [
  "run.created",
  "run.canceling",
  "run.succeeded",
  "run.failed",
  "run.canceled",
  "step.submitting",
  "step.submitted",
  "step.progress",
  "step.succeeded",
  "step.failed",
  "step.skipped",
  "step.canceled",
  "step.retry",
  "step.fallback",
  "step.resubmit",
  "step.poll_error",
];

const REFRESH_ON = /^(run\.|step\.(succeeded|failed|skipped|canceled|submitted|fallback))/;

export function runPath(id: string): string {
  return `/v1/runs/${encodeURIComponent(id)}`;
}

export function useRun(runId: string | null | undefined) {
  const qc = useQueryClient();
  const query = useQuery({
    queryKey: ["run", runId],
    queryFn: () => apiFetch<Run>(runPath(runId!)),
    enabled: Boolean(runId),
    staleTime: 0,
    refetchInterval: (q) => {
      const status = (q.state.data as Run | undefined)?.status;
      return status && FINAL_STATUSES.has(status) ? false : 3000;
    },
  });
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [progress, setProgress] = useState<Record<string, number | null>>({});
  const done = query.data ? FINAL_STATUSES.has(query.data.status) : false;

  useEffect(() => {
    setEvents([]);
    setProgress({});
  }, [runId]);

  useEffect(() => {
    if (!runId || done) return;
    const es = new EventSource(`${runPath(runId)}/events`, { withCredentials: true });
    const onEvent = (ev: MessageEvent) => {
      let data: Record<string, unknown> = {};
      try {
        data = JSON.parse(ev.data) as Record<string, unknown>;
      } catch {
        /* keep-alive */
      }
      const type = ev.type === "message" ? String(data.type ?? "message") : ev.type;
      setEvents((list) => (list.some((e) => e.id === ev.lastEventId && ev.lastEventId) ? list : [...list, { id: ev.lastEventId, type, data }]));
      if (type === "step.progress" && typeof data.step_id === "string") {
        const p = typeof data.progress === "number" ? data.progress : null;
        setProgress((m) => ({ ...m, [data.step_id as string]: p }));
      }
      if (REFRESH_ON.test(type)) void qc.invalidateQueries({ queryKey: ["run", runId] });
      if (type === "run.succeeded" || type === "run.failed" || type === "run.canceled") es.close();
    };
    for (const name of EVENT_NAMES) es.addEventListener(name, onEvent as EventListener);
    es.onmessage = onEvent;
    return () => es.close();
  }, [runId, done, qc]);

  return { ...query, run: query.data, events, progress, done };
}

/** Overall progress of a run, 0..1: finished steps count whole, running ones by their progress. */
export function runProgress(run: Run | undefined, live: Record<string, number | null>): number {
  if (!run) return 0;
  if (FINAL_STATUSES.has(run.status)) return 1;
  const steps = run.steps.filter((s) => !s.implicit);
  if (!steps.length) return 0;
  let sum = 0;
  for (const s of steps) {
    if (FINAL_STATUSES.has(s.status) || s.status === "skipped") sum += 1;
    else sum += live[s.id] ?? s.progress ?? (s.status === "submitted" ? 0.15 : 0.05);
  }
  return Math.min(0.99, sum / steps.length);
}
