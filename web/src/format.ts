// Small pure helpers: times, sizes, revisions, the Bucket's state and source URL.
import type { BucketView, Condition } from "./types.js";

/** "12s ago", "in 4m", or "—" when absent. */
export function relative(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return "—";
  const s = Math.round((Date.parse(iso) - now) / 1000);
  const a = Math.abs(s);
  const text =
    a < 90
      ? `${a}s`
      : a < 5400
        ? `${Math.round(a / 60)}m`
        : a < 129600
          ? `${Math.round(a / 3600)}h`
          : `${Math.round(a / 86400)}d`;
  return s < 0 ? `${text} ago` : `in ${text}`;
}

/** 1536 → "1.5 KiB". */
export function bytes(n: number | undefined): string {
  if (n === undefined) return "—";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i] ?? "GiB"}`;
}

/** sha256:abcdef… → "abcdef123456". */
export function shortRevision(revision: string | undefined): string {
  return revision ? revision.replace(/^sha256:/, "").slice(0, 12) : "—";
}

export function ready(b: BucketView): Condition | undefined {
  return b.status.conditions.find((c) => c.type === "Ready");
}

export type State = "suspended" | "reconciling" | "ready" | "failing" | "unknown";

/** The one word the list shows: suspended first (it is what the user chose), then the Ready condition. */
export function stateOf(b: BucketView): State {
  if (b.suspended) return "suspended";
  const r = ready(b);
  if (r?.status === "False") return "failing";
  if (b.reconciling) return "reconciling";
  if (r?.status === "True") return "ready";
  return "unknown";
}

/** Failing first, then unknown/reconciling, suspended, ready; by namespace/name within each. */
export function sortBuckets(items: readonly BucketView[]): BucketView[] {
  const rank: Record<State, number> = { failing: 0, unknown: 1, reconciling: 1, suspended: 2, ready: 3 };
  return [...items].sort((a, b) => rank[stateOf(a)] - rank[stateOf(b)] || key(a).localeCompare(key(b)));
}

export function key(b: { namespace: string; name: string }): string {
  return `${b.namespace}/${b.name}`;
}

/** Where the Bucket reads from, never with credentials (a user:password@ in a URL is dropped). */
export function sourceUrl(b: BucketView): string {
  const spec = b.spec;
  const str = (k: string): string | undefined => (typeof spec[k] === "string" ? spec[k] : undefined);
  let url = str("url");
  if (!url) {
    const provider = str("provider") ?? "generic";
    const scheme =
      provider === "gcp" ? "gs" : provider === "azure" ? "azblob" : provider === "file" ? "file" : "s3";
    const prefix = str("prefix");
    url = `${scheme}://${str("bucketName") ?? "?"}${prefix ? `/${prefix.replace(/^\/+/, "")}` : ""}`;
  }
  const endpoint = str("endpoint");
  return stripCredentials(url) + (endpoint ? ` @ ${stripCredentials(endpoint)}` : "");
}

function stripCredentials(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}
