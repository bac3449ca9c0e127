import { useQueries } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { PageHeader } from "../shell/Shell";
import { CategoryIcon } from "./presets/CategoryIcon";
import { presetDetailQuery, usePresets } from "./presets/queries";
import { CATEGORY, makes, priceRange, type PresetDetail, type PresetSummary } from "./presets/types";
import "./runs.css";
import "./presets.css";

function PresetCard({ preset, detail }: { preset: PresetSummary; detail?: PresetDetail }) {
  const cat = CATEGORY[preset.category] ?? { label: preset.category };
  const kind = makes(preset);
  const price = priceRange(detail?.quality_levels);
  const consent = preset.requires_consent || preset.consent_inputs.length > 0;
  return (
    <li className={`card preset-card cat-${preset.category}`}>
      <div className={`preset-art ${kind}`} aria-hidden="true">
        <CategoryIcon category={preset.category} />
      </div>
      <div className="preset-body">
        <div className="row preset-tags">
          <span className="badge">{cat.label}</span>
          <span className={`kind-chip ${kind}`}>Makes {kind === "image" ? "an image" : `a ${kind}`}</span>
          {consent && (
            <span className="badge warn" title={preset.requires_consent ? "Needs your consent for the identity used" : "Needs consent when you give an identity reference"}>
              Consent
            </span>
          )}
        </div>
        <h2 className="preset-name">
          <Link to={`/presets/${encodeURIComponent(preset.id)}`} className="stretched">
            {preset.name}
          </Link>
        </h2>
        <p className="muted preset-goal">{preset.goal}</p>
        <div className="preset-foot">
          <span className="price-chip" aria-label={`Price ${price ?? "loading"}`}>
            {price ?? <span className="skeleton-text">pricing…</span>}
          </span>
          <span className="muted small">Low · Standard · Pro</span>
        </div>
      </div>
    </li>
  );
}

export default function Presets() {
  const { data, isLoading, error } = usePresets();
  const [category, setCategory] = useState<string>("all");
  const [text, setText] = useState("");
  const presets = useMemo(() => data?.presets ?? [], [data]);
  const details = useQueries({
    queries: presets.map((p) => presetDetailQuery(p.id)),
  });
  const categories = useMemo(() => [...new Set(presets.map((p) => p.category))], [presets]);
  const shown = presets.filter((p) => (category === "all" || p.category === category) && (!text || `${p.name} ${p.goal} ${p.id}`.toLowerCase().includes(text.toLowerCase())));
  return (
    <div className="page presets-page">
      <PageHeader title="Presets" subtitle="Ready-made workflows: pick one, fill in a few fields, choose a quality, generate." />
      <div className="filters">
        <div className="segmented" role="group" aria-label="Category">
          <button type="button" className="seg" aria-pressed={category === "all"} onClick={() => setCategory("all")}>
            All
          </button>
          {categories.map((c) => (
            <button key={c} type="button" className="seg" aria-pressed={category === c} onClick={() => setCategory(c)}>
              {CATEGORY[c]?.label ?? c}
            </button>
          ))}
        </div>
        <label className="field search-field">
          <span className="sr-only">Search presets</span>
          <input type="search" placeholder="Search presets" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
      </div>
      {error && (
        <div className="alert error" role="alert">
          Could not load the presets: {(error as Error).message}
        </div>
      )}
      {isLoading ? (
        <ul className="preset-grid" aria-label="Loading presets" aria-busy="true">
          {Array.from({ length: 6 }, (_, i) => (
            <li key={i} className="card preset-card skeleton-card" aria-hidden="true" />
          ))}
        </ul>
      ) : shown.length === 0 ? (
        <div className="empty">No preset matches.</div>
      ) : (
        <ul className="preset-grid" aria-label="Presets">
          {shown.map((p) => (
            <PresetCard key={p.id} preset={p} detail={details[presets.indexOf(p)]?.data} />
          ))}
        </ul>
      )}
    </div>
  );
}
