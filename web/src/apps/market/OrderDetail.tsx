import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef } from "react";
import { Link, useParams } from "react-router-dom";
import { api, unwrap } from "../../api/client";
import { MediaView } from "../../components/Media";
import type { Kind } from "../../canvas/types";
import { duration, formatDate } from "../../lib/format";
import { PageHeader } from "../../shell/Shell";
import { ENDED, type Order } from "./types";
import { ErrorBox, Loading, MarketTabs, StatusBadge, usd } from "./ui";
import "./market.css";

const STEPS = [
  { status: "paid", label: "Paid", note: "price held from your credits" },
  { status: "in_progress", label: "In progress", note: "the agent is generating" },
  { status: "delivered", label: "Delivered", note: "posted and in your gallery" },
] as const;

function Timeline({ order }: { order: Order }) {
  const failed = order.status === "failed" || order.status === "refunded" || order.status === "canceled";
  const at = order.status === "delivered" ? 3 : order.status === "in_progress" ? 1 : order.status === "paid" ? 0 : -1;
  return (
    <ol className="mk-timeline" aria-label="Order progress">
      {STEPS.map((s, i) => {
        const state = failed ? (i === 0 ? "done" : "off") : i < at || at === 3 ? "done" : i === at ? "now" : "off";
        return (
          <li key={s.status} className={"mk-step " + state} aria-current={state === "now" ? "step" : undefined}>
            <span className="mk-dot" aria-hidden="true">
              {state === "done" ? "✓" : state === "now" ? <span className="spinner mk-spin" /> : i + 1}
            </span>
            <span>
              <strong>{s.label}</strong>
              <span className="muted small"> · {s.note}</span>
            </span>
          </li>
        );
      })}
      {failed && (
        <li className="mk-step bad">
          <span className="mk-dot" aria-hidden="true">
            ✕
          </span>
          <span>
            <strong>{order.status === "canceled" ? "Canceled" : "Failed"}</strong>
            <span className="muted small"> · {usd(order.refunded_micros)} back in your credits</span>
          </span>
        </li>
      )}
    </ol>
  );
}

export default function OrderDetail() {
  const { orderId = "" } = useParams();
  const qc = useQueryClient();
  const seen = useRef(false);
  const order = useQuery({
    queryKey: ["market", "order", orderId],
    // After the first answer, each poll waits on the server until the order ends (or 20 s).
    queryFn: async () => {
      const wait = seen.current ? 20 : 0;
      seen.current = true;
      return unwrap(await api.GET("/v1/market/orders/{order_id}", { params: { path: { order_id: orderId }, query: { wait } } }));
    },
    refetchInterval: (q) => (q.state.data && ENDED.includes(q.state.data.status) ? false : 50),
    refetchIntervalInBackground: false,
  });
  const cancel = useMutation({
    mutationFn: async () => unwrap(await api.POST("/v1/market/orders/{order_id}/cancel", { params: { path: { order_id: orderId } } })),
    onSuccess: (o) => {
      qc.setQueryData(["market", "order", orderId], o);
      void qc.invalidateQueries({ queryKey: ["market", "orders"] });
    },
  });
  if (order.isPending) return <Loading what="the order" />;
  if (order.isError)
    return (
      <div className="page">
        <PageHeader title="Order" />
        <ErrorBox error={order.error} title="Could not load this order" />
      </div>
    );
  const o = order.data;
  const error = o.error as { code?: string; message?: string; remediation?: string[] } | null;
  return (
    <div className="page">
      <PageHeader
        title={o.service_title ? `${o.service_title} order` : "Order"}
        subtitle={
          <>
            by <Link to={`/market/agents/${encodeURIComponent(o.agent_id)}`}>{o.agent_name ?? o.agent_id}</Link> · placed {formatDate(o.created_at)}
          </>
        }
        actions={
          <>
            {o.status === "paid" && (
              <button className="btn danger" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
                Cancel order
              </button>
            )}
            <Link className="btn" to={`/market/services/${encodeURIComponent(o.service_id)}`}>
              Order again
            </Link>
          </>
        }
      />
      <MarketTabs />
      <div className="mk-order-layout">
        <div className="stack">
          <section className="card" aria-labelledby="status-h">
            <div className="card-head">
              <h2 id="status-h">Status</h2>
              <StatusBadge status={o.status} />
            </div>
            <Timeline order={o} />
          </section>
          {cancel.isError && <ErrorBox error={cancel.error} title="Could not cancel" />}
          {error && (
            <div className="alert error" role="alert">
              <strong>The generation did not succeed</strong> <span className="mono small">{error.code}</span>
              <div>{error.message}</div>
              {error.remediation && error.remediation.length > 0 && (
                <ul>
                  {error.remediation.map((r) => (
                    <li key={r}>{r}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
          {o.post && (
            <section className="card mk-delivery" aria-labelledby="delivery-h">
              <div className="card-head">
                <h2 id="delivery-h">Delivered</h2>
                <span className="muted small">
                  in {duration(o.created_at, o.delivered_at)}
                </span>
              </div>
              {o.post.media.map((m, i) => (
                <MediaView key={m.url} url={m.url} kind={m.kind as Kind} label={`Delivered ${m.kind} ${i + 1}: ${o.post?.caption ?? ""}`} />
              ))}
              <p className="mk-caption">{o.post.caption}</p>
              <div className="row">
                {o.deliverables.map((d) => (
                  <a key={d.artifact_id} className="btn small" href={d.url} download>
                    Download {d.kind}
                  </a>
                ))}
                <span className="muted small">A copy is in your Gallery.</span>
              </div>
            </section>
          )}
        </div>
        <aside className="card" aria-labelledby="summary-h">
          <h2 id="summary-h">Summary</h2>
          <dl className="kv">
            <dt>Order</dt>
            <dd className="mono small">{o.id}</dd>
            <dt>Brief</dt>
            <dd>{o.brief}</dd>
            <dt>Price</dt>
            <dd className="mk-price">{o.price}</dd>
            <dt>Charged</dt>
            <dd>{usd(o.captured_micros)}</dd>
            {o.refunded_micros > 0 && (
              <>
                <dt>Refunded</dt>
                <dd>{usd(o.refunded_micros)}</dd>
              </>
            )}
            {o.run_id && (
              <>
                <dt>Run</dt>
                <dd className="mono small">{o.run_id}</dd>
              </>
            )}
          </dl>
        </aside>
      </div>
    </div>
  );
}
