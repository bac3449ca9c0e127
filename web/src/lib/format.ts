/** Money is integer micro-USD on the wire; the studio shows dollars with up to 3 decimals. */
export function formatMicros(micros: number | null | undefined, known = true): string {
  if (!known || micros === null || micros === undefined) return "unknown";
  if (micros === 0) return "$0";
  const dollars = micros / 1_000_000;
  if (Math.abs(dollars) < 0.001) return "<$0.001";
  // Up to 3 decimals, trailing zeros dropped: $0.096, $0.42, $1.5
  return "$" + dollars.toFixed(3).replace(/\.?0+$/, "");
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function timeAgo(iso: string | null | undefined): string {
  if (!iso) return "–";
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function duration(startIso: string | null | undefined, endIso: string | null | undefined): string {
  if (!startIso || !endIso) return "–";
  const ms = new Date(endIso).getTime() - new Date(startIso).getTime();
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}
