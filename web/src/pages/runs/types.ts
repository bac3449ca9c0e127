/** The shapes of /v1/runs answers the History, run and preset pages read (runs.py). */
import type { Kind } from "../../canvas/types";

export interface RunError {
  code?: string;
  message?: string;
  remediation?: string[] | string | null;
  detail?: unknown;
  preset_message?: string;
  preset_remediation?: string[] | string | null;
  retryable?: boolean;
  request_id?: string;
}

export interface RouteAttempt {
  at?: number;
  event?: string;
  model?: string;
  attempt?: number;
  code?: string;
  message?: string;
  decision?: string;
  reason?: string;
}

export interface RunStep {
  id: string;
  node_id: string;
  model: string;
  served_by: string | null;
  mode: string | null;
  status: string;
  progress: number | null;
  implicit: boolean;
  provider: string | null;
  task_id: string | null;
  sandbox?: boolean;
  attempts: number;
  quote_micros: number | null;
  cost_micros: number | null;
  outputs: string[];
  output_urls?: string[];
  error: RunError | null;
  depends_on: string[];
  warnings?: unknown[];
  route?: {
    options?: string[];
    served_by?: string | null;
    fell_back?: boolean;
    reason?: string | null;
    attempts?: RouteAttempt[];
  } | null;
}

export interface EngineUsed {
  model: string;
  provider: string | null;
}

export interface RunSummary {
  id: string;
  status: string;
  preset: string | null;
  quality: string | null;
  repair_of?: string | null;
  quote_micros: number | null;
  price_unknown?: boolean;
  cost_micros: number | null;
  created_at: string;
  finished_at: string | null;
  engine_used: EngineUsed[];
  cost?: string;
  error_code: string | null;
  remediation: string[];
}

export interface Run extends RunSummary {
  inputs: Record<string, unknown> | null;
  consent_given: boolean;
  hold_micros?: number;
  error: RunError | null;
  sandbox: boolean;
  warnings?: unknown[];
  steps: RunStep[];
  outputs: { node_id: string; artifact_id: string; url: string }[];
}

export interface RunList {
  runs: RunSummary[];
  next_before: string | null;
}

export interface Artifact {
  id: string;
  sha256: string;
  content_sha256?: string;
  size: number;
  content_type: string;
  media_type: Kind;
  name: string;
  sandbox: boolean;
  provenance: Record<string, unknown> | null;
  created_at: string;
  url: string;
  thumbnail_url: string | null;
  content_credentials?: { status: string; note: string; manifest_url: string | null };
  provenance_url: string;
}

export interface RunEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export const FINAL_STATUSES = new Set(["succeeded", "failed", "canceled", "cancelled"]);

export function asList(v: string[] | string | null | undefined): string[] {
  if (!v) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}
