/** "Copy details" (seed 001 §8.5): the error, the run, who served it, the times, the
 * versions and the last log lines, redacted, ready for a bug report.
 *
 * The server writes the core block (GET /v1/runs/{id}/details, already scrubbed); the
 * studio adds what only it knows (the failed step, the request id, its own version) and
 * scrubs the whole text again so nothing that looks like a key ever reaches a clipboard. */
import { ApiError } from "../../api/client";
import { redact } from "./redact";
import { asList, type Run, type RunError } from "./types";

export { redact };

async function serverVersion(): Promise<string> {
  try {
    const res = await fetch("/healthz", { credentials: "same-origin" });
    const body = (await res.json()) as { version?: string; sandbox?: boolean };
    return `ReelForge ${body.version ?? "?"}${body.sandbox ? " (sandbox)" : ""}`;
  } catch {
    return "ReelForge ?";
  }
}

function studioVersion(): string {
  const script = document.querySelector<HTMLScriptElement>('script[type="module"][src*="/assets/"]');
  const build = script?.src.match(/index-([\w-]+)\.js/)?.[1];
  return `studio ${build ?? "dev"}`;
}

function failedStep(run: Run) {
  return run.steps.find((s) => s.status === "failed" && s.error) ?? run.steps.find((s) => s.error);
}

function detailProvider(error: RunError | null): string | null {
  const detail = error?.detail;
  if (detail && typeof detail === "object" && "provider" in detail) return String((detail as Record<string, unknown>).provider);
  return null;
}

/** The text for a run: the server's block plus the studio's own facts. */
export async function runDetailsText(run: Run): Promise<string> {
  const res = await fetch(`/v1/runs/${encodeURIComponent(run.id)}/details?lines=10`, { credentials: "same-origin", headers: { Accept: "text/plain" } });
  if (!res.ok) throw await ApiError.fromResponse(res);
  const core = await res.text();
  const requestId = res.headers.get("x-request-id") ?? run.error?.request_id ?? "-";
  const step = failedStep(run);
  const extra = [
    "--- ReelForge run details (secrets redacted) ---",
    step ? `Step: ${step.node_id} (${step.id}) · ${step.status} · attempt ${step.attempts}` : "Step: -",
    step ? `Model: ${step.model}${step.served_by && step.served_by !== step.model ? ` (served by ${step.served_by})` : ""}` : null,
    step ? `Provider: ${step.provider ?? detailProvider(step.error) ?? "-"}` : null,
    `Started: ${run.created_at}`,
    `Finished: ${run.finished_at ?? "-"}`,
    `Request ID: ${requestId}`,
    `Versions: ${await serverVersion()}, ${studioVersion()}, ${navigator.userAgent}`,
    "",
  ].filter((l): l is string => l !== null);
  return redact(extra.join("\n") + core);
}

/** The text for an error that stopped a run before it started (an API error). */
export async function apiErrorDetailsText(err: ApiError | RunError, context: Record<string, string | null | undefined>): Promise<string> {
  const e = err instanceof ApiError ? { code: err.code, message: err.message, remediation: err.remediation, detail: err.detail, request_id: err.requestId } : err;
  const lines = [
    "--- ReelForge error details (secrets redacted) ---",
    `Error: ${e.code ?? "ERROR"}`,
    `Message: ${e.message ?? "-"}`,
    ...(asList(e.remediation).length ? ["Remediation:", ...asList(e.remediation).map((r) => `  - ${r}`)] : []),
    e.detail ? `Detail: ${JSON.stringify(e.detail)}` : null,
    ...Object.entries(context).map(([k, v]) => `${k}: ${v ?? "-"}`),
    `Request ID: ${e.request_id ?? "-"}`,
    `Timestamp: ${new Date().toISOString()}`,
    `Versions: ${await serverVersion()}, ${studioVersion()}, ${navigator.userAgent}`,
  ].filter((l): l is string => l !== null);
  return redact(lines.join("\n") + "\n");
}

export async function writeClipboard(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    /* no clipboard permission: fall back to a selected textarea */
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}
