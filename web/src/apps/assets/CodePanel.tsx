/** The UI/UX studio's code: HTML/Tailwind or a React component from the chat model, with a
 * Chromium screenshot of the HTML. The code is offered as a download, never rendered here. */
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { assetsApi } from "./api";
import { ErrorBox } from "./parts";

export function CodePanel({ prompt, preset }: { prompt: string; preset: string }) {
  const [framework, setFramework] = useState<"html_tailwind" | "react">("html_tailwind");
  const run = useMutation({ mutationFn: () => assetsApi.uiuxCode(prompt, preset, framework) });
  const out = run.data;
  return (
    <section className="section card" aria-labelledby="as-code-h">
      <h2 id="as-code-h">Code</h2>
      <div className="filters">
        <div className="field">
          <label htmlFor="as-fw">Framework</label>
          <select id="as-fw" value={framework} onChange={(e) => setFramework(e.target.value as "html_tailwind" | "react")}>
            <option value="html_tailwind">HTML + Tailwind</option>
            <option value="react">React component</option>
          </select>
        </div>
        <button className="btn primary" disabled={!prompt.trim() || run.isPending} onClick={() => run.mutate()}>
          {run.isPending ? "Writing code…" : "Generate code"}
        </button>
      </div>
      {!prompt.trim() && <p className="muted small">Uses the prompt and preset above.</p>}
      <ErrorBox error={run.error} />
      {out && (
        <div className="stack">
          {out.preview && <img className="as-code-preview" src={out.preview.url} alt="Screenshot of the generated page" />}
          <p className="small">
            <a className="btn small" href={out.url} download>
              Download {out.framework === "react" ? "component (.jsx)" : "page (.html)"}
            </a>{" "}
            <span className="muted">by {out.model}</span>
          </p>
          <details>
            <summary>Show the code</summary>
            <pre className="log">{out.code}</pre>
          </details>
        </div>
      )}
    </section>
  );
}
