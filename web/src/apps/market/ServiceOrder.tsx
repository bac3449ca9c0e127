import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, apiFetch, jsonBody, unwrap } from "../../api/client";
import { uploadFile } from "../../components/upload";
import { PageHeader } from "../../shell/Shell";
import { CATEGORIES, type Order } from "./types";
import { AgentAvatar, Badges, ErrorBox, Loading, MarketTabs, usd } from "./ui";
import "./market.css";

const ACCEPT: Record<string, string> = { image: "image/*", video: "video/*", audio: "audio/*" };

function newKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

export default function ServiceOrder() {
  const { serviceId = "" } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [brief, setBrief] = useState("");
  const [files, setFiles] = useState<Record<string, File | null>>({});
  const [consent, setConsent] = useState(false);
  // One key per filled-in form: a double click or a retry after a network error places one order.
  const key = useRef(newKey());
  const detail = useQuery({
    queryKey: ["market", "service", serviceId],
    queryFn: async () => unwrap(await api.GET("/v1/market/services/{service_id}", { params: { path: { service_id: serviceId } } })),
  });
  const place = useMutation({
    mutationFn: async () => {
      const inputs = [];
      for (const slot of detail.data?.inputs ?? []) {
        const file = files[slot.name];
        if (file) inputs.push({ artifact_id: (await uploadFile(file)).id, slot: slot.name });
      }
      const init = jsonBody({ service_id: serviceId, brief, inputs, consent });
      init.headers = { ...(init.headers as Record<string, string>), "Idempotency-Key": key.current };
      return apiFetch<Order>("/v1/market/orders", init);
    },
    onSuccess: (order) => {
      void qc.invalidateQueries({ queryKey: ["market", "orders"] });
      navigate(`/market/orders/${encodeURIComponent(order.id)}`);
    },
  });
  if (detail.isPending) return <Loading what="the service" />;
  if (detail.isError)
    return (
      <div className="page">
        <PageHeader title="Service" />
        <ErrorBox error={detail.error} title="Could not load this service" />
      </div>
    );
  const { service, agent, inputs, quote } = detail.data;
  const needsConsent = inputs.some((s) => s.identity && (files[s.name] || s.required));
  const missing = inputs.filter((s) => s.required && !files[s.name]);
  const canPlace = brief.trim().length > 0 && missing.length === 0 && (!needsConsent || consent) && quote.enough && !place.isPending;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (canPlace) place.mutate();
  };
  return (
    <div className="page">
      <PageHeader
        title={`Order ${service.title}`}
        subtitle={
          <>
            from <Link to={`/market/agents/${encodeURIComponent(agent.id)}`}>{agent.name}</Link>
          </>
        }
      />
      <MarketTabs />
      <div className="mk-order-layout">
        <form className="card stack mk-order-form" onSubmit={submit} aria-labelledby="order-h">
          <h2 id="order-h">What to make</h2>
          <div className="field">
            <label htmlFor="mk-brief" className="field-label">
              Brief<span className="req" aria-hidden="true">*</span>
            </label>
            <textarea
              id="mk-brief"
              value={brief}
              onChange={(e) => setBrief(e.target.value)}
              rows={5}
              maxLength={4000}
              required
              aria-describedby="mk-brief-hint"
              placeholder="What should be made? e.g. a lighthouse at dusk, waves crashing, cinematic light"
            />
            <span id="mk-brief-hint" className="hint">
              This becomes the generation's prompt.
            </span>
          </div>
          {inputs.map((slot) => (
            <label key={slot.name} className="field">
              <span>
                {slot.name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase())} ({slot.kind})
                {slot.required ? <span className="req" aria-hidden="true">*</span> : <span className="hint"> optional</span>}
              </span>
              <input
                type="file"
                accept={ACCEPT[slot.kind] ?? "*/*"}
                required={slot.required}
                onChange={(e) => setFiles((f) => ({ ...f, [slot.name]: e.target.files?.[0] ?? null }))}
              />
              {slot.identity && <span className="hint">A real person's face or voice: consent is required.</span>}
            </label>
          ))}
          {inputs.some((s) => s.identity) && (
            <label className="check">
              <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} />
              <span>I have the permission of the person shown or heard in my inputs.</span>
            </label>
          )}
          {place.isError && <ErrorBox error={place.error} title="The order was not placed" />}
          <button className="btn primary wide mk-place" type="submit" disabled={!canPlace}>
            {place.isPending ? (
              <>
                <span className="spinner" aria-hidden="true" /> Placing the order…
              </>
            ) : (
              <>Place order · {quote.price}</>
            )}
          </button>
        </form>
        <aside className="stack" aria-label="Quote">
          <section className={"card mk-quote" + (agent.is_atelier_official ? " official" : "")} aria-labelledby="quote-h">
            <div className="row">
              <AgentAvatar agent={agent} size={40} />
              <div>
                <h2 id="quote-h">Quote</h2>
                <Badges agent={agent} />
              </div>
            </div>
            <dl className="kv mk-quote-kv">
              <dt>Service</dt>
              <dd>
                {service.title} <span className="mk-cat">{CATEGORIES[service.category] ?? service.category}</span>
              </dd>
              <dt>Price</dt>
              <dd className="mk-price">{quote.price}</dd>
              <dt>Your credits</dt>
              <dd>{usd(quote.available_micros)}</dd>
            </dl>
            {quote.enough ? (
              <p className="muted small">
                The price is held from your credits when you order, charged on {quote.charged_on}, and refunded {quote.refund}.
              </p>
            ) : (
              <div className="alert warn" role="status">
                You have {usd(quote.available_micros)}; this order needs {quote.price}.{" "}
                <Link to="/credits">Add credits</Link>
              </div>
            )}
          </section>
          {missing.length > 0 && (
            <p className="muted small" aria-live="polite">
              Still needed: {missing.map((s) => `${s.name} (${s.kind})`).join(", ")}
            </p>
          )}
        </aside>
      </div>
    </div>
  );
}
