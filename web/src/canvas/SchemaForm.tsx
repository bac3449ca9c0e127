/** One control per model setting (seed 002 §5): enum → select, boolean → checkbox,
 * number → number input with min/max, prompt-like text → textarea, else text input. */
import { memo } from "react";
import type { SchemaParam } from "./catalog";

function label(p: SchemaParam): string {
  if (p.title) return p.title;
  const s = p.name.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function coerce(p: SchemaParam, raw: string): unknown {
  if (raw === "") return undefined;
  if (p.type === "integer") return Number.parseInt(raw, 10);
  if (p.type === "number") return Number.parseFloat(raw);
  if (p.enum) {
    const hit = p.enum.find((v) => String(v) === raw);
    return hit ?? raw;
  }
  if (p.type === "array") return raw.split(",").map((s) => s.trim()).filter(Boolean);
  return raw;
}

interface Props {
  idPrefix: string;
  params: SchemaParam[];
  values: Record<string, unknown>;
  onChange: (name: string, value: unknown) => void;
}

function SchemaFormInner({ idPrefix, params, values, onChange }: Props) {
  return (
    <div className="schema-form">
      {params.map((p) => {
        const id = `${idPrefix}-${p.name}`;
        const value = values[p.name];
        const req = p.required ? (
          <span className="req" aria-hidden="true">
            *
          </span>
        ) : null;
        const help = p.description ? <span className="hint">{p.description}</span> : null;
        if (p.type === "boolean") {
          return (
            <label key={p.name} className="check" htmlFor={id} title={p.description ?? undefined}>
              <input id={id} type="checkbox" checked={Boolean(value)} onChange={(e) => onChange(p.name, e.target.checked)} />
              <span>
                {label(p)}
                {req}
              </span>
            </label>
          );
        }
        let control;
        if (p.enum && p.enum.length) {
          control = (
            <select id={id} value={value === undefined ? "" : String(value)} required={p.required} onChange={(e) => onChange(p.name, coerce(p, e.target.value))}>
              {!p.required || value === undefined ? <option value="">{p.has_default ? "(default)" : "—"}</option> : null}
              {p.enum.map((v) => (
                <option key={String(v)} value={String(v)}>
                  {String(v)}
                </option>
              ))}
            </select>
          );
        } else if (p.type === "integer" || p.type === "number") {
          control = (
            <input
              id={id}
              type="number"
              inputMode={p.type === "integer" ? "numeric" : "decimal"}
              step={p.type === "integer" ? 1 : "any"}
              min={p.minimum ?? undefined}
              max={p.maximum ?? undefined}
              required={p.required}
              value={value === undefined || value === null ? "" : String(value)}
              onChange={(e) => onChange(p.name, coerce(p, e.target.value))}
            />
          );
        } else if (/prompt|text|description|caption/.test(p.name)) {
          control = (
            <textarea id={id} rows={2} required={p.required} value={value === undefined ? "" : String(value)} onChange={(e) => onChange(p.name, coerce(p, e.target.value))} />
          );
        } else {
          control = (
            <input
              id={id}
              type="text"
              required={p.required}
              value={value === undefined || value === null ? "" : Array.isArray(value) ? value.join(", ") : String(value)}
              onChange={(e) => onChange(p.name, coerce(p, e.target.value))}
            />
          );
        }
        return (
          <div key={p.name} className="field">
            <label htmlFor={id}>
              {label(p)}
              {req}
              {p.minimum !== null && p.maximum !== null && (p.type === "integer" || p.type === "number") ? (
                <span className="hint">
                  {" "}
                  ({p.minimum}–{p.maximum})
                </span>
              ) : null}
            </label>
            {control}
            {help}
          </div>
        );
      })}
    </div>
  );
}

export const SchemaForm = memo(SchemaFormInner);
export { label as paramLabel };
