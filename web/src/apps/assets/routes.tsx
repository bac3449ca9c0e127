import { lazy } from "react";
import type { AppModule } from "../../shell/types";

// Lazy: shell/modules.ts imports this eagerly, the pages load only when opened.
const AssetsHome = lazy(() => import("./AssetsHome"));
const ModeStudio = lazy(() => import("./ModeStudio"));

const MODES = ["pixel", "business", "uiux", "vector", "emoji"] as const;

const assets: AppModule = {
  id: "assets",
  label: "Asset studio",
  basePath: "/assets",
  routes: [
    { path: "/assets", element: <AssetsHome /> },
    // One studio per mode; `key` gives each its own state (a mode never leaks into another).
    ...MODES.map((mode) => ({ path: `/${mode}/studio`, element: <ModeStudio key={mode} mode={mode} /> })),
  ],
};

export default assets;
