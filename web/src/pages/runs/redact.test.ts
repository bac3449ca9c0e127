import { describe, expect, it } from "vitest";
import { priceRange } from "../presets/types";
import { redact } from "./redact";

describe("redact", () => {
  it("removes keys, tokens and signed query strings", () => {
    const text = [
      "owner key rf_MootJ5nAbCdEfGhIjKlMn",
      "Authorization: Bearer abcdef1234567890",
      'data: {"api_key": "sk-live-0123456789abcdef"}',
      "url: https://x.test/a.png?expires=1&sig=deadbeefcafe",
      "FAL_KEY=fal_0123456789abcdefgh",
    ].join("\n");
    const out = redact(text);
    expect(out).not.toContain("rf_MootJ5nAbCdEfGhIjKlMn");
    expect(out).not.toContain("abcdef1234567890");
    expect(out).not.toContain("sk-live-0123456789abcdef");
    expect(out).not.toContain("deadbeefcafe");
    expect(out).not.toContain("fal_0123456789abcdefgh");
  });
  it("keeps run ids, codes and request ids", () => {
    const text = "Run ID: run_01m99ff65acdb2s5z6xxjmpqjx\nError: DEPENDENCY_MISSING\nRequest ID: req_75bb75646eb892a7";
    expect(redact(text)).toBe(text);
  });
});

describe("priceRange", () => {
  const level = (min: number, max: number, known = true) => ({ description: "", price: { available: true, min_micros: min, max_micros: max, known, display: "" } });
  it("spans the cheapest to the dearest level", () => {
    expect(priceRange({ low: level(100_000, 120_000), pro: level(250_000, 280_000) })).toBe("$0.1 – $0.28");
  });
  it("marks a floor when a price is unknown", () => {
    expect(priceRange({ low: level(0, 0, false), pro: level(0, 0, false) })).toBe("≥ $0");
    expect(priceRange({ low: level(100_000, 280_000, false) })).toBe("$0.1 – $0.28+");
  });
});
