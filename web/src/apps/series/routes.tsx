import { lazy } from "react";
import type { AppModule } from "../../shell/types";

// Only lazy imports here: shell/modules.ts loads this file eagerly.
const Overview = lazy(() => import("./Overview"));
const Voting = lazy(() => import("./Voting"));
const Studios = lazy(() => import("./Studios"));
const StudioDetail = lazy(() => import("./StudioDetail"));
const Production = lazy(() => import("./Production"));
const SeriesDetail = lazy(() => import("./SeriesDetail"));
const Dashboard = lazy(() => import("./Dashboard"));

const series: AppModule = {
  id: "series",
  label: "Series",
  basePath: "/series",
  routes: [
    { path: "/series", element: <Overview /> },
    { path: "/series/voting", element: <Voting /> },
    { path: "/series/studios", element: <Studios /> },
    { path: "/series/studios/:studioId", element: <StudioDetail /> },
    { path: "/series/production/:scriptId", element: <Production /> },
    { path: "/series/dashboard", element: <Dashboard /> },
    { path: "/series/:seriesId", element: <SeriesDetail /> },
  ],
};

export default series;
