// The hook kinds `POST /hooks/<kind>` accepts, and which Bucket providers each kind's events concern.
import type { ResolvedProvider } from "../api/url.js";

export const HOOK_KINDS = ["s3", "gcs", "azure", "generic"] as const;
export type HookKind = (typeof HOOK_KINDS)[number];

/** Whether `value` names a hook kind. */
export function isHookKind(value: string): value is HookKind {
  return (HOOK_KINDS as readonly string[]).includes(value);
}

/** Providers whose Buckets a kind's events concern; undefined for `generic`, which names its Bucket. */
export const KIND_PROVIDERS: Readonly<Record<HookKind, readonly ResolvedProvider[] | undefined>> = {
  s3: ["generic", "aws"],
  gcs: ["gcp"],
  azure: ["azure"],
  generic: undefined,
};
