import { describe, expect, it } from "vitest";
import { SHA256, filenameProblem, urlProblem } from "./gates";

describe("add-source gates", () => {
  it("refuses paths and traversal in file names", () => {
    expect(filenameProblem("model.safetensors")).toBeNull();
    expect(filenameProblem("../model.safetensors")).not.toBeNull();
    expect(filenameProblem("loras/model.safetensors")).not.toBeNull();
    expect(filenameProblem("C:\\model.ckpt")).not.toBeNull();
    expect(filenameProblem(".hidden")).not.toBeNull();
  });
  it("takes only http(s) addresses", () => {
    expect(urlProblem("https://example.com/a.safetensors")).toBeNull();
    expect(urlProblem("http://example.com/a")).toBeNull();
    expect(urlProblem("ftp://example.com/a")).not.toBeNull();
    expect(urlProblem("file:///etc/passwd")).not.toBeNull();
    expect(urlProblem("")).toBeNull();
  });
  it("knows a SHA-256", () => {
    expect(SHA256.test("a".repeat(64))).toBe(true);
    expect(SHA256.test("a".repeat(63))).toBe(false);
    expect(SHA256.test("g".repeat(64))).toBe(false);
  });
});
