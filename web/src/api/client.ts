/**
 * The one way the studio talks to the server (WEBCONTRACT.md).
 *
 * Auth is the session cookie (HttpOnly, set by /login or POST /v1/session); API keys never
 * live in the browser. Cookie-authenticated writes carry X-CSRF-Token, read from the
 * rf_csrf cookie, or from the last /v1/session answer.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
let sessionCsrf: string | null = null;

/** Remember the CSRF token a /v1/session answer gave (the cookie may be unreadable in tests). */
export function setCsrfToken(token: string | null | undefined): void {
  sessionCsrf = token ?? null;
}

export function csrfToken(): string | null {
  const match = document.cookie.match(/(?:^|;\s*)rf_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : sessionCsrf;
}

function withCsrf(method: string, headers: Headers): Headers {
  if (WRITE_METHODS.has(method.toUpperCase()) && !headers.has("X-CSRF-Token")) {
    const token = csrfToken();
    if (token) headers.set("X-CSRF-Token", token);
  }
  return headers;
}

/** The server's error envelope: {"error": {code, message, remediation, detail}}. */
export class ApiError extends Error {
  status: number;
  code: string;
  remediation: string[];
  detail: unknown;
  requestId?: string;

  constructor(status: number, code: string, message: string, remediation: string[] = [], detail: unknown = null, requestId?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.remediation = remediation;
    this.detail = detail;
    this.requestId = requestId;
  }

  static async fromResponse(res: Response): Promise<ApiError> {
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      /* not JSON: keep the status text */
    }
    return ApiError.fromBody(res.status, body, res.statusText);
  }

  static fromBody(status: number, body: unknown, fallback = "Request failed"): ApiError {
    const env = (body as { error?: Record<string, unknown> } | null)?.error;
    if (env && typeof env === "object") {
      const rem = env.remediation;
      return new ApiError(
        status,
        String(env.code ?? "ERROR"),
        String(env.message ?? fallback),
        Array.isArray(rem) ? rem.map(String) : rem ? [String(rem)] : [],
        env.detail ?? null,
        env.request_id ? String(env.request_id) : undefined,
      );
    }
    const detail = (body as { detail?: unknown } | null)?.detail;
    return new ApiError(status, status === 404 ? "NOT_FOUND" : "HTTP_" + status, typeof detail === "string" ? detail : fallback || `HTTP ${status}`, [], detail ?? null);
  }
}

/** Untyped JSON fetch with the same cookie + CSRF handling; throws ApiError. */
export async function apiFetch<T>(path: string, init: RequestInit = {}): Promise<T> {
  const method = (init.method ?? "GET").toUpperCase();
  const headers = withCsrf(method, new Headers(init.headers));
  if (init.body !== undefined && typeof init.body === "string" && !headers.has("Content-Type")) {
    headers.set("Content-Type", "application/json");
  }
  headers.set("Accept", headers.get("Accept") ?? "application/json");
  const res = await fetch(path, { ...init, method, headers, credentials: "same-origin" });
  if (!res.ok) throw await ApiError.fromResponse(res);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get("Content-Type") ?? "";
  if (type.includes("json")) return (await res.json()) as T;
  return (await res.text()) as unknown as T;
}

/** JSON body helper for apiFetch. */
export function jsonBody(value: unknown, method = "POST"): RequestInit {
  return { method, body: JSON.stringify(value), headers: { "Content-Type": "application/json" } };
}

const csrfMiddleware: Middleware = {
  onRequest({ request }) {
    withCsrf(request.method, request.headers);
    return request;
  },
};

/** The typed client (paths from web/src/api/schema.d.ts, generated from /openapi.json). */
export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(csrfMiddleware);

/** Unwrap an openapi-fetch answer: the data, or throw ApiError from the envelope. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw ApiError.fromBody(result.response.status, result.error, result.response.statusText);
  }
  return result.data as T;
}
