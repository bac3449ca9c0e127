/** A preset's inputs drawn from its JSON schema (the canvas SchemaForm's rules): enum →
 * select, boolean → on/off/default, number → number input with min/max, prompt → textarea,
 * media → upload with preview, identity → photos or a character. Required fields marked. */
import type { PresetDetail, SchemaProp } from "./types";
import { IdentityInput, MediaInput } from "./MediaInput";

export type Values = Record<string, unknown>;

function Label({ id, prop, name, required }: { id: string; prop: SchemaProp; name: string; required: boolean }) {
  // The marker sits outside the <label>: the control's name stays exactly its title.
  return (
    <div className="label-row">
      <label htmlFor={id} className="field-label">
        {prop.title ?? name}
      </label>
      {required ? (
        <span className="req" aria-hidden="true">
          *
        </span>
      ) : (
        <span className="hint">(optional)</span>
      )}
    </div>
  );
}

function numberOrUndefined(raw: string, integer: boolean): number | undefined {
  if (raw === "") return undefined;
  const n = integer ? Number.parseInt(raw, 10) : Number.parseFloat(raw);
  return Number.isNaN(n) ? undefined : n;
}

export function PresetForm({ preset, values, onChange }: { preset: PresetDetail; values: Values; onChange: (name: string, value: unknown) => void }) {
  const { properties, required } = preset.input_schema;
  return (
    <div className="preset-form">
      {Object.entries(properties).map(([name, prop]) => {
        const id = `in-${name}`;
        const req = required.includes(name);
        const value = values[name];
        const hintId = prop.description ? `${id}-hint` : undefined;
        const hint = prop.description ? (
          <span id={hintId} className="hint">
            {prop.description}
          </span>
        ) : null;
        let control;
        if (prop["x-identity"]) {
          control = <IdentityInput id={id} label={prop.title ?? name} max={prop.maxItems ?? 3} value={value as string[] | undefined} onChange={(v) => onChange(name, v)} />;
        } else if (prop["x-media-kind"]) {
          control = <MediaInput id={id} kind={prop["x-media-kind"]} label={prop.title ?? name} required={req} value={value as string | undefined} onChange={(v) => onChange(name, v)} />;
        } else if (prop.enum) {
          control = (
            <select id={id} aria-describedby={hintId} value={value === undefined ? "" : String(value)} onChange={(e) => onChange(name, e.target.value || undefined)}>
              <option value="">{prop.default !== undefined ? `Default (${String(prop.default)})` : "—"}</option>
              {prop.enum.map((v) => (
                <option key={v} value={v}>
                  {v.replace(/_/g, " ")}
                </option>
              ))}
            </select>
          );
        } else if (prop.type === "boolean") {
          control = (
            <select id={id} aria-describedby={hintId} value={value === undefined ? "" : value ? "on" : "off"} onChange={(e) => onChange(name, e.target.value === "" ? undefined : e.target.value === "on")}>
              <option value="">As the quality level sets it</option>
              <option value="on">On</option>
              <option value="off">Off</option>
            </select>
          );
        } else if (prop.type === "integer" || prop.type === "number") {
          control = (
            <input
              id={id}
              type="number"
              aria-describedby={hintId}
              step={prop.type === "integer" ? 1 : "any"}
              min={prop.minimum}
              max={prop.maximum}
              placeholder={prop.default !== undefined ? String(prop.default) : undefined}
              value={value === undefined ? "" : String(value)}
              onChange={(e) => onChange(name, numberOrUndefined(e.target.value, prop.type === "integer"))}
            />
          );
        } else if (/prompt|template/.test(name) || (prop.maxLength ?? 0) > 300) {
          control = (
            <textarea
              id={id}
              aria-describedby={hintId}
              required={req}
              rows={name === "prompt" || name === "prompt_template" ? 4 : 2}
              maxLength={prop.maxLength}
              value={(value as string | undefined) ?? ""}
              onChange={(e) => onChange(name, e.target.value || undefined)}
            />
          );
        } else {
          control = <input id={id} type="text" aria-describedby={hintId} required={req} maxLength={prop.maxLength} value={(value as string | undefined) ?? ""} onChange={(e) => onChange(name, e.target.value || undefined)} />;
        }
        const media = prop["x-identity"] || prop["x-media-kind"];
        return (
          <div key={name} className={"field" + (media ? " media-field" : "")}>
            {media ? (
              <div className="label-row">
                <span className="field-label" id={`${id}-label`}>
                  {prop.title ?? name}
                </span>
                {req ? <span className="req" aria-hidden="true">*</span> : <span className="hint">(optional)</span>}
              </div>
            ) : (
              <Label id={id} prop={prop} name={name} required={req} />
            )}
            {control}
            {hint}
          </div>
        );
      })}
    </div>
  );
}
