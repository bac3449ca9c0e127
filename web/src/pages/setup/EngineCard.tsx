/** The local engine card (seed 001 §4.3): ComfyUI's status, start / stop / restart and its
 * log; the built-in media engine beside it (nothing to install). */
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { ErrorBox, Loading, StatusBadge, type HealthRow } from "./common";

type EngineOut = components["schemas"]["EngineOut"];
type Action = "start" | "stop" | "restart";

function EngineLogs({ engine }: { engine: string }) {
  const [open, setOpen] = useState(false);
  const logs = useQuery({
    queryKey: ["setup", "engine-logs", engine],
    queryFn: async () => unwrap(await api.GET("/v1/setup/engines/{engine}/logs", { params: { path: { engine }, query: { lines: 200 } } })),
    enabled: open,
    refetchInterval: open ? 3000 : false,
  });
  return (
    <details className="engine-logs" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>Logs</summary>
      {logs.isPending && open && <Loading label="Loading the log…" />}
      {logs.isError && <ErrorBox error={logs.error} title="Could not read the log" />}
      {logs.data && (
        <>
          <p className="small muted mono">{logs.data.path}</p>
          {logs.data.lines.length === 0 ? (
            <p className="small muted">The log is empty: the engine has not been started from here yet.</p>
          ) : (
            <pre className="log" tabIndex={0} aria-label="ComfyUI log">
              {logs.data.lines.join("\n")}
            </pre>
          )}
        </>
      )}
    </details>
  );
}

export function ComfyCard({ row, canControl }: { row?: HealthRow; canControl: boolean }) {
  const qc = useQueryClient();
  const status = useQuery({
    queryKey: ["setup", "engine", "comfyui"],
    queryFn: async () => unwrap(await api.GET("/v1/setup/engines/{engine}", { params: { path: { engine: "comfyui" } } })),
    refetchInterval: (q) => ((q.state.data as EngineOut | undefined)?.status === "starting" ? 1500 : false),
  });
  const act = useMutation({
    mutationFn: async (action: Action) => {
      const path = { engine: "comfyui" };
      if (action === "start") return unwrap(await api.POST("/v1/setup/engines/{engine}/start", { params: { path } }));
      if (action === "stop") return unwrap(await api.POST("/v1/setup/engines/{engine}/stop", { params: { path } }));
      return unwrap(await api.POST("/v1/setup/engines/{engine}/restart", { params: { path } }));
    },
    onSuccess: (out) => {
      qc.setQueryData(["setup", "engine", "comfyui"], out);
      void qc.invalidateQueries({ queryKey: ["setup", "health"] });
      void qc.invalidateQueries({ queryKey: ["setup", "engine-logs", "comfyui"] });
    },
  });
  const e = status.data;
  const running = e?.status === "running" || e?.status === "starting";
  const busy = act.isPending;
  return (
    <section className="card engine-card" aria-labelledby="engine-comfyui">
      <div className="card-head">
        <div className="provider-title">
          <span className="provider-logo engine" aria-hidden="true">
            C
          </span>
          <div>
            <h3 id="engine-comfyui">ComfyUI (local)</h3>
            <p className="small muted provider-note">Runs image and video workflows on this machine's GPU.</p>
          </div>
        </div>
        {e ? <StatusBadge status={e.status} /> : <StatusBadge tone="none" label="Checking…" />}
      </div>
      {status.isPending && <Loading label="Checking the engine…" />}
      {status.isError && <ErrorBox error={status.error} title="Could not read the engine" />}
      {e && (
        <>
          <dl className="kv">
            <dt>Address</dt>
            <dd className="mono">{e.url}</dd>
            <dt>Folder</dt>
            <dd className="mono">{e.folder ?? "not set"}</dd>
            {e.pid && (
              <>
                <dt>Process</dt>
                <dd>
                  pid {e.pid}
                  {e.managed ? " (started by ReelForge)" : ""}
                </dd>
              </>
            )}
          </dl>
          {e.remediation && <p className="alert small engine-fix">{e.remediation}</p>}
          {row?.sandbox_fallback === true && (
            <p className="small muted">Sandbox mode: until it runs, the built-in ComfyUI emulator answers its workflows.</p>
          )}
          {e.error && <p className="alert error small">{e.error}</p>}
          <div className="row engine-actions">
            <button className="btn primary small" disabled={!canControl || busy || running || !e.can_start} onClick={() => act.mutate("start")}>
              Start
            </button>
            <button className="btn small" disabled={!canControl || busy || !running || !e.managed} onClick={() => act.mutate("stop")}>
              Stop
            </button>
            <button className="btn small" disabled={!canControl || busy || !e.can_start} onClick={() => act.mutate("restart")}>
              Restart
            </button>
            {busy && <span className="spinner" aria-label="Working" role="status" />}
          </div>
        </>
      )}
      {act.isError && <ErrorBox error={act.error} title="The engine did not answer" />}
      {canControl && <EngineLogs engine="comfyui" />}
    </section>
  );
}

export function LocalEngineCard({ row }: { row?: HealthRow }) {
  const detail = (row?.detail ?? {}) as { ffmpeg?: string | null; upscaler?: string | null; voices?: string[] };
  return (
    <section className="card engine-card" aria-labelledby="engine-local">
      <div className="card-head">
        <div className="provider-title">
          <span className="provider-logo engine" aria-hidden="true">
            L
          </span>
          <div>
            <h3 id="engine-local">{row?.name ?? "Local media engine"}</h3>
            <p className="small muted provider-note">Built in: trims, stitches, upscales, speaks. Nothing to install.</p>
          </div>
        </div>
        {row ? <StatusBadge status={row.status} /> : <StatusBadge tone="none" label="Checking…" />}
      </div>
      {row && (
        <dl className="kv">
          <dt>ffmpeg</dt>
          <dd className="mono">{detail.ffmpeg ?? "missing"}</dd>
          <dt>Upscaler</dt>
          <dd>{detail.upscaler ?? "built-in Lanczos"}</dd>
          <dt>Voices</dt>
          <dd>{detail.voices?.length ? detail.voices.join(", ") : "none"}</dd>
        </dl>
      )}
      {row?.error && <p className="alert error small">{row.error}</p>}
    </section>
  );
}
