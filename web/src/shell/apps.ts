import { useQuery } from "@tanstack/react-query";
import { ApiError, api, unwrap } from "../api/client";
import { enabledModules } from "./enabled";
import { appModules } from "./modules";
import type { AppModule } from "./types";

/** GET /v1/apps: the products switched on; null from a server without that route. */
async function loadEnabled(): Promise<string[] | null> {
  try {
    return unwrap(await api.GET("/v1/apps")).apps;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

/** The server's answer: undefined while loading, null when it cannot say (or failed). */
export function useEnabledApps(): string[] | null | undefined {
  const q = useQuery({ queryKey: ["apps"], queryFn: loadEnabled, staleTime: Infinity });
  if (q.isPending) return undefined;
  return q.isError ? null : q.data;
}

/** The product modules to list in the nav: only the ones switched on. */
export function useEnabledModules(): AppModule[] {
  return enabledModules(appModules, useEnabledApps());
}
