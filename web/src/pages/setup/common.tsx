/** Pieces the setup hub and the credits page share: the error box and status badges. */
import type { ReactNode } from "react";
import { ApiError } from "../../api/client";
import type { components } from "../../api/schema";

export type HealthRow = components["schemas"]["HealthRow"] & Record<string, unknown>;
export type HealthMatrix = components["schemas"]["HealthMatrixOut"];
export type Balance = components["schemas"]["BalanceOut"];

/** An error as the contract says to show it: code, message and the remediation steps. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  const e = error instanceof ApiError ? error : null;
  const message = e ? e.message : error instanceof Error ? error.message : String(error);
  return (
    <div className="alert error" role="alert">
      <div className="err-head">
        {title && <strong>{title}</strong>}
        {e && <code className="err-code">{e.code}</code>}
      </div>
      <p className="err-message">{message}</p>
      {e && e.remediation.length > 0 && (
        <div className="err-fix">
          <span className="small muted">How to fix it</span>
          <ul>
            {e.remediation.map((step, i) => (
              <li key={i}>{step}</li>
            ))}
          </ul>
        </div>
      )}
      {e?.requestId && <p className="small muted">Request {e.requestId}</p>}
    </div>
  );
}

export type Tone = "ok" | "warn" | "err" | "info" | "none";

/** Status words of the healthcheck rows → a colour. */
export function toneOf(status: string | null | undefined): Tone {
  switch (status) {
    case "connected":
    case "running":
    case "ok":
    case "installed":
    case "succeeded":
      return "ok";
    case "starting":
    case "warning":
    case "sandbox":
      return "warn";
    case "error":
    case "failed":
      return "err";
    case "not_connected":
    case "not_installed":
    case "none":
      return "none";
    default:
      return "info";
  }
}

export function statusLabel(status: string | null | undefined): string {
  if (!status) return "unknown";
  if (status === "ok") return "OK";
  const s = status.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function StatusBadge({ status, label, tone }: { status?: string | null; label?: ReactNode; tone?: Tone }) {
  const t = tone ?? toneOf(status);
  return (
    <span className={`badge status-badge ${t === "none" ? "" : t}`}>
      <span className={`dot dot-${t}`} aria-hidden="true" />
      {label ?? statusLabel(status)}
    </span>
  );
}

/** A provider balance in its own unit: "100,000 credits", "$25.00". */
export function formatBalance(b: Balance | string | null | undefined, none = "not reported"): string {
  if (b === null || b === undefined) return none;
  if (typeof b === "string") return b.charAt(0).toUpperCase() + b.slice(1);
  if (b.amount === null || b.amount === undefined) return `unknown ${b.unit}`;
  if (b.unit === "USD") return `$${b.amount.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `${b.amount.toLocaleString()} ${b.unit}`;
}

export function Loading({ label }: { label: string }) {
  return (
    <div className="loading-block" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </div>
  );
}
