import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../../api/client";
import { PageHeader } from "../../shell/Shell";
import { ErrorBox, Loading, MarketTabs, useIsAdmin, usd } from "./ui";
import "./market.css";

/** Operators: what each delivered order earned (revenue captured minus the provider's cost). */
export default function Margins() {
  const admin = useIsAdmin();
  const margins = useQuery({
    queryKey: ["market", "margins"],
    queryFn: async () => unwrap(await api.GET("/v1/market/margins", { params: { query: { limit: 200 } } })),
    enabled: admin,
  });
  return (
    <div className="page">
      <PageHeader title="Marketplace margins" subtitle="Per delivered order: the retail price captured, the provider's cost booked against it, the margin." />
      <MarketTabs />
      {!admin ? (
        <div className="alert warn" role="status">
          Only the server's owner and admins see margins.
        </div>
      ) : margins.isError ? (
        <ErrorBox error={margins.error} title="Could not load the margins" />
      ) : margins.isPending ? (
        <Loading what="margins" />
      ) : (
        <>
          <div className="mk-stats" role="group" aria-label="Totals">
            <div className="card mk-stat">
              <span className="muted small">Delivered orders</span>
              <strong>{margins.data.totals.orders}</strong>
            </div>
            <div className="card mk-stat">
              <span className="muted small">Revenue</span>
              <strong>{usd(margins.data.totals.revenue_micros)}</strong>
            </div>
            <div className="card mk-stat">
              <span className="muted small">Provider cost</span>
              <strong>{usd(margins.data.totals.provider_cost_micros)}</strong>
            </div>
            <div className="card mk-stat good">
              <span className="muted small">Margin</span>
              <strong>{usd(margins.data.totals.margin_micros)}</strong>
            </div>
          </div>
          {margins.data.orders.length === 0 ? (
            <div className="empty">No delivered orders yet.</div>
          ) : (
            <div className="table-wrap">
              <table>
                <caption className="sr-only">Margin per delivered order</caption>
                <thead>
                  <tr>
                    <th scope="col">Order</th>
                    <th scope="col">Revenue</th>
                    <th scope="col">Provider cost</th>
                    <th scope="col">List price</th>
                    <th scope="col">Margin</th>
                  </tr>
                </thead>
                <tbody>
                  {margins.data.orders.map((m) => (
                    <tr key={m.order_id}>
                      <td>
                        <Link className="mono small" to={`/market/orders/${encodeURIComponent(m.order_id)}`}>
                          {m.order_id}
                        </Link>
                      </td>
                      <td>{usd(m.revenue_micros)}</td>
                      <td>{usd(m.provider_cost_micros)}</td>
                      <td className="muted">{usd(m.provider_list_micros)}</td>
                      <td className={m.margin_micros >= 0 ? "mk-good" : "mk-bad"}>{usd(m.margin_micros)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </div>
  );
}
