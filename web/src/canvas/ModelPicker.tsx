/** A searchable model dropdown: every catalog model of the box's mode with its price. */
import { useEffect, useId, useMemo, useRef, useState } from "react";
import type { CatalogModel, Price } from "./catalog";

/** "$0.045/s" for per-second prices: the box's chip then shows the quote for its duration. */
export function priceLabel(p: Price): string {
  if (!p.known) return "unknown";
  if (p.basis === "per_second") return `${p.display}/s`;
  if (p.basis === "per_image") return `${p.display}/image`;
  return p.display;
}

interface Props {
  models: CatalogModel[];
  value: string;
  onChange: (id: string) => void;
  disabled?: boolean;
  loading?: boolean;
}

export function ModelPicker({ models, value, onChange, disabled, loading }: Props) {
  const [open, setOpen] = useState(false);
  const [q, setQ] = useState("");
  const [active, setActive] = useState(0);
  const listId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const selected = models.find((m) => m.id === value);

  const filtered = useMemo(() => {
    const terms = q.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) return models;
    return models.filter((m) => {
      const hay = `${m.label} ${m.id} ${m.provider}`.toLowerCase();
      return terms.every((t) => hay.includes(t));
    });
  }, [models, q]);

  useEffect(() => {
    if (!open) return;
    inputRef.current?.focus();
    const away = (e: MouseEvent) => {
      if (rootRef.current && !rootRef.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", away);
    return () => document.removeEventListener("mousedown", away);
  }, [open]);
  useEffect(() => setActive(0), [q]);

  const choose = (m: CatalogModel) => {
    onChange(m.id);
    setOpen(false);
    setQ("");
  };

  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, filtered.length - 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === "Enter") {
      e.preventDefault();
      const m = filtered[active];
      if (m) choose(m);
    } else if (e.key === "Escape") {
      e.stopPropagation();
      setOpen(false);
    }
  };

  useEffect(() => {
    if (!open) return;
    document.getElementById(`${listId}-opt-${active}`)?.scrollIntoView({ block: "nearest" });
  }, [active, open, listId]);

  return (
    <div className="model-picker nodrag" ref={rootRef}>
      <button
        type="button"
        className="picker-button"
        aria-haspopup="listbox"
        aria-expanded={open}
        disabled={disabled || loading}
        onClick={() => setOpen((o) => !o)}
      >
        {selected ? (
          <>
            <span className="picker-label">{selected.label}</span>
            <span className="price-tag">{priceLabel(selected.price)}</span>
          </>
        ) : (
          <span className="picker-placeholder">{loading ? "Loading models…" : disabled ? "Pick a mode first" : `Choose a model (${models.length})`}</span>
        )}
        <span aria-hidden="true" className="caret">
          ▾
        </span>
      </button>
      {open && (
        <div className="picker-pop nowheel">
          <input
            ref={inputRef}
            type="search"
            role="combobox"
            aria-expanded="true"
            aria-controls={listId}
            aria-activedescendant={filtered[active] ? `${listId}-opt-${active}` : undefined}
            aria-label="Search models"
            placeholder={`Search ${models.length} models…`}
            value={q}
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={onKey}
          />
          <ul id={listId} role="listbox" aria-label="Models" className="picker-list">
            {filtered.length === 0 && <li className="picker-empty">No model matches “{q}”</li>}
            {filtered.map((m, i) => (
              <li
                key={m.id}
                id={`${listId}-opt-${i}`}
                role="option"
                aria-selected={m.id === value}
                className={"picker-option" + (i === active ? " active" : "") + (m.id === value ? " selected" : "")}
                onMouseEnter={() => setActive(i)}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => choose(m)}
                data-model={m.id}
              >
                <span className="opt-main">
                  <span className="opt-label">{m.label}</span>
                  <span className="opt-id">{m.id}</span>
                </span>
                <span className={"price-tag" + (m.price.known ? "" : " unknown")}>{priceLabel(m.price)}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
