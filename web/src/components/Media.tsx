/** Inline players for stored artifacts (same-origin URLs: the session cookie authorizes them). */
import type { Kind } from "../canvas/types";

export function MediaView({ url, kind, label, compact }: { url: string; kind: Kind; label: string; compact?: boolean }) {
  if (kind === "video") {
    return <video className={"media" + (compact ? " compact" : "")} src={url} controls muted loop playsInline preload="metadata" aria-label={label} />;
  }
  if (kind === "audio") {
    return <audio className="audio" src={url} controls preload="metadata" aria-label={label} />;
  }
  return <img className={"media" + (compact ? " compact" : "")} src={url} alt={label} loading="lazy" decoding="async" />;
}

export function artifactUrl(id: string): string {
  return `/v1/artifacts/${encodeURIComponent(id)}/content`;
}
