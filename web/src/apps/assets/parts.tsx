/** Pieces every asset studio page shares: the mode switcher, error box, HD credit pill. */
import { NavLink } from "react-router-dom";
import { ApiError } from "../../api/client";
import type { Credits, ModeId } from "./api";

export const MODE_LABELS: Record<ModeId, { name: string; glyph: string; blurb: string }> = {
  pixel: { name: "Pixel", glyph: "▦", blurb: "Sprites, tiles and icons on a pixel grid" },
  business: { name: "Business", glyph: "◆", blurb: "Logos, banners and brand kits" },
  uiux: { name: "UI/UX", glyph: "▭", blurb: "Mockups, and HTML or React code" },
  vector: { name: "Vector", glyph: "✦", blurb: "Icons and flat art, traced to SVG" },
  emoji: { name: "Emoji", glyph: "☺", blurb: "Emoji and stickers in exact sizes" },
};

export function ModeSwitcher({ current }: { current?: ModeId }) {
  return (
    <nav aria-label="Asset modes" className="as-switcher">
      <ul>
        {(Object.keys(MODE_LABELS) as ModeId[]).map((id) => (
          <li key={id}>
            <NavLink
              to={`/${id}/studio`}
              className={({ isActive }) => `as-mode-tab as-mode-${id}` + (isActive || current === id ? " active" : "")}
              aria-current={current === id ? "page" : undefined}
            >
              <span aria-hidden="true" className="as-glyph">
                {MODE_LABELS[id].glyph}
              </span>
              {MODE_LABELS[id].name}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  return (
    <div className="alert error" role="alert">
      <strong>{e ? e.code : "Error"}</strong>: {e ? e.message : String((error as Error)?.message ?? error)}
      {e && e.remediation.length > 0 && (
        <ul>
          {e.remediation.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function CreditsPill({ credits }: { credits: Credits | undefined }) {
  if (!credits) return <span className="badge">HD credits…</span>;
  return (
    <span className="badge info as-credits" title={`Plan ${credits.plan}: ${credits.allocation_credits} this month + ${credits.topup_credits} top-up`}>
      {credits.hd_credits} HD credit{credits.hd_credits === 1 ? "" : "s"} · {credits.plan}
    </span>
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
