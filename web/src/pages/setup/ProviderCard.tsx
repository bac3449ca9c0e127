/** A "Connect provider" card (seed 001 §4.2): masked key input, Test connection, status
 * with the balance or the error (code, message, remediation). Connecting is one call:
 * POST /v1/setup/providers/{name}/connect checks the key with the provider, then stores it. */
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, apiFetch, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { ErrorBox, StatusBadge, formatBalance, type HealthRow, type Tone } from "./common";

export interface ProviderInfo {
  name: string;
  display_name: string;
  credential_fields: { name: string; env_vars: string[]; secret: boolean }[];
  credential_optional: boolean;
  connection: string;
  credential_source: string;
  sandbox: boolean;
}

type ConnectOut = components["schemas"]["ConnectOut"];
interface TestOut {
  ok: boolean;
  connection: string;
  sandbox: boolean;
  credential_source: string;
  balance: ConnectOut["balance"];
}

const SOURCE_WORDS: Record<string, string> = { sandbox: "the sandbox emulator", stored: "your stored key", env: "the environment key", none: "no key" };

const FIELD_LABELS: Record<string, string> = {
  api_key: "API key",
  api_token: "API token",
  access_key: "Access key",
  secret_key: "Secret key",
  key_id: "Key ID",
  key_secret: "Key secret",
  url: "Server URL",
};

export function fieldLabel(name: string): string {
  return FIELD_LABELS[name] ?? name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

function describe(p: ProviderInfo, row: HealthRow | undefined): { tone: Tone; label: string; note: string } {
  const from = (row?.key_from as string | undefined) ?? p.credential_source;
  const status = row?.status ?? (p.connection === "offline" ? "not_connected" : "connected");
  if (status === "error") return { tone: "err", label: "Error", note: row?.error ?? "The last check failed." };
  if (status === "not_connected") return { tone: "none", label: "Not connected", note: "Add a key to use it." };
  if (from === "sandbox") return { tone: "info", label: "Sandbox", note: "Emulated in sandbox mode; your key makes it live." };
  if (from === "stored") return { tone: "ok", label: "Connected", note: "Your key, encrypted at rest." };
  if (from === "env") return { tone: "ok", label: "Connected", note: "From this server's environment." };
  return { tone: "ok", label: "Connected", note: from === "none" ? "Needs no key." : "" };
}

export function ProviderCard({ provider, row, canConnect }: { provider: ProviderInfo; row?: HealthRow; canConnect: boolean }) {
  const qc = useQueryClient();
  const [values, setValues] = useState<Record<string, string>>({});
  const [reveal, setReveal] = useState(false);
  const [result, setResult] = useState<ConnectOut | null>(null);
  const headingId = `provider-${provider.name}`;

  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ["setup", "providers"] });
    void qc.invalidateQueries({ queryKey: ["setup", "health"] });
  };
  const connect = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST("/v1/setup/providers/{name}/connect", { params: { path: { name: provider.name } }, body: { values } })),
    onMutate: () => {
      setResult(null);
      check.reset();
    },
    onSuccess: (out) => {
      setResult(out);
      setValues({});
      refresh();
    },
  });
  // With no key typed, Test connection checks the credential in use now (stored, env, sandbox).
  const check = useMutation({
    mutationFn: () => apiFetch<TestOut>(`/v1/providers/${encodeURIComponent(provider.name)}/test`, { method: "POST" }),
    onMutate: () => {
      setResult(null);
      connect.reset();
    },
  });
  const disconnect = useMutation({
    mutationFn: async () => unwrap(await api.DELETE("/v1/setup/providers/{name}/connect", { params: { path: { name: provider.name } } })),
    onSuccess: () => {
      setResult(null);
      connect.reset();
      check.reset();
      refresh();
    },
  });

  const failed = connect.isError || check.isError;
  const state = failed ? { tone: "err" as Tone, label: "Error", note: "The check failed; see below." } : describe(provider, row);
  const balance = result?.balance ?? check.data?.balance ?? (row?.balance as HealthRow["balance"]);
  const keyFrom = (row?.key_from as string | undefined) ?? provider.credential_source;
  const filled = provider.credential_fields.every((f) => (values[f.name] ?? "").trim() !== "");
  const stored = ((row?.key_from as string | undefined) ?? provider.credential_source) === "stored";
  const anySecret = provider.credential_fields.some((f) => f.secret);

  const typed = provider.credential_fields.some((f) => (values[f.name] ?? "").trim() !== "");
  const current = !typed && keyFrom !== "none" && provider.connection !== "offline";
  const pending = connect.isPending || check.isPending;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (pending) return;
    if (filled) connect.mutate();
    else if (current) check.mutate();
  };

  return (
    <section className={`card provider-card tone-${state.tone}`} aria-labelledby={headingId} id={`card-${provider.name}`}>
      <div className="card-head">
        <div className="provider-title">
          <span className="provider-logo" aria-hidden="true">
            {provider.display_name.charAt(0)}
          </span>
          <div>
            <h3 id={headingId}>{provider.display_name}</h3>
            <p className="small muted provider-note">{state.note}</p>
          </div>
        </div>
        <StatusBadge tone={state.tone} label={state.label} />
      </div>
      <dl className="kv provider-facts">
        <dt>{keyFrom === "sandbox" && !result ? "Sandbox balance" : "Balance"}</dt>
        <dd data-testid="balance">{formatBalance(balance)}</dd>
      </dl>
      <form className="stack provider-form" onSubmit={submit} aria-label={`Connect ${provider.display_name}`}>
        {provider.credential_fields.map((f) => (
          <label key={f.name} className="field">
            <span>{fieldLabel(f.name)}</span>
            <input
              type={f.secret && !reveal ? "password" : "text"}
              autoComplete="off"
              spellCheck={false}
              value={values[f.name] ?? ""}
              placeholder={stored ? "•••••••• (stored; enter a new one to replace it)" : f.env_vars[0] ? `or set ${f.env_vars[0]}` : ""}
              onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
              disabled={!canConnect}
            />
          </label>
        ))}
        <div className="row">
          <button type="submit" className={`btn small ${typed ? "primary" : ""}`} disabled={!canConnect || pending || !(filled || current)} title={filled ? "Check this key with the provider, then store it" : "Check the credential in use now"}>
            {pending ? (
              <>
                <span className="spinner" aria-hidden="true" /> Testing…
              </>
            ) : (
              "Test connection"
            )}
          </button>
          {anySecret && (
            <button type="button" className="btn ghost small" aria-pressed={reveal} onClick={() => setReveal(!reveal)}>
              {reveal ? "Hide" : "Show"}
            </button>
          )}
          <span className="spacer" />
          {stored && canConnect && (
            <button type="button" className="btn ghost small danger" onClick={() => disconnect.mutate()} disabled={disconnect.isPending}>
              Disconnect
            </button>
          )}
        </div>
      </form>
      <div aria-live="polite" className="provider-result">
        {result && (
          <div className="alert ok" role="status">
            <strong>Connected</strong> · {result.message}
          </div>
        )}
        {check.data && (
          <div className="alert ok" role="status">
            <strong>It works</strong> · answered with {SOURCE_WORDS[check.data.credential_source] ?? check.data.credential_source}
            {check.data.balance ? ` (balance ${formatBalance(check.data.balance)})` : ""}.
          </div>
        )}
        {connect.isError && <ErrorBox error={connect.error} title="Connection failed" />}
        {check.isError && <ErrorBox error={check.error} title="Connection failed" />}
        {disconnect.isError && <ErrorBox error={disconnect.error} title="Could not disconnect" />}
      </div>
    </section>
  );
}
