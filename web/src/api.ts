// Calls to the bucketops API; writes carry the token from sessionStorage when the server asks for one.
import type { BucketView } from "./types.js";

const TOKEN_KEY = "bucketops.token";

export function token(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function setToken(value: string): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An API answer that was not 2xx: its status and the `error` of its JSON body. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function bucketPath(b: { namespace: string; name: string }): string {
  return `/api/buckets/${encodeURIComponent(b.namespace)}/${encodeURIComponent(b.name)}`;
}

/** GETs JSON; throws ApiError for an error answer. */
export async function getJson<T>(url: string): Promise<T> {
  return answer<T>(await fetch(url, { headers: { accept: "application/json" } }));
}

/** POSTs a write (reconcile, suspend, resume) with the token, if any. */
export async function post<T>(url: string): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  return answer<T>(await fetch(url, { method: "POST", headers }));
}

export type Action = "reconcile" | "suspend" | "resume";

export function act(b: BucketView, action: Action): Promise<unknown> {
  return post(`${bucketPath(b)}/${action}`);
}

async function answer<T>(res: Response): Promise<T> {
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const message = (body as { error?: unknown } | undefined)?.error;
    throw new ApiError(res.status, typeof message === "string" ? message : `HTTP ${res.status}`);
  }
  return body as T;
}
