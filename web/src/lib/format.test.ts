import { describe, expect, it } from "vitest";
import { formatMicros } from "./format";

describe("formatMicros", () => {
  it("shows up to three decimals", () => {
    expect(formatMicros(96_000)).toBe("$0.096");
    expect(formatMicros(420_000)).toBe("$0.42");
    expect(formatMicros(1_500_000)).toBe("$1.5");
    expect(formatMicros(0)).toBe("$0");
  });
  it("says unknown for unknown prices", () => {
    expect(formatMicros(null)).toBe("unknown");
    expect(formatMicros(5, false)).toBe("unknown");
  });
});
