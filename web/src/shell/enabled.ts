import type { AppModule } from "./types";

/**
 * Which bundled product modules to show: those the server has switched on (REELFORGE_APPS,
 * read from GET /v1/apps). `enabled` is undefined while that answer is on its way (show
 * none, so a product that is off never flashes into the nav) and null when the server
 * cannot say (one older than /v1/apps: show every bundled product, as before).
 */
export function enabledModules(modules: readonly AppModule[], enabled: readonly string[] | null | undefined): AppModule[] {
  if (enabled === undefined) return [];
  if (enabled === null) return [...modules];
  const on = new Set(enabled);
  return modules.filter((m) => on.has(m.id));
}
