/** The ethics & safety checklist (seed 001 §9.5): four pledges, remembered in this browser
 * (they are not secrets), required before identity-based workflows. */
import { useEffect, useState } from "react";

const ITEMS = [
  { id: "identity", text: "I have permission to use any faces or identities in my content." },
  { id: "synthetic", text: "I understand that AI-generated content may be detected as synthetic (ReelForge labels it with content credentials)." },
  { id: "harm", text: "I will not use this tool to create misleading or harmful content." },
  { id: "terms", text: "I have read and agree to the terms of service of each provider I connect." },
];
const STORE = "reelforge.ethics-checklist";

function load(): Record<string, boolean> {
  try {
    return JSON.parse(localStorage.getItem(STORE) ?? "{}") as Record<string, boolean>;
  } catch {
    return {};
  }
}

export function SafetyChecklist() {
  const [done, setDone] = useState<Record<string, boolean>>(load);
  useEffect(() => {
    localStorage.setItem(STORE, JSON.stringify(done));
  }, [done]);
  const count = ITEMS.filter((i) => done[i.id]).length;
  const all = count === ITEMS.length;
  return (
    <section className="card checklist" aria-labelledby="ethics-title">
      <div className="card-head">
        <h3 id="ethics-title">Ethics &amp; safety checklist</h3>
        <span className={`badge ${all ? "ok" : "warn"}`}>
          {count} of {ITEMS.length}
        </span>
      </div>
      <div className="progress" aria-hidden="true">
        <div style={{ width: `${(count / ITEMS.length) * 100}%` }} />
      </div>
      <ul className="checklist-items">
        {ITEMS.map((item) => (
          <li key={item.id}>
            <label className="check">
              <input type="checkbox" checked={Boolean(done[item.id])} onChange={(e) => setDone({ ...done, [item.id]: e.target.checked })} />
              <span>{item.text}</span>
            </label>
          </li>
        ))}
      </ul>
      <p className="small muted">{all ? "Thank you. Identity-based presets still ask for consent on each run." : "Required for identity-based workflows (face swap, lip sync, likeness)."}</p>
    </section>
  );
}
