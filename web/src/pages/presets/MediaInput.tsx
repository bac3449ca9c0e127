/** Media inputs of a preset form: upload a file (POST /v1/uploads) and preview it; an
 * identity reference takes 1-3 photos or one of your characters. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { apiFetch, ApiError } from "../../api/client";
import { artifactUrl, MediaView } from "../../components/Media";
import { uploadFile } from "../../components/upload";
import { Icon } from "../../shell/icons";

const ACCEPT = { image: "image/*", video: "video/*", audio: "audio/*" } as const;
type MediaKind = keyof typeof ACCEPT;

function useUpload() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (file: File) => {
    setBusy(true);
    setError(null);
    try {
      return await uploadFile(file);
    } catch (e) {
      setError(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e));
      return null;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

export function MediaInput({ id, kind, label, required, value, onChange }: { id: string; kind: MediaKind; label: string; required: boolean; value: string | undefined; onChange: (v: string | undefined) => void }) {
  const up = useUpload();
  return (
    <div className="media-input">
      {value ? (
        <div className="media-picked">
          <MediaView url={artifactUrl(value)} kind={kind} label={`${label} (uploaded)`} compact />
          <button type="button" className="btn small ghost" onClick={() => onChange(undefined)}>
            Remove {label.toLowerCase()}
          </button>
        </div>
      ) : (
        <label className="dropzone" htmlFor={id}>
          <span className="dz-icon">
            <Icon name="upload" size={22} />
          </span>
          <span>{up.busy ? "Uploading…" : `Choose ${kind === "image" ? "an image" : `a ${kind}`} file`}</span>
        </label>
      )}
      <input
        id={id}
        className="sr-only"
        type="file"
        accept={ACCEPT[kind]}
        aria-label={`Upload ${label.toLowerCase()}`}
        aria-required={required}
        onChange={async (e) => {
          const file = e.target.files?.[0];
          e.target.value = "";
          if (!file) return;
          const done = await up.run(file);
          if (done) onChange(done.id);
        }}
      />
      {up.error && (
        <p className="field-error" role="alert">
          {up.error}
        </p>
      )}
    </div>
  );
}

interface Character {
  id: string;
  name: string;
  identity_reference: string;
}

export function IdentityInput({ id, label, max, value, onChange }: { id: string; label: string; max: number; value: string[] | undefined; onChange: (v: string[] | undefined) => void }) {
  const up = useUpload();
  const chars = useQuery({ queryKey: ["characters"], queryFn: () => apiFetch<{ characters: Character[] }>("/v1/characters?limit=50"), staleTime: 60_000 });
  const list = value ?? [];
  const character = list.find((v) => v.startsWith("character:"));
  const photos = list.filter((v) => !v.startsWith("character:"));
  const set = (next: string[]) => onChange(next.length ? next : undefined);
  return (
    <div className="media-input identity-input">
      {(chars.data?.characters.length ?? 0) > 0 && (
        <label className="field">
          <span className="hint">Use a saved character</span>
          <select value={character ?? ""} onChange={(e) => set(e.target.value ? [e.target.value] : [])} aria-label={`${label}: character`}>
            <option value="">— photos instead —</option>
            {chars.data!.characters.map((c) => (
              <option key={c.id} value={c.identity_reference}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {!character && (
        <>
          <div className="identity-photos">
            {photos.map((p, i) => (
              <div key={p} className="identity-photo">
                <img src={artifactUrl(p)} alt={`Reference photo ${i + 1}`} />
                <button type="button" className="btn small ghost" onClick={() => set(photos.filter((x) => x !== p))}>
                  Remove photo {i + 1}
                </button>
              </div>
            ))}
            {photos.length < max && (
              <label className="dropzone small-zone" htmlFor={id}>
                <span className="dz-icon">
                  <Icon name="plus" size={22} />
                </span>
                <span>{up.busy ? "Uploading…" : photos.length ? "Add a photo" : `Add 1–${max} photos`}</span>
              </label>
            )}
          </div>
          <input
            id={id}
            className="sr-only"
            type="file"
            accept="image/*"
            aria-label={`Upload ${label.toLowerCase()} photo`}
            onChange={async (e) => {
              const file = e.target.files?.[0];
              e.target.value = "";
              if (!file) return;
              const done = await up.run(file);
              if (done) set([...photos, done.id]);
            }}
          />
        </>
      )}
      {up.error && (
        <p className="field-error" role="alert">
          {up.error}
        </p>
      )}
    </div>
  );
}
