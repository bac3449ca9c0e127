import { useEffect, useRef } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { ApiError } from "../api/client";
import { formatDate } from "../lib/format";
import { Icon } from "../shell/icons";
import { pipelinesApi } from "./pipelines";

function boxCount(doc: Record<string, unknown> | undefined): string {
  if (!doc) return "";
  const nodes = Array.isArray(doc.nodes) ? doc.nodes.length : 0;
  const drafts = (doc.layout as { drafts?: unknown[] } | undefined)?.drafts?.length ?? 0;
  const n = nodes + drafts;
  return (n === 1 ? "1 box" : `${n} boxes`) + " · ";
}

export function OpenDialog({ onClose, onOpen }: { onClose: () => void; onOpen: (id: string) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ["pipelines"], queryFn: pipelinesApi.list });
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const remove = async (id: string) => {
    await pipelinesApi.remove(id);
    await qc.invalidateQueries({ queryKey: ["pipelines"] });
  };
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="open-title" onClose={onClose} onCancel={onClose}>
      <div className="dialog-head">
        <h2 id="open-title">Open a pipeline</h2>
        <button className="btn ghost icon" aria-label="Close" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      {q.isPending && <p className="muted">Loading…</p>}
      {q.isError && (
        <div className="alert error">
          {q.error instanceof ApiError ? `${q.error.code}: ` : ""}
          {(q.error as Error).message}
        </div>
      )}
      {q.data && q.data.length === 0 && <p className="empty">No saved pipelines yet. Save the canvas with Ctrl+S.</p>}
      {q.data && q.data.length > 0 && (
        <ul className="pipeline-list">
          {q.data.map((p) => (
            <li key={p.id}>
              <button className="pipeline-item" onClick={() => onOpen(p.id)}>
                <strong>{p.name || p.id}</strong>
                <span className="muted small">
                  {boxCount(p.document)}v{p.version} · {formatDate(p.updated_at)}
                </span>
              </button>
              <button className="btn ghost icon danger" aria-label={`Delete ${p.name || p.id}`} onClick={() => void remove(p.id)}>
                <Icon name="trash" size={16} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <p className="small muted">
        Past runs open from <Link to="/history" onClick={onClose}>History</Link> (“Open on canvas”).
      </p>
    </dialog>
  );
}
