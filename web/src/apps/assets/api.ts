/** The asset studio's API (seed 004) as the pages use it: typed by hand where the server
 * answers free-form JSON, always through apiFetch (cookie + CSRF, ApiError envelopes). */
import { apiFetch, jsonBody } from "../../api/client";

export const MODE_IDS = ["pixel", "business", "uiux", "vector", "emoji"] as const;
export type ModeId = (typeof MODE_IDS)[number];

export interface Preset {
  id: string;
  name: string;
  width: number;
  height: number;
  steps: number;
  guidance: number;
  colors: number | null;
}

export interface ModeInfo {
  id: ModeId;
  name: string;
  description: string;
  target_audience: string;
  output_types: string[];
  export_formats: string[];
  exporters: string[];
  status: string;
  studio_path: string;
  default_preset: string;
  presets: Preset[];
  fields: Record<string, string[]>;
  constraints: { min_size: number; max_size: number; transparent: boolean; max_palette: number | null };
  providers: { model: string; tiers: string[]; native_negative: boolean; needs_key: boolean }[];
}

export interface Job {
  id: string;
  slot: number;
  seed: number;
  mutation: string | null;
  prompt: string;
  negative_prompt: string;
  status: string;
  served_by: string | null;
  artifact_id: string | null;
  url: string | null;
  error: { code?: string; message?: string } | null;
}

export interface Batch {
  id: string;
  mode: ModeId;
  tool: string;
  quality: "standard" | "hd";
  status: string;
  workspace_id: string | null;
  prompt: string;
  provider_chain: string[];
  hd_credits: number;
  hd_charged_micros: number;
  batchCount: number;
  jobs: Job[];
}

export interface Credits {
  plan: string;
  hd_credits: number;
  allocation_credits: number;
  topup_credits: number;
  hd_credit_usd: string;
  max_workspaces: number;
  rate_limit_multiplier: number;
}

export interface Workspace {
  id: string;
  mode: ModeId;
  name: string;
}

export interface GalleryEntry {
  id: string;
  mode: ModeId;
  job_id: string;
  workspace_id: string | null;
  url: string;
  title: string;
  public: boolean;
  created_at: string;
}

export interface ExportFile {
  id: string;
  name: string;
  content_type: string;
  bytes: number;
  url: string;
}

export interface ExportResult {
  mode: ModeId;
  format: string;
  export_id: string;
  zip_url: string;
  files: ExportFile[];
}

export interface CodeResult {
  id: string;
  framework: "html_tailwind" | "react";
  model: string;
  code: string;
  url: string;
  preview: { url: string; width: number; height: number } | null;
}

export interface GenerateBody {
  mode: ModeId;
  prompt: string;
  tool: string;
  batchCount: number;
  quality: "standard" | "hd";
  fields: Record<string, string>;
  negativePrompt?: string;
  workspaceId?: string;
  seed?: number;
}

export const assetsApi = {
  modes: () => apiFetch<{ modes: ModeInfo[] }>("/v1/assets/modes").then((r) => r.modes),
  credits: () => apiFetch<Credits>("/v1/assets/credits"),
  workspaces: (mode: ModeId) =>
    apiFetch<{ workspaces: Workspace[] }>(`/v1/assets/workspaces?mode=${mode}`).then((r) => r.workspaces),
  createWorkspace: (mode: ModeId, name: string) => apiFetch<Workspace>("/v1/assets/workspaces", jsonBody({ mode, name })),
  generate: (body: GenerateBody) => apiFetch<Batch>("/v1/assets/generate", jsonBody({ ...body, wait: 30 })),
  batch: (id: string) => apiFetch<Batch>(`/v1/assets/batches/${encodeURIComponent(id)}`),
  gallery: (mode: ModeId, workspaceId?: string) =>
    apiFetch<{ entries: GalleryEntry[] }>(
      `/v1/assets/${mode}/gallery?scope=mine${workspaceId ? `&workspace_id=${encodeURIComponent(workspaceId)}` : ""}`,
    ).then((r) => r.entries),
  exportJobs: (mode: ModeId, format: string, jobIds: string[], options: Record<string, unknown>) =>
    apiFetch<ExportResult>(`/v1/assets/${mode}/export`, jsonBody({ format, job_ids: jobIds, options })),
  uiuxCode: (prompt: string, tool: string, framework: "html_tailwind" | "react") =>
    apiFetch<CodeResult>("/v1/assets/uiux/generate", jsonBody({ prompt, tool, framework, preview: framework === "html_tailwind" })),
  oauthProviders: () =>
    apiFetch<{ providers: { name: string; label: string; start: string }[] }>("/v1/assets/oauth/providers").then((r) => r.providers),
};

/** Wait for a batch that answered 202 (still running) until it settles. */
export async function settled(batch: Batch, tries = 60): Promise<Batch> {
  let current = batch;
  for (let i = 0; i < tries && current.status === "running"; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    current = await assetsApi.batch(current.id);
  }
  return current;
}
