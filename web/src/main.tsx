import React, { lazy } from "react";
import ReactDOM from "react-dom/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createBrowserRouter, Navigate, RouterProvider } from "react-router-dom";
import Shell from "./shell/Shell";
import { SessionGate } from "./shell/session";
import SignIn from "./shell/SignIn";
import { appModules } from "./shell/modules";
import { ProductRoute } from "./shell/ProductRoute";
import NotFound from "./pages/NotFound";
import "./styles.css";

// Every page is its own chunk: the first page loads only the shell and what it shows.
const Studio = lazy(() => import("./canvas/StudioPage"));
const Presets = lazy(() => import("./pages/Presets"));
const PresetDetail = lazy(() => import("./pages/PresetDetail"));
const History = lazy(() => import("./pages/History"));
const RunDetail = lazy(() => import("./pages/RunDetail"));
const Gallery = lazy(() => import("./pages/Gallery"));
const Credits = lazy(() => import("./pages/Credits"));
const Setup = lazy(() => import("./pages/Setup"));

const queryClient = new QueryClient({
  defaultOptions: { queries: { refetchOnWindowFocus: false, retry: 1, staleTime: 15_000 } },
});

const router = createBrowserRouter([
  {
    path: "/",
    element: <Shell />,
    children: [
      { index: true, element: <Navigate to="/studio" replace /> },
      { path: "studio", element: <Studio /> },
      { path: "studio/:pipelineId", element: <Studio /> },
      { path: "presets", element: <Presets /> },
      { path: "presets/:presetId", element: <PresetDetail /> },
      { path: "history", element: <History /> },
      { path: "history/:runId", element: <RunDetail /> },
      { path: "gallery", element: <Gallery /> },
      { path: "credits", element: <Credits /> },
      { path: "setup", element: <Setup /> },
      // Every bundled product's pages; one the server has switched off shows the not-found page.
      ...appModules.flatMap((m) =>
        m.routes.map((r) => ({ path: r.path.replace(/^\//, ""), element: <ProductRoute id={m.id}>{r.element}</ProductRoute> })),
      ),
      { path: "*", element: <NotFound /> },
    ],
  },
]);

ReactDOM.createRoot(document.getElementById("root")!).render(
  <React.StrictMode>
    <QueryClientProvider client={queryClient}>
      <SessionGate signIn={<SignIn />}>
        <RouterProvider router={router} />
      </SessionGate>
    </QueryClientProvider>
  </React.StrictMode>,
);
