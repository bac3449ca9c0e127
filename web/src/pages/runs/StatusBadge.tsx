import { Icon } from "../../shell/icons";

/** A run's or step's status as a coloured badge (text, never colour alone). */
const TONE: Record<string, string> = {
  succeeded: "ok",
  failed: "err",
  canceled: "warn",
  cancelled: "warn",
  canceling: "warn",
  skipped: "",
  running: "info",
  submitted: "info",
  submitting: "info",
  collecting: "info",
  queued: "",
  held: "",
};

const ICON: Record<string, string> = { succeeded: "check", failed: "close", canceled: "close", cancelled: "close" };

export function StatusBadge({ status }: { status: string }) {
  const tone = TONE[status] ?? "";
  const live = tone === "info";
  return (
    <span className={`badge status-badge ${tone}`} data-status={status}>
      {live ? <span className="pulse-dot" aria-hidden="true" /> : ICON[status] ? <Icon name={ICON[status]} size={12} /> : null}
      {status}
    </span>
  );
}
