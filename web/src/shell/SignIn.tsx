import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { ApiError, apiFetch, setCsrfToken } from "../api/client";

/** API key → session (the key is sent once and never stored in the browser). */
export default function SignIn() {
  const qc = useQueryClient();
  const [key, setKey] = useState("");
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await apiFetch<{ csrf_token?: string }>("/v1/session", {
        method: "POST",
        body: JSON.stringify({ api_key: key.trim() }),
      });
      setCsrfToken(s.csrf_token);
      setKey("");
      await qc.invalidateQueries({ queryKey: ["session"] });
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="center-screen signin">
      <form className="card narrow" onSubmit={submit} aria-labelledby="signin-title">
        <div className="brand big">
          <span className="brand-mark" aria-hidden="true">▶</span> ReelForge
        </div>
        <h1 id="signin-title">Sign in to the studio</h1>
        <p className="muted">
          On the machine running ReelForge, open the link <code>reelforge serve</code> printed, or run{" "}
          <code>reelforge login-url</code> for a fresh one. Or paste an API key:
        </p>
        <label className="field">
          <span>API key</span>
          <input
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="rf_…"
            required
          />
        </label>
        {error && (
          <div className="alert error" role="alert">
            <strong>{error instanceof ApiError ? error.code : "Error"}</strong> {error.message}
            {error instanceof ApiError && error.remediation.length > 0 && <p>{error.remediation.join(" ")}</p>}
          </div>
        )}
        <button className="btn primary wide" type="submit" disabled={busy || !key.trim()}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="muted small">The key is exchanged for a session cookie; the browser never keeps it.</p>
      </form>
    </main>
  );
}
