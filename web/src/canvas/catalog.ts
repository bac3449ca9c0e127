/** The model catalog (GET /v1/models, every provider incl. Atlas) and per-model details. */
import { useQuery } from "@tanstack/react-query";
import { apiFetch } from "../api/client";
import type { Kind, Mode } from "./types";

export interface Price {
  micros: number | null;
  known: boolean;
  basis?: string;
  display: string;
  typical_micros?: number | null;
  typical_display?: string;
}

export interface CatalogModel {
  id: string;
  provider: string;
  label: string;
  modes: string[];
  output_kind: Kind;
  price: Price;
  live: boolean;
  description?: string;
}

export interface SchemaParam {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "array" | "object" | string;
  required: boolean;
  has_default: boolean;
  default: unknown;
  enum: (string | number)[] | null;
  minimum: number | null;
  maximum: number | null;
  min_length?: number | null;
  max_length?: number | null;
  items_type?: string | null;
  title: string | null;
  description: string | null;
  media_kind: Kind | null;
}

export interface ModelInput {
  name: string;
  kind: Kind;
  required: boolean;
  identity: boolean;
  multiple: boolean;
}

export interface ModelDetail extends CatalogModel {
  inputs: ModelInput[];
  params: SchemaParam[];
  features: { negative_prompt: boolean; seed: boolean; audio: boolean; last_frame: boolean };
  limits: { max_prompt_chars: number | null };
}

interface ModelList {
  models: CatalogModel[];
  stale: boolean;
  unavailable: unknown[];
}

export function useCatalog() {
  return useQuery({
    queryKey: ["models"],
    queryFn: () => apiFetch<ModelList>("/v1/models"),
    staleTime: 5 * 60_000,
  });
}

/** Models of one mode, cheapest first (unknown prices last). */
export function modelsForMode(list: CatalogModel[] | undefined, mode: Mode | ""): CatalogModel[] {
  if (!list || !mode) return [];
  return list
    .filter((m) => m.modes.includes(mode))
    .sort((a, b) => {
      const pa = a.price.known ? (a.price.micros ?? 0) : Number.MAX_SAFE_INTEGER;
      const pb = b.price.known ? (b.price.micros ?? 0) : Number.MAX_SAFE_INTEGER;
      return pa - pb || a.label.localeCompare(b.label);
    });
}

export function modelPath(id: string): string {
  return `/v1/models/${id.split("/").map(encodeURIComponent).join("/")}`;
}

export function fetchModelDetail(id: string) {
  return apiFetch<ModelDetail>(modelPath(id));
}

export function useModelDetail(id: string) {
  return useQuery({
    queryKey: ["model", id],
    queryFn: () => fetchModelDetail(id),
    enabled: Boolean(id),
    staleTime: 10 * 60_000,
  });
}

/** Settings the form shows: not media (upload widgets), not prompt fields (their own inputs). */
export const PROMPT_PARAMS = new Set(["prompt", "negative_prompt"]);
export const HIDDEN_PARAMS = new Set(["model", "enable_base64_output", "enable_sync_mode", "webhook_url"]);

export function settingParams(detail: ModelDetail | undefined): SchemaParam[] {
  return (detail?.params ?? []).filter((p) => !p.media_kind && !PROMPT_PARAMS.has(p.name) && !HIDDEN_PARAMS.has(p.name));
}

/** The params a model starts with: every default its schema states. */
export function defaultParams(detail: ModelDetail): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of settingParams(detail)) if (p.has_default && p.default !== null && p.default !== undefined) out[p.name] = p.default;
  return out;
}

/** Media slots: the model's declared inputs (falling back to media-kind params). */
export function mediaSlots(detail: ModelDetail | undefined): ModelInput[] {
  if (!detail) return [];
  if (detail.inputs?.length) return detail.inputs;
  return detail.params
    .filter((p) => p.media_kind)
    .map((p) => ({ name: p.name, kind: p.media_kind as Kind, required: p.required, identity: false, multiple: p.type === "array" }));
}

export function takesPrompt(detail: ModelDetail | undefined, mode: Mode | ""): boolean {
  if (!detail) return false;
  if (detail.params.some((p) => p.name === "prompt")) return true;
  if (detail.provider === "local") return mode === "tts";
  return ["t2i", "t2v", "i2i", "i2v", "v2v", "tts", "avatar"].includes(mode);
}

export function promptRequired(detail: ModelDetail | undefined, mode: Mode | ""): boolean {
  const p = detail?.params.find((x) => x.name === "prompt");
  if (p) return p.required;
  return mode === "t2i" || mode === "t2v" || mode === "tts";
}
