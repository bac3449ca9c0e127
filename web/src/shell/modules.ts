import type { AppModule } from "./types";

/** Product pages: every web/src/apps/<id>/routes.tsx, default-exporting an AppModule. */
const found = import.meta.glob<{ default: AppModule }>("../apps/*/routes.tsx", { eager: true });

export const appModules: AppModule[] = Object.entries(found)
  .map(([file, mod]) => {
    if (!mod?.default?.id || !Array.isArray(mod.default.routes)) {
      console.warn(`[shell] ${file} does not export default an AppModule; skipped`);
      return null;
    }
    return mod.default;
  })
  .filter((m): m is AppModule => m !== null)
  .sort((a, b) => a.label.localeCompare(b.label));
