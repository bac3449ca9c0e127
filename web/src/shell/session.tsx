import { createContext, useContext, type ReactNode } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, apiFetch, setCsrfToken } from "../api/client";

export interface SessionUser {
  id: string;
  name?: string;
  role?: string;
  [key: string]: unknown;
}

export interface Session {
  user: SessionUser | null;
  csrf_token?: string | null;
}

const SessionContext = createContext<{ session: Session; signOut: () => Promise<void> } | null>(null);

async function loadSession(): Promise<Session | "signed-out"> {
  try {
    const s = await apiFetch<Session>("/v1/session");
    setCsrfToken(s.csrf_token);
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return "signed-out";
    // A server without session routes (e.g. a dev proxy adding a Bearer key): use /v1/me.
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) {
      try {
        const me = await apiFetch<SessionUser>("/v1/me");
        return { user: me, csrf_token: null };
      } catch (inner) {
        if (inner instanceof ApiError && inner.status === 401) return "signed-out";
        throw inner;
      }
    }
    throw e;
  }
}

export function SessionGate({ children, signIn }: { children: ReactNode; signIn: ReactNode }) {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ["session"], queryFn: loadSession, staleTime: 60_000, retry: 1 });
  if (q.isPending) {
    return (
      <div className="center-screen" role="status" aria-live="polite">
        <div className="spinner" aria-hidden="true" /> Loading the studio…
      </div>
    );
  }
  if (q.isError) {
    return (
      <div className="center-screen">
        <div className="card narrow">
          <h1>Can't reach ReelForge</h1>
          <p className="muted">{(q.error as Error).message}</p>
          <button className="btn primary" onClick={() => q.refetch()}>
            Try again
          </button>
        </div>
      </div>
    );
  }
  if (q.data === "signed-out") return <>{signIn}</>;
  const signOut = async () => {
    try {
      await apiFetch("/v1/session", { method: "DELETE" });
    } finally {
      setCsrfToken(null);
      qc.clear();
      await qc.invalidateQueries({ queryKey: ["session"] });
    }
  };
  return <SessionContext.Provider value={{ session: q.data, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession() {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error("useSession outside SessionGate");
  return ctx;
}
