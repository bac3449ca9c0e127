/** Add top-up credits (owner/admin): audited with a reason, sent once (idempotency key). */
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { ErrorBox } from "../setup/common";

function newKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

export function TopupForm({ userId }: { userId: string }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState(userId);
  const [amount, setAmount] = useState("100");
  const [reason, setReason] = useState("");
  // One key per intended top-up: a double click or a retry after a timeout adds it once.
  const [key, setKey] = useState(newKey);
  const credits = Number(amount);
  const valid = Number.isInteger(credits) && credits > 0 && reason.trim() !== "" && target.trim() !== "";

  const topup = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/v1/credits/topups", {
          body: { user_id: target.trim(), amount_credits: credits, reason: reason.trim(), idempotency_key: key },
        }),
      ),
    onSuccess: () => {
      setKey(newKey());
      setReason("");
      void qc.invalidateQueries({ queryKey: ["credits"] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (valid && !topup.isPending) topup.mutate();
  };

  if (!open) {
    return (
      <button className="btn" onClick={() => setOpen(true)}>
        Add top-up
      </button>
    );
  }
  return (
    <form className="card topup-form" onSubmit={submit} aria-label="Add top-up credits">
      <h2 className="stat-label">Add top-up credits</h2>
      <div className="topup-fields">
        <label className="field">
          <span>User ID</span>
          <input className="mono" value={target} onChange={(e) => setTarget(e.target.value)} />
        </label>
        <label className="field">
          <span>Credits</span>
          <input type="number" min={1} step={1} value={amount} onChange={(e) => setAmount(e.target.value)} />
        </label>
        <label className="field topup-reason">
          <span>
            Reason<span className="req" aria-hidden="true">*</span>
          </span>
          <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Stored in the audit trail" maxLength={2000} />
        </label>
      </div>
      <div className="row">
        <button className="btn primary" type="submit" disabled={!valid || topup.isPending}>
          {topup.isPending ? "Adding…" : `Add ${Number.isFinite(credits) && credits > 0 ? credits : ""} credits`}
        </button>
        <button className="btn ghost" type="button" onClick={() => setOpen(false)}>
          Close
        </button>
      </div>
      <div aria-live="polite">
        {topup.isSuccess && (
          <p className="alert ok" role="status">
            Added {topup.data.amount.display}
            {topup.data.replayed ? " (already done: nothing changed)" : ""}. Balance now {topup.data.wallet.balance.display}.
          </p>
        )}
        {topup.isError && <ErrorBox error={topup.error} title="The top-up failed" />}
      </div>
    </form>
  );
}
