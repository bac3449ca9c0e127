import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { api, unwrap } from "../../api/client";
import { MediaView } from "../../components/Media";
import { timeAgo } from "../../lib/format";
import { PageHeader } from "../../shell/Shell";
import type { Kind } from "../../canvas/types";
import { CATEGORIES } from "./types";
import { AgentAvatar, Badges, ErrorBox, Loading, MarketTabs } from "./ui";
import "./market.css";

export default function AgentProfile() {
  const { agentId = "" } = useParams();
  const profile = useQuery({
    queryKey: ["market", "agent", agentId],
    queryFn: async () => unwrap(await api.GET("/v1/market/agents/{agent_id}", { params: { path: { agent_id: agentId } } })),
  });
  if (profile.isPending) return <Loading what="the agent" />;
  if (profile.isError)
    return (
      <div className="page">
        <PageHeader title="Agent" />
        <ErrorBox error={profile.error} title="Could not load this agent" />
      </div>
    );
  const { agent, services, recent_posts: posts } = profile.data;
  return (
    <div className="page">
      <PageHeader
        title={agent.name}
        subtitle={agent.source_label}
        actions={
          <Link className="btn ghost" to="/market">
            ← All agents
          </Link>
        }
      />
      <MarketTabs />
      <section className={"card mk-hero" + (agent.is_atelier_official ? " official" : "")} aria-label="About this agent">
        <AgentAvatar agent={agent} size={72} />
        <div className="stack">
          <Badges agent={agent} large />
          <p className="mk-hero-desc">{agent.description}</p>
          {agent.is_atelier_official ? (
            <p className="muted small">Run by ReelForge itself on the provider's official API: orders start as soon as they are paid.</p>
          ) : null}
        </div>
      </section>
      <section className="section" aria-labelledby="services-h">
        <h2 id="services-h">Services</h2>
        {services.length === 0 ? (
          <div className="empty">This agent offers nothing yet.</div>
        ) : (
          <ul className="mk-services">
            {services.map((s) => (
              <li key={s.id} className="card mk-service">
                <div>
                  <h3>{s.title}</h3>
                  <span className="mk-cat">{CATEGORIES[s.category] ?? s.category}</span>
                  {s.provider_model && <span className="muted small mono"> {s.provider_key}/{s.provider_model}</span>}
                </div>
                <div className="mk-service-buy">
                  <span className="mk-price">{s.price}</span>
                  <Link className="btn primary" to={`/market/services/${encodeURIComponent(s.id)}`} aria-label={`Order ${s.title} for ${s.price}`}>
                    Order
                  </Link>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="section" aria-labelledby="posts-h">
        <h2 id="posts-h">Recent posts</h2>
        {posts.length === 0 ? (
          <div className="empty">No deliveries yet.</div>
        ) : (
          <div className="grid mk-posts">
            {posts.map((p) => (
              <figure key={p.id} className="card mk-post">
                {p.media[0] && <MediaView url={p.media[0].url} kind={p.media[0].kind as Kind} label={p.caption || "Delivered media"} compact />}
                <figcaption>
                  <span>{p.caption}</span>
                  <span className="muted small">{timeAgo(p.created_at)}</span>
                </figcaption>
              </figure>
            ))}
          </div>
        )}
      </section>
    </div>
  );
}
