/** Export Diagnostics (seed 001 §4.6): the server's redacted JSON bundle as a file download. */
import { ApiError } from "../../api/client";

export async function downloadDiagnostics(): Promise<string> {
  const res = await fetch("/v1/setup/diagnostics", { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!res.ok) throw await ApiError.fromResponse(res);
  const disposition = res.headers.get("Content-Disposition") ?? "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? "reelforge-diagnostics.json";
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
