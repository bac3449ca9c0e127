/** An upload/preview widget for one media input of a model. */
import { useRef, useState } from "react";
import { ApiError } from "../api/client";
import { artifactUrl, MediaView } from "../components/Media";
import { uploadFile } from "../components/upload";
import type { ModelInput } from "./catalog";
import { kindOfMime, type MediaRef } from "./types";

const ACCEPT: Record<string, string> = { image: "image/*", video: "video/*", audio: "audio/*" };

interface Props {
  boxId: string;
  slot: ModelInput;
  value: MediaRef | undefined;
  /** The box feeding this slot through an edge, if any. */
  fedBy: string | null;
  onChange: (ref: MediaRef | null) => void;
}

export function MediaSlot({ boxId, slot, value, fedBy, onChange }: Props) {
  const fileRef = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inputId = `${boxId}-upload-${slot.name}`;

  const pick = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const up = await uploadFile(file);
      onChange({ artifact_id: up.id, slot: slot.name, kind: kindOfMime(up.media_type ?? up.content_type ?? file.type), name: file.name });
    } catch (e) {
      setError(e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message);
    } finally {
      setBusy(false);
      if (fileRef.current) fileRef.current.value = "";
    }
  };

  return (
    <div className="media-slot nodrag">
      <div className="slot-head">
        <span className="field-label">
          {slot.name.replace(/_/g, " ")}
          {slot.required && !fedBy ? (
            <span className="req" aria-hidden="true">
              *
            </span>
          ) : null}
        </span>
        <span className={`kind-dot ${slot.kind}`}>{slot.kind}</span>
      </div>
      {fedBy && !value ? (
        <p className="slot-fed">
          ← from <strong>{fedBy}</strong>
        </p>
      ) : value ? (
        <div className="slot-preview">
          <MediaView url={artifactUrl(value.artifact_id)} kind={value.kind} label={`${slot.name} input`} compact />
          <div className="row">
            <span className="small muted ellipsis">{value.name ?? value.artifact_id}</span>
            <button type="button" className="btn ghost small" onClick={() => onChange(null)}>
              Remove
            </button>
          </div>
        </div>
      ) : (
        <label className="dropzone" htmlFor={inputId}
          onDragOver={(e) => e.preventDefault()}
          onDrop={(e) => {
            e.preventDefault();
            void pick(e.dataTransfer.files[0]);
          }}
        >
          {busy ? "Uploading…" : `Upload ${slot.kind}`}
          <input ref={fileRef} id={inputId} className="sr-only" type="file" accept={ACCEPT[slot.kind] ?? "*/*"} onChange={(e) => void pick(e.target.files?.[0])} />
        </label>
      )}
      {error && (
        <p className="slot-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
