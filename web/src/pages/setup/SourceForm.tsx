/** "Add model source" (seed 001 §4.4) with its safety gates: http(s) URL, a safe file name,
 * a SHA-256 or an explicit "download at my risk", an Unknown license only acknowledged;
 * and the list of model sources (curated and your own). */
import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, apiFetch, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { ErrorBox, Loading, StatusBadge } from "./common";
import { SourceDownload } from "./SourceDownload";
import { SHA256, filenameProblem, urlProblem } from "./gates";

type AddSource = components["schemas"]["AddCustomModelRequest"];
type SourceType = components["schemas"]["SourceType"];
type License = AddSource["license"];

const TYPES: SourceType[] = ["checkpoint", "lora", "embedding", "controlnet", "upscaler", "vae", "text_encoder", "diffusion_model", "clip_vision", "other"];
const LICENSES: License[] = ["MIT", "Apache 2.0", "CC0", "Custom", "Unknown"];

interface SourceView {
  id: string;
  name: string;
  type: string;
  license: string;
  sha256: string | null;
  curated: boolean;
  recommended: boolean;
  filename: string;
  folder: string;
  installed?: { status: string };
}

const EMPTY = { name: "", type: "checkpoint" as SourceType, url: "", filename: "", license: "MIT" as License, sha256: "", tags: "", notes: "" };

export function SourceForm() {
  const qc = useQueryClient();
  const [f, setF] = useState(EMPTY);
  const [ackLicense, setAckLicense] = useState(false);
  const [ackChecksum, setAckChecksum] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  const set = (k: keyof typeof EMPTY) => (e: { target: { value: string } }) => {
    setF({ ...f, [k]: e.target.value });
    setAdded(null);
  };

  const noChecksum = f.sha256.trim() === "";
  const unknownLicense = f.license === "Unknown";
  const badUrl = urlProblem(f.url.trim());
  const badFile = filenameProblem(f.filename.trim());
  const badSha = !noChecksum && !SHA256.test(f.sha256.trim()) ? "64 hexadecimal characters (SHA-256)." : null;
  const complete = f.name.trim() && f.url.trim() && f.filename.trim();
  const gatesOk = (!noChecksum || ackChecksum) && (!unknownLicense || ackLicense);
  const ready = Boolean(complete) && !badUrl && !badFile && !badSha && gatesOk;

  const add = useMutation({
    mutationFn: async () => {
      const body: AddSource = {
        name: f.name.trim(),
        type: f.type,
        url: f.url.trim(),
        filename: f.filename.trim(),
        license: f.license,
        sha256: noChecksum ? null : f.sha256.trim().toLowerCase(),
        tags: f.tags.split(",").map((t) => t.trim()).filter(Boolean),
        notes: f.notes.trim() || null,
        recommended_use: "",
        hardware_notes: "",
        acknowledge_unknown_license: unknownLicense && ackLicense,
        acknowledge_missing_checksum: noChecksum && ackChecksum,
      };
      return unwrap(await api.POST("/v1/sources", { body }));
    },
    onSuccess: () => {
      setAdded(f.name.trim());
      setF(EMPTY);
      setAckChecksum(false);
      setAckLicense(false);
      void qc.invalidateQueries({ queryKey: ["setup", "sources"] });
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ready) add.mutate();
  };

  return (
    <form className="card source-form" onSubmit={submit} aria-labelledby="add-source-title" noValidate>
      <h3 id="add-source-title">Add a model source</h3>
      <p className="small muted">
        Nothing is discovered or downloaded behind your back: you name the file, where it comes from and its license.
      </p>
      <div className="form-grid">
        <label className="field">
          <span>
            Model name<span className="req" aria-hidden="true">*</span>
          </span>
          <input required value={f.name} onChange={set("name")} maxLength={200} />
        </label>
        <label className="field">
          <span>Model type</span>
          <select value={f.type} onChange={set("type")}>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {t.replace(/_/g, " ")}
              </option>
            ))}
          </select>
        </label>
        <label className="field span-2">
          <span>
            Download URL<span className="req" aria-hidden="true">*</span>
          </span>
          <input required type="url" inputMode="url" placeholder="https://…" value={f.url} onChange={set("url")} aria-invalid={Boolean(badUrl)} aria-describedby="src-url-err" />
          <span id="src-url-err" className="field-error">{badUrl}</span>
        </label>
        <label className="field">
          <span>
            Filename<span className="req" aria-hidden="true">*</span>
          </span>
          <input required placeholder="model.safetensors" value={f.filename} onChange={set("filename")} aria-invalid={Boolean(badFile)} aria-describedby="src-file-err" />
          <span id="src-file-err" className="field-error">{badFile}</span>
        </label>
        <label className="field">
          <span>
            License<span className="req" aria-hidden="true">*</span>
          </span>
          <select value={f.license} onChange={set("license")}>
            {LICENSES.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <label className="field span-2">
          <span>
            Checksum (SHA-256) <span className="hint">optional, recommended: the download is verified against it</span>
          </span>
          <input className="mono" value={f.sha256} onChange={set("sha256")} spellCheck={false} aria-invalid={Boolean(badSha)} aria-describedby="src-sha-err" />
          <span id="src-sha-err" className="field-error">{badSha}</span>
        </label>
        <label className="field">
          <span>
            Tags <span className="hint">comma separated</span>
          </span>
          <input value={f.tags} onChange={set("tags")} />
        </label>
        <label className="field">
          <span>Notes</span>
          <input value={f.notes} onChange={set("notes")} maxLength={1000} />
        </label>
      </div>
      {(noChecksum || unknownLicense) && (
        <div className={`alert ${noChecksum && unknownLicense ? "error" : "warn"} gates`}>
          <strong>{noChecksum && unknownLicense ? "No checksum and an unknown license: I understand the risks" : "Safety gate"}</strong>
          {noChecksum && (
            <label className="check">
              <input type="checkbox" checked={ackChecksum} onChange={(e) => setAckChecksum(e.target.checked)} />
              <span>No checksum: the file cannot be verified. I download it at my own risk.</span>
            </label>
          )}
          {unknownLicense && (
            <label className="check">
              <input type="checkbox" checked={ackLicense} onChange={(e) => setAckLicense(e.target.checked)} />
              <span>The license is unknown: I am responsible for checking that I may use this model.</span>
            </label>
          )}
        </div>
      )}
      <div className="row">
        <button className="btn primary" type="submit" disabled={!ready || add.isPending}>
          {add.isPending ? "Adding…" : "Add source"}
        </button>
        {!gatesOk && complete && <span className="small muted">Tick the acknowledgment above to continue.</span>}
      </div>
      <div aria-live="polite">
        {added && (
          <p className="alert ok" role="status">
            Added “{added}” to your model sources.
          </p>
        )}
        {add.isError && <ErrorBox error={add.error} title="The source was not added" />}
      </div>
    </form>
  );
}

export function SourceList({ canDownload }: { canDownload: boolean }) {
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ["setup", "sources"],
    queryFn: () => apiFetch<{ count: number; models_dir: string; sources: SourceView[] }>("/v1/sources"),
  });
  const remove = useMutation({
    mutationFn: (id: string) => apiFetch<void>(`/v1/sources/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["setup", "sources"] }),
  });
  if (q.isPending) return <Loading label="Loading model sources…" />;
  if (q.isError) return <ErrorBox error={q.error} title="Could not list model sources" />;
  const sources = q.data.sources;
  return (
    <div className="card source-list">
      <div className="card-head">
        <h3>Model sources</h3>
        <span className="small muted mono" title="Models folder">
          {q.data.models_dir}
        </span>
      </div>
      {sources.length === 0 ? (
        <p className="empty">No model sources yet.</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Model sources, scrollable">
          <table>
            <caption className="sr-only">Model sources</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">License</th>
                <th scope="col">Checksum</th>
                <th scope="col">On disk</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sources.map((s) => (
                <tr key={s.id}>
                  <th scope="row" className="component">
                    {s.name}
                    <div className="small muted">{s.curated ? (s.recommended ? "curated · recommended" : "curated") : "yours"}</div>
                  </th>
                  <td>{s.type.replace(/_/g, " ")}</td>
                  <td>{s.license}</td>
                  <td>{s.sha256 ? <StatusBadge tone="ok" label="SHA-256" /> : <StatusBadge tone="warn" label="none" />}</td>
                  <td>
                    <SourceDownload id={s.id} name={s.name} status={s.installed?.status ?? "unknown"} hasChecksum={Boolean(s.sha256)} canDownload={canDownload} />
                  </td>
                  <td>
                    {!s.curated && (
                      <button className="btn ghost small danger" onClick={() => remove.mutate(s.id)} aria-label={`Remove ${s.name}`}>
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {remove.isError && <ErrorBox error={remove.error} title="Could not remove it" />}
    </div>
  );
}
