/** The preset list and one preset's detail (shared by Presets, a preset's page, History). */
import { useQuery } from "@tanstack/react-query";
import { apiFetch } from "../../api/client";
import type { PresetDetail, PresetSummary } from "./types";

export function presetDetailQuery(id: string) {
  return { queryKey: ["preset", id], queryFn: () => apiFetch<PresetDetail>(`/v1/presets/${encodeURIComponent(id)}`), staleTime: 60_000 };
}

export function usePresets() {
  return useQuery({ queryKey: ["presets"], queryFn: () => apiFetch<{ presets: PresetSummary[] }>("/v1/presets"), staleTime: 60_000 });
}

export function usePresetDetail(id: string | undefined) {
  return useQuery({ ...presetDetailQuery(id ?? ""), enabled: Boolean(id) });
}
