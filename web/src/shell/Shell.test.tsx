import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { renderToString } from "react-dom/server";
import { StaticRouter } from "react-router-dom/server";
import { describe, expect, it } from "vitest";
import { ProductRoute } from "./ProductRoute";
import { SessionGate } from "./session";
import Shell from "./Shell";

// The shell as it renders once the server has answered GET /v1/session and GET /v1/apps.
function render(apps: string[] | null, page = <Shell />): string {
  const client = new QueryClient();
  client.setQueryData(["session"], { user: { id: "usr_1", name: "Ada", role: "owner" } });
  client.setQueryData(["apps"], apps);
  return renderToString(
    <QueryClientProvider client={client}>
      <SessionGate signIn={<p>sign in</p>}>
        <StaticRouter location="/studio">{page}</StaticRouter>
      </SessionGate>
    </QueryClientProvider>,
  );
}

describe("the shell's product nav follows REELFORGE_APPS", () => {
  it("lists only the products switched on", () => {
    const html = render(["market", "series"]);
    expect(html).toContain("Marketplace");
    expect(html).toContain('href="/series"');
    expect(html).not.toContain("Asset studio");
    expect(html).not.toContain('href="/assets"');
  });
  it("has no Products heading when every product is off", () => {
    expect(render([])).not.toContain("Products");
  });
  it("lists every bundled product when the server cannot say", () => {
    const html = render(null);
    for (const label of ["Asset studio", "Marketplace", "Series"]) expect(html).toContain(label);
  });
  it("answers a switched-off product's page with the not-found page", () => {
    const page = <ProductRoute id="assets">assets page</ProductRoute>;
    expect(render(["market"], page)).toContain("Page not found");
    expect(render(["market"], page)).not.toContain("assets page");
    expect(render(["assets"], page)).toContain("assets page");
  });
});
