import { useMutation } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { apiFetch, ApiError, jsonBody } from "../api/client";
import { PageHeader } from "../shell/Shell";
import { usePresetDetail } from "./presets/queries";
import { PresetForm, type Values } from "./presets/PresetForm";
import { QualityPicker, useQuotes } from "./presets/QualityPicker";
import { CATEGORY, makes, type Quality } from "./presets/types";
import { apiErrorDetailsText } from "./runs/copyDetails";
import { ErrorPanel } from "./runs/ErrorPanel";
import { RunLive } from "./runs/RunLive";
import { FINAL_STATUSES, asList, type Run } from "./runs/types";
import { useRun } from "./runs/useRun";
import "./presets.css";
import "./runs.css";

const CONSENT_LABEL = "I have permission to use this face/identity for generation";

/** A new preset id is a new form: its state starts over. */
export default function PresetDetailRoute() {
  const { presetId } = useParams();
  return <PresetDetailPage key={presetId} />;
}

function PresetDetailPage() {
  const { presetId } = useParams();
  const [search, setSearch] = useSearchParams();
  const { data: preset, isLoading, error } = usePresetDetail(presetId);
  const [values, setValues] = useState<Values>({});
  const [quality, setQuality] = useState<Quality>("standard");
  const [consent, setConsent] = useState(false);
  const runId = search.get("run");
  const live = useRun(runId);
  const quotes = useQuotes(preset ?? ({ id: presetId ?? "", quality_levels: {} } as never), values);

  // Text inputs can be filled from the URL (?failed_job_id=… from a failed run's page).
  const prefilled = useRef(false);
  useEffect(() => {
    if (!preset || prefilled.current) return;
    prefilled.current = true;
    const given: Values = {};
    for (const [name, prop] of Object.entries(preset.input_schema.properties)) {
      const v = search.get(name);
      if (v && prop.type === "string" && !prop["x-media-kind"]) given[name] = v;
    }
    if (Object.keys(given).length) setValues((old) => ({ ...old, ...given }));
  }, [preset, search]);

  const start = useMutation({
    mutationFn: () => apiFetch<Run>("/v1/runs", jsonBody({ preset: presetId, inputs: values, quality, consent_given: consent })),
    onSuccess: (run) => setSearch({ run: run.id }, { replace: false }),
  });

  if (isLoading) return <div className="page-loading" role="status">Loading preset…</div>;
  if (error || !preset) {
    return (
      <div className="page">
        <PageHeader title="Preset not found" />
        <div className="alert error" role="alert">
          {(error as Error | null)?.message ?? "No such preset."} <Link to="/presets">All presets</Link>
        </div>
      </div>
    );
  }
  const cat = CATEGORY[preset.category] ?? { label: preset.category };
  const consentInputs = preset.consent_inputs.filter((n) => values[n] !== undefined);
  const needsConsent = preset.requires_consent || consentInputs.length > 0 || Boolean(quotes[quality]?.quote?.needs_consent);
  const running = live.run ? !FINAL_STATUSES.has(live.run.status) : false;
  const busy = start.isPending || running;
  const selectedQuote = quotes[quality]?.quote;
  const safety = asList(preset.safety_notes);
  return (
    <div className="page preset-detail">
      <nav aria-label="Breadcrumb" className="crumbs small">
        <Link to="/presets">Presets</Link> <span aria-hidden="true">›</span> <span aria-current="page">{preset.name}</span>
      </nav>
      <PageHeader
        title={preset.name}
        subtitle={preset.goal}
        actions={
          <>
            <span className="badge">{cat.label}</span>
            <span className={`kind-chip ${makes(preset)}`}>Makes {makes(preset) === "image" ? "an image" : `a ${makes(preset)}`}</span>
          </>
        }
      />
      <div className="preset-layout">
        <form
          className="card preset-form-card"
          aria-label={`${preset.name} inputs`}
          onSubmit={(e) => {
            e.preventDefault();
            start.reset();
            start.mutate();
          }}
        >
          <p className="muted small">{preset.description}</p>
          <PresetForm preset={preset} values={values} onChange={(name, v) => setValues((old) => ({ ...old, [name]: v }))} />
          <QualityPicker preset={preset} value={quality} onChange={setQuality} quotes={quotes} />
          {needsConsent && (
            <div className="consent-box">
              <label className="check">
                <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} />
                <span>{CONSENT_LABEL}</span>
              </label>
              <p className="hint">Required. Identity-based generation needs the consent of the person shown. It is stored with the run.</p>
            </div>
          )}
          {start.error && (
            <ErrorPanel
              title="Could not start"
              error={start.error as ApiError}
              details={() => apiErrorDetailsText(start.error as ApiError, { Preset: preset.id, Quality: quality })}
            />
          )}
          <div className="row generate-row">
            <button type="submit" className="btn primary generate-btn" disabled={busy}>
              {busy ? (
                <>
                  <span className="spinner" aria-hidden="true" /> Generating…
                </>
              ) : (
                <>Generate · {selectedQuote ? selectedQuote.total.display : preset.quality_levels[quality]?.price?.display ?? "…"}</>
              )}
            </button>
            <span className="muted small">Sandbox runs are emulated and free.</span>
          </div>
        </form>
        <aside className="preset-side">
          {live.run ? (
            <RunLive run={live.run} live={live.progress} />
          ) : runId && live.isLoading ? (
            <div className="card run-live" role="status">
              <span className="spinner" aria-hidden="true" /> Loading the run…
            </div>
          ) : null}
          <section className="card preset-info" aria-labelledby="how-title">
            <h2 id="how-title">How it works</h2>
            <ol className="how-steps">
              {(selectedQuote?.steps ?? preset.steps.map((s) => ({ step: s.id, title: s.title, included: true }))).map((s) => (
                <li key={s.step} className={s.included ? "" : "excluded"}>
                  {s.title}
                  {!s.included && <span className="hint"> (skipped at this quality)</span>}
                  {"model" in s && s.model && <span className="muted small mono"> · {s.model}</span>}
                </li>
              ))}
            </ol>
            {(selectedQuote?.notes.length ?? 0) > 0 && (
              <ul className="small muted quote-notes">
                {selectedQuote!.notes.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            )}
            {safety.length > 0 && (
              <>
                <h3>Safety</h3>
                <ul className="small muted">
                  {safety.map((n) => (
                    <li key={n}>{n}</li>
                  ))}
                </ul>
              </>
            )}
          </section>
        </aside>
      </div>
    </div>
  );
}
