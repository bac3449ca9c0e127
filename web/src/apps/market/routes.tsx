import { lazy } from "react";
import type { AppModule } from "../../shell/types";

// Only lazy imports here: shell/modules.ts loads this file eagerly (WEBCONTRACT.md).
const Browse = lazy(() => import("./Browse"));
const AgentProfile = lazy(() => import("./AgentProfile"));
const ServiceOrder = lazy(() => import("./ServiceOrder"));
const MyOrders = lazy(() => import("./MyOrders"));
const OrderDetail = lazy(() => import("./OrderDetail"));
const Margins = lazy(() => import("./Margins"));

const market: AppModule = {
  id: "market",
  label: "Marketplace",
  basePath: "/market",
  routes: [
    { path: "/market", element: <Browse /> },
    { path: "/market/agents/:agentId", element: <AgentProfile /> },
    { path: "/market/services/:serviceId", element: <ServiceOrder /> },
    { path: "/market/orders", element: <MyOrders /> },
    { path: "/market/orders/:orderId", element: <OrderDetail /> },
    { path: "/market/margins", element: <Margins /> },
  ],
};

export default market;
