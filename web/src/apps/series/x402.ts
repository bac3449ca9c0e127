/**
 * x402 v1 from the browser: POST without X-PAYMENT → 402 {accepts}; sign the first
 * requirement (EIP-3009 TransferWithAuthorization, "exact" scheme on EVM); retry with
 * X-PAYMENT (base64 JSON). Signers: the sandbox wallet (the server signs for this human in
 * sandbox mode) or an injected browser wallet (`window.ethereum`, eth_signTypedData_v4).
 */
import { ApiError, apiFetch, api, jsonBody } from "../../api/client";

export interface Requirement {
  scheme: string;
  network: string;
  maxAmountRequired: string;
  resource: string;
  description: string;
  payTo: string;
  maxTimeoutSeconds: number;
  asset: string;
  extra: { name: string; version: string } | null;
}

export interface TipResult {
  success: boolean;
  vote_id: string;
  tip_amount_cents: number;
  splits: { recipient_type: string; amount_cents: number; split_percent: number; status: string; wallet_address: string | null }[];
  transaction: string;
  payer?: string;
}

export type Signer = (req: Requirement) => Promise<{ header: string; payer: string }>;

const CHAIN_IDS: Record<string, number> = { base: 8453, "base-sepolia": 84532 };

interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export function injectedWallet(): Eip1193 | null {
  const eth = (window as unknown as { ethereum?: Eip1193 }).ethereum;
  return eth && typeof eth.request === "function" ? eth : null;
}

function b64json(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let bin = "";
  bytes.forEach((b) => (bin += String.fromCharCode(b)));
  return btoa(bin);
}

function randomNonce(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return "0x" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function sandboxSigner(walletNumber: number): Signer {
  return async (req) => {
    const out = await apiFetch<{ x_payment: string; payer: string }>(
      "/api/v1/console/sandbox/payment",
      jsonBody({ accepts: req, wallet_number: walletNumber }),
    );
    return { header: out.x_payment, payer: out.payer };
  };
}

export function browserSigner(): Signer {
  return async (req) => {
    const eth = injectedWallet();
    if (!eth) throw new ApiError(0, "NO_WALLET", "No browser wallet found.", ["Install a wallet extension, or use the sandbox wallet in sandbox mode."]);
    const accounts = (await eth.request({ method: "eth_requestAccounts" })) as string[];
    const from = accounts[0];
    const now = Math.floor(Date.now() / 1000);
    const authorization = {
      from,
      to: req.payTo,
      value: req.maxAmountRequired,
      validAfter: String(now - 60),
      validBefore: String(now + (req.maxTimeoutSeconds || 300)),
      nonce: randomNonce(),
    };
    const typed = {
      types: {
        EIP712Domain: [
          { name: "name", type: "string" },
          { name: "version", type: "string" },
          { name: "chainId", type: "uint256" },
          { name: "verifyingContract", type: "address" },
        ],
        TransferWithAuthorization: [
          { name: "from", type: "address" },
          { name: "to", type: "address" },
          { name: "value", type: "uint256" },
          { name: "validAfter", type: "uint256" },
          { name: "validBefore", type: "uint256" },
          { name: "nonce", type: "bytes32" },
        ],
      },
      primaryType: "TransferWithAuthorization",
      domain: { name: req.extra?.name ?? "USD Coin", version: req.extra?.version ?? "2", chainId: CHAIN_IDS[req.network], verifyingContract: req.asset },
      message: authorization,
    };
    const signature = (await eth.request({ method: "eth_signTypedData_v4", params: [from, JSON.stringify(typed)] })) as string;
    const header = b64json({ x402Version: 1, scheme: "exact", network: req.network, payload: { signature, authorization } });
    return { header, payer: from.toLowerCase() };
  };
}

type Target = { variantId: string } | { seriesId: string };

async function post(target: Target, cents: number, payment?: string) {
  const header = payment ? { "X-PAYMENT": payment } : {};
  const body = { tip_amount_cents: cents };
  return "variantId" in target
    ? api.POST("/api/v1/voting/clips/{clip_variant_id}/tip", { params: { path: { clip_variant_id: target.variantId }, header }, body })
    : api.POST("/api/v1/series/{series_id}/tip", { params: { path: { series_id: target.seriesId }, header }, body });
}

function refusal(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as { code?: string; message?: string; error?: unknown; remediation?: string[] };
  if (b.error && typeof b.error === "object") return ApiError.fromBody(status, body);
  return new ApiError(status, String(b.code ?? "PAYMENT_INVALID"), String(b.message ?? b.error ?? "The payment was refused."), b.remediation ?? [], body);
}

/** The whole x402 round trip; throws ApiError with the server's code on refusal. */
export async function tipWithX402(target: Target, cents: number, sign: Signer): Promise<TipResult> {
  const first = await post(target, cents);
  if (first.response.status !== 402) throw refusal(first.response.status, first.error ?? first.data);
  const accepts = ((first.error ?? {}) as { accepts?: Requirement[] }).accepts ?? [];
  if (!accepts.length) throw refusal(402, first.error);
  const { header, payer } = await sign(accepts[0]);
  const paid = await post(target, cents, header);
  if (!paid.response.ok) throw refusal(paid.response.status, paid.error);
  return { ...(paid.data as unknown as TipResult), payer };
}
