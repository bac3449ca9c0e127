import { ApiError, csrfToken } from "../api/client";

export interface Uploaded {
  id: string;
  media_type?: string;
  content_type?: string;
  name?: string;
  url?: string;
}

/** POST /v1/uploads (multipart `file`); the server reads the type from the bytes. */
export async function uploadFile(file: File): Promise<Uploaded> {
  const body = new FormData();
  body.append("file", file, file.name);
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = csrfToken();
  if (token) headers["X-CSRF-Token"] = token;
  const res = await fetch("/v1/uploads", { method: "POST", body, headers, credentials: "same-origin" });
  if (!res.ok) throw await ApiError.fromResponse(res);
  return (await res.json()) as Uploaded;
}
