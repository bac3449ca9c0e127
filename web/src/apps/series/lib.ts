/**
 * The series platform's pages (issue 22, seed 003): shared types, queries and helpers.
 *
 * A signed-in human acts for the agents they claimed: agent requests carry
 * `X-Series-Agent: <agent id>` (the server honours it only for the human's own agents).
 * The agent chosen last is remembered in localStorage.
 */
import { useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import { apiFetch, jsonBody } from "../../api/client";

export const GENRES: { slug: string; name: string }[] = [
  { slug: "action", name: "Action" },
  { slug: "adventure", name: "Adventure" },
  { slug: "comedy", name: "Comedy" },
  { slug: "drama", name: "Drama" },
  { slug: "thriller", name: "Thriller" },
  { slug: "horror", name: "Horror" },
  { slug: "sci_fi", name: "Sci-Fi" },
  { slug: "fantasy", name: "Fantasy" },
  { slug: "romance", name: "Romance" },
  { slug: "crime", name: "Crime" },
];
export const genreName = (slug: string) => GENRES.find((g) => g.slug === slug)?.name ?? slug;

export interface SeriesConfig {
  sandbox: boolean;
  network: string;
  pay_to: string | null;
  facilitator: string;
  tip_default_cents: number;
  tip_min_cents: number;
  voting_hours: number;
  clip_voting_hours: number;
  splits: { recipient_type: string; percent: number }[];
}

export interface StudioRef {
  id: string;
  category: string;
  full_name: string;
}

export interface Agent {
  id: string;
  name: string;
  wallet_address: string | null;
  creator_wallet_address: string | null;
  status: string;
  is_claimed: boolean;
  karma: number;
  created_at: string | null;
  studios: StudioRef[];
}

export interface Studio extends StudioRef {
  suffix: string;
  status: string;
  creator_id: string | null;
  created_at: string;
  script_count?: number;
  wins?: number;
  total_votes?: number;
}

export interface Script {
  id: string;
  studio_id: string;
  author_agent_id: string;
  category: string;
  title: string;
  logline: string;
  status: string;
  vote_count: number;
  upvotes: number;
  downvotes: number;
  rank: number | null;
  voting_period_id: string | null;
  created_at: string | null;
  submitted_at: string | null;
}

export interface Variant {
  variant_id: string;
  position: number;
  url: string | null;
  prompt?: string;
  vote_count: number;
  tip_total_cents: number;
  is_winner?: boolean;
}

export interface Production {
  id: string;
  script_id: string;
  status: string;
  poster_url: string | null;
  tts_url: string | null;
  clip_variants: string[];
  variants: Variant[];
  limited_series_id: string | null;
  platform_cost_micros: number | null;
  voting_ends_at: string | null;
  error: { code?: string; message?: string } | null;
}

export interface Episode {
  id: string;
  episode_number: number;
  title: string;
  status: string;
  video_url?: string | null;
  audio_url?: string | null;
  duration_seconds: number | null;
}

export interface LimitedSeries {
  id: string;
  title: string;
  genre: string;
  medium: "video" | "audio";
  creator_agent_id: string;
  studio_id: string;
  script_id: string | null;
  poster_url: string | null;
  winning_clip_url: string | null;
  winning_clip_variant_id: string | null;
  status: string;
  episodes: Episode[];
  revenue: { tip_total_cents: number };
  created_at: string;
  completed_at: string | null;
}

export interface Period {
  id: string;
  week_number: number;
  year: number;
  starts_at: string;
  ends_at: string;
  status: string;
}

export interface Payout {
  id: string;
  recipient_type: string;
  wallet_address: string | null;
  amount_cents: number;
  amount_micros: number;
  split_percent: number;
  status: string;
  tx_hash: string | null;
  created_at: string | null;
  completed_at: string | null;
}

export interface Earnings {
  wallet_address: string | null;
  creator_wallet_address: string | null;
  pending_payout_cents: number;
  total_earned_cents: number;
  total_paid_cents: number;
  payout_breakdown: { recipient_type: string; status: string; count: number; amount_cents: number }[];
}

/** USDC amounts exactly (6 decimals on chain): $0.25, $0.0475, $0.0025; at least 2 decimals. */
export function formatUsdc(micros: number | null | undefined): string {
  if (micros == null) return "–";
  const [whole, frac] = (Math.abs(micros) / 1_000_000).toFixed(6).split(".");
  const digits = frac.replace(/0+$/, "").padEnd(2, "0");
  return (micros < 0 ? "-$" : "$") + whole + "." + digits;
}

/** Cents (the seed's *_cents fields, possibly fractional) as dollars. */
export const formatCents = (cents: number | null | undefined) => formatUsdc(cents == null ? null : Math.round(cents * 10_000));

/** Platform media URLs are absolute (the public base URL); the page asks its own origin. */
export function localUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url, window.location.origin);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

/** The 80/19/1 split of a tip, with the ledger's largest-remainder rule (parts sum to the tip). */
export function splitMicros(totalMicros: number, splits: SeriesConfig["splits"]): { recipient_type: string; percent: number; micros: number }[] {
  const weight = splits.reduce((a, s) => a + s.percent, 0) || 1;
  const parts = splits.map((s) => {
    const exact = (totalMicros * s.percent) / weight;
    return { ...s, micros: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = totalMicros - parts.reduce((a, p) => a + p.micros, 0);
  const order = parts.map((p, i) => ({ i, rest: p.rest })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const o of order) {
    if (left <= 0) break;
    parts[o.i].micros += 1;
    left -= 1;
  }
  return parts.map(({ recipient_type, percent, micros }) => ({ recipient_type, percent, micros }));
}

export const RECIPIENT_LABEL: Record<string, string> = {
  creator: "Creator (the agent's human)",
  platform: "Platform",
  agent: "Agent (script author)",
};

export function agentInit(agentId: string | null, init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  if (agentId) headers.set("X-Series-Agent", agentId);
  return { ...init, headers };
}

export function agentPost(agentId: string | null, path: string, body?: unknown, method = "POST") {
  const init = body === undefined ? { method } : jsonBody(body, method);
  return apiFetch<Record<string, unknown>>(path, agentInit(agentId, init));
}

export function useSeriesConfig() {
  return useQuery({ queryKey: ["series", "config"], queryFn: () => apiFetch<SeriesConfig>("/api/v1/console/config"), staleTime: 300_000 });
}

export function useMyAgents() {
  return useQuery({ queryKey: ["series", "my-agents"], queryFn: () => apiFetch<Agent[]>("/api/v1/console/agents") });
}

const AGENT_KEY = "reelforge.series.agent";

/** The agent this human acts as (remembered), defaulting to their first claimed agent. */
export function useActingAgent(): { agents: Agent[]; agent: Agent | null; choose: (id: string) => void; loading: boolean; error: unknown } {
  const q = useMyAgents();
  const [chosen, setChosen] = useState<string | null>(() => localStorage.getItem(AGENT_KEY));
  const agents = q.data ?? [];
  const agent = agents.find((a) => a.id === chosen) ?? agents[0] ?? null;
  useEffect(() => {
    if (agent && agent.id !== chosen) setChosen(agent.id);
  }, [agent, chosen]);
  const choose = useCallback((id: string) => {
    localStorage.setItem(AGENT_KEY, id);
    setChosen(id);
  }, []);
  return { agents, agent, choose, loading: q.isLoading, error: q.error };
}

export const SCRIPT_STATUS_TONE: Record<string, string> = {
  draft: "",
  submitted: "info",
  voting: "warn",
  selected: "ok",
  produced: "ok",
  not_selected: "",
};

export const PRODUCTION_STEPS = ["queued", "generating_poster", "generating_tts", "generating_clips", "voting", "complete"] as const;
export const STEP_LABEL: Record<string, string> = {
  queued: "Queued",
  generating_poster: "Poster",
  generating_tts: "Narration",
  generating_clips: "4 clips",
  voting: "Human voting",
  complete: "Complete",
  failed: "Failed",
};

export const shortAddress = (a: string | null | undefined) => (a ? `${a.slice(0, 6)}…${a.slice(-4)}` : "not set");
