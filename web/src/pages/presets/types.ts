import { formatMicros } from "../../lib/format";

/** /v1/presets answers (routes/presets.py). */
export interface PriceRange {
  available: boolean;
  min_micros: number | null;
  max_micros: number | null;
  known: boolean;
  display: string;
  reason?: string;
}

export interface PresetSummary {
  id: string;
  version: number;
  name: string;
  goal: string;
  category: string;
  requires_consent: boolean;
  consent_inputs: string[];
  inputs: Record<string, { type: string; required: boolean }>;
  quality_levels: Record<string, string>;
}

export interface SchemaProp {
  title?: string;
  description?: string;
  type?: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  default?: unknown;
  format?: string;
  "x-media-kind"?: "image" | "video" | "audio";
  "x-identity"?: boolean;
  maxItems?: number;
  items?: SchemaProp;
}

export interface PresetDetail extends Omit<PresetSummary, "quality_levels"> {
  description: string;
  input_schema: { properties: Record<string, SchemaProp>; required: string[]; allOf?: { anyOf: { required: string[] }[] }[] };
  quality_levels: Record<string, { description: string; price: PriceRange | null }>;
  safety_notes: string[] | string | null;
  steps: { id: string; title: string }[];
  failure_modes: Record<string, { message: string; remediation?: string[] }>;
}

export interface PresetQuote {
  preset: string;
  quality: string;
  needs_consent: boolean;
  total: { micros: number | null; known: boolean; display: string };
  steps: { step: string; title: string; included: boolean; model?: string }[];
  notes: string[];
}

export const QUALITIES = ["low", "standard", "pro"] as const;
export type Quality = (typeof QUALITIES)[number];

export const CATEGORY: Record<string, { label: string }> = {
  image_generation: { label: "Image" },
  video_generation: { label: "Video" },
  post_processing: { label: "Polish" },
  hybrid_pipeline: { label: "Production" },
  character_performance: { label: "Performance" },
};

/** What the preset makes, from its category and inputs (a post pass keeps its input's kind). */
export function makes(p: Pick<PresetSummary, "category" | "inputs">): "image" | "video" | "audio" {
  if (p.category === "image_generation") return "image";
  if (p.category === "post_processing") return "video" in p.inputs ? "video" : "image";
  return "video";
}

/** One line for a card: the cheapest level's lowest to the dearest level's highest price;
 * "+" when some engine publishes no price (the range is then a floor). */
export function priceRange(levels: PresetDetail["quality_levels"] | undefined): string | null {
  if (!levels) return null;
  const prices = Object.values(levels)
    .map((l) => l.price)
    .filter((p): p is PriceRange => Boolean(p && p.available));
  if (!prices.length) return "Not available now";
  const lows = prices.map((p) => p.min_micros).filter((m): m is number => m != null);
  const highs = prices.map((p) => p.max_micros).filter((m): m is number => m != null);
  if (!lows.length || !highs.length) return "unknown";
  const min = Math.min(...lows);
  const max = Math.max(...highs);
  const known = prices.every((p) => p.known);
  if (min === max) return known ? formatMicros(min) : `≥ ${formatMicros(min)}`;
  return `${formatMicros(min)} – ${formatMicros(max)}${known ? "" : "+"}`;
}
