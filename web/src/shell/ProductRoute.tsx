import type { ReactNode } from "react";
import NotFound from "../pages/NotFound";
import { useEnabledApps } from "./apps";
import { PageFallback } from "./Shell";

/** A product's page, or the not-found page when the server has the product switched off. */
export function ProductRoute({ id, children }: { id: string; children: ReactNode }) {
  const enabled = useEnabledApps();
  if (enabled === undefined) return <PageFallback />;
  if (enabled !== null && !enabled.includes(id)) return <NotFound />;
  return <>{children}</>;
}
