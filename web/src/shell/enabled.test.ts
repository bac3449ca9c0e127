import { describe, expect, it } from "vitest";
import { enabledModules } from "./enabled";
import type { AppModule } from "./types";

const mod = (id: string): AppModule => ({ id, label: id, basePath: `/${id}`, routes: [] });
const bundled = [mod("assets"), mod("market"), mod("series")];

describe("the products the shell lists", () => {
  it("lists only those the server has switched on, in the bundle's order", () => {
    expect(enabledModules(bundled, ["series", "assets"]).map((m) => m.id)).toEqual(["assets", "series"]);
    expect(enabledModules(bundled, [])).toEqual([]);
  });
  it("lists none while the answer is on its way, every one when the server cannot say", () => {
    expect(enabledModules(bundled, undefined)).toEqual([]);
    expect(enabledModules(bundled, null).map((m) => m.id)).toEqual(["assets", "market", "series"]);
  });
  it("ignores a name the bundle has no pages for", () => {
    expect(enabledModules(bundled, ["market", "elsewhere"]).map((m) => m.id)).toEqual(["market"]);
  });
});
