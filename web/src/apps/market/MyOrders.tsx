import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate } from "react-router-dom";
import { api, unwrap } from "../../api/client";
import { timeAgo } from "../../lib/format";
import { PageHeader } from "../../shell/Shell";
import { ENDED } from "./types";
import { ErrorBox, Loading, MarketTabs, StatusBadge } from "./ui";
import "./market.css";

export default function MyOrders() {
  const navigate = useNavigate();
  const orders = useQuery({
    queryKey: ["market", "orders"],
    queryFn: async () => unwrap(await api.GET("/v1/market/orders", { params: { query: { limit: 100 } } })),
    refetchInterval: (q) => (q.state.data?.orders.some((o) => !ENDED.includes(o.status)) ? 2000 : false),
  });
  const list = orders.data?.orders ?? [];
  return (
    <div className="page">
      <PageHeader title="My orders" subtitle="What you ordered, where it is, and what it made." />
      <MarketTabs />
      {orders.isError && <ErrorBox error={orders.error} title="Could not load your orders" />}
      {orders.isPending ? (
        <Loading what="your orders" />
      ) : list.length === 0 ? (
        <div className="empty">
          No orders yet. <Link to="/market">Browse the agents</Link>
        </div>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Your orders, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Result</th>
                <th scope="col">Service</th>
                <th scope="col">Brief</th>
                <th scope="col">Status</th>
                <th scope="col">Price</th>
                <th scope="col">Placed</th>
              </tr>
            </thead>
            <tbody>
              {list.map((o) => {
                const media = o.post?.media[0];
                return (
                  <tr key={o.id} className="clickable" onClick={() => navigate(`/market/orders/${encodeURIComponent(o.id)}`)}>
                    <td className="mk-thumb-cell">
                      {media && media.kind === "image" ? (
                        <img className="mk-thumb" src={media.url} alt="" loading="lazy" />
                      ) : media ? (
                        <video className="mk-thumb" src={media.url} muted preload="metadata" aria-hidden="true" />
                      ) : (
                        <span className="mk-thumb placeholder" aria-hidden="true">
                          ◌
                        </span>
                      )}
                    </td>
                    <td>
                      <Link to={`/market/orders/${encodeURIComponent(o.id)}`} onClick={(e) => e.stopPropagation()}>
                        {o.service_title ?? o.service_id}
                      </Link>
                      <div className="muted small">{o.agent_name}</div>
                    </td>
                    <td className="mk-brief">{o.brief}</td>
                    <td>
                      <StatusBadge status={o.status} />
                    </td>
                    <td className="mk-price">{o.price}</td>
                    <td className="muted small">{timeAgo(o.created_at)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
