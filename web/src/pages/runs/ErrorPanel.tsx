/** An error as the seed's copy standard has it (§8.4): the problem, what to do, the
 * alternatives, and a Copy details button (§8.5). */
import { useId, useState } from "react";
import { ApiError } from "../../api/client";
import { Icon } from "../../shell/icons";
import { writeClipboard } from "./copyDetails";
import { asList, type RunError } from "./types";

interface Props {
  error: RunError | ApiError;
  title?: string;
  /** Builds the redacted text for the clipboard. */
  details: () => Promise<string>;
}

export function normalize(error: RunError | ApiError): RunError {
  if (error instanceof ApiError) {
    return { code: error.code, message: error.message, remediation: error.remediation, detail: error.detail, request_id: error.requestId };
  }
  return error;
}

export function ErrorPanel({ error, title, details }: Props) {
  const e = normalize(error);
  const titleId = useId();
  const [copied, setCopied] = useState<"idle" | "ok" | "fail">("idle");
  const steps = [...asList(e.preset_remediation), ...asList(e.remediation)].filter((s, i, all) => all.indexOf(s) === i);
  const copy = async () => {
    try {
      await writeClipboard(await details());
      setCopied("ok");
    } catch {
      setCopied("fail");
    }
    window.setTimeout(() => setCopied("idle"), 4000);
  };
  return (
    <section className="alert error error-panel" aria-labelledby={titleId}>
      <div className="error-head">
        <h3 id={titleId}>{title ?? "This run failed"}</h3>
        <code className="error-code">{e.code ?? "ERROR"}</code>
      </div>
      <p className="error-message">{e.preset_message ?? e.message ?? "Something went wrong."}</p>
      {e.preset_message && e.message && e.preset_message !== e.message && <p className="muted small">{e.message}</p>}
      {steps.length > 0 && (
        <div className="remediation">
          <strong>What to do</strong>
          <ul>
            {steps.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ul>
        </div>
      )}
      {e.detail != null && (
        <details className="error-detail">
          <summary>Technical detail</summary>
          <pre className="log">{typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail, null, 2)}</pre>
        </details>
      )}
      <div className="row">
        <button type="button" className="btn small" onClick={() => void copy()}>
          <Icon name="copy" size={14} /> Copy details
        </button>
        <span role="status" aria-live="polite" className="small muted">
          {copied === "ok" ? "Copied, secrets redacted." : copied === "fail" ? "Could not copy." : ""}
        </span>
      </div>
    </section>
  );
}
