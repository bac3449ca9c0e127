import type React from "react";

/** One route a product module mounts (path is absolute, e.g. "/market/listings/:id"). */
export interface AppRoute {
  path: string;
  element: React.ReactNode;
}

/** A product's pages: web/src/apps/<id>/routes.tsx `export default` one of these. */
export interface AppModule {
  id: string;
  label: string;
  basePath: string;
  routes: AppRoute[];
}
