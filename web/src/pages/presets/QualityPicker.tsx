/** Low / Standard / Pro, each with its description and its price for these inputs
 * (POST /v1/presets/{id}/quote, debounced), falling back to the preset's price range. */
import { useQueries } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { apiFetch, jsonBody } from "../../api/client";
import { QUALITIES, type PresetDetail, type PresetQuote, type Quality } from "./types";

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = window.setTimeout(() => setV(value), ms);
    return () => window.clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** True when every required input (and one of each one-of group) has a value: before
 * that a quote can only be refused, so none is asked for. */
export function complete(preset: PresetDetail, inputs: Record<string, unknown>): boolean {
  const has = (n: string) => inputs[n] !== undefined && inputs[n] !== "";
  const schema = preset.input_schema;
  if (!schema) return false;
  if (!schema.required.every(has)) return false;
  return (schema.allOf ?? []).every((g) => g.anyOf.some((alt) => alt.required.every(has)));
}

export function useQuotes(preset: PresetDetail, inputs: Record<string, unknown>) {
  const debounced = useDebounced(inputs, 350);
  const key = JSON.stringify(debounced);
  const ready = complete(preset, debounced);
  const results = useQueries({
    queries: QUALITIES.filter((q) => q in preset.quality_levels).map((quality) => ({
      queryKey: ["preset-quote", preset.id, quality, key],
      queryFn: () => apiFetch<PresetQuote>(`/v1/presets/${encodeURIComponent(preset.id)}/quote`, jsonBody({ inputs: debounced, quality })),
      retry: false,
      enabled: ready,
      staleTime: 30_000,
      placeholderData: (prev: PresetQuote | undefined) => prev,
    })),
  });
  const out: Partial<Record<Quality, { quote?: PresetQuote; error?: unknown; loading: boolean }>> = {};
  QUALITIES.filter((q) => q in preset.quality_levels).forEach((q, i) => {
    const r = results[i];
    out[q] = { quote: r.isError || !ready ? undefined : r.data, error: r.error, loading: r.isFetching };
  });
  return out;
}

const LABEL: Record<Quality, string> = { low: "Low", standard: "Standard", pro: "Pro" };

export function QualityPicker({ preset, value, onChange, quotes }: { preset: PresetDetail; value: Quality; onChange: (q: Quality) => void; quotes: ReturnType<typeof useQuotes> }) {
  return (
    <fieldset className="quality-picker">
      <legend>Quality</legend>
      <div className="quality-options">
        {QUALITIES.filter((q) => q in preset.quality_levels).map((q) => {
          const level = preset.quality_levels[q];
          const quote = quotes[q]?.quote;
          const available = level.price?.available !== false;
          const price = quote ? quote.total.display : level.price ? level.price.display : "unknown";
          return (
            <label key={q} className={"quality-option" + (value === q ? " selected" : "") + (available ? "" : " unavailable")}>
              <input type="radio" name="quality" value={q} checked={value === q} onChange={() => onChange(q)} />
              <span className="q-head">
                <span className="q-name">{LABEL[q]}</span>
                <span className="price-chip" data-testid={`price-${q}`}>
                  {available ? price : "not available"}
                  {quotes[q]?.loading && <span className="sr-only"> (updating)</span>}
                </span>
              </span>
              <span className="q-desc muted small">{level.description}</span>
              {!quote && available && <span className="hint">range for this preset; fill the form for an exact quote</span>}
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}
