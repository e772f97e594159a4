// The hook configuration: which Secret authenticates each enabled kind (`--hook-secret <kind>=<ns>/<name>`).
import { HOOK_KINDS, isHookKind, type HookKind } from "./kinds.js";

export interface HookSecretRef {
  kind: HookKind;
  namespace: string;
  name: string;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * Parses `<kind>=<namespace>/<secretName>` (e.g. `s3=flux-system/bucket-hooks`). Throws an Error saying what is
 * allowed when the value is malformed.
 */
export function parseHookSecret(value: string): HookSecretRef {
  const match = /^([^=]+)=([^/]+)\/(.+)$/.exec(value.trim());
  const kind = match?.[1] ?? "";
  const namespace = match?.[2] ?? "";
  const name = match?.[3] ?? "";
  if (!match)
    throw new Error(`"${value}" is not <kind>=<namespace>/<secretName>, e.g. s3=flux-system/bucket-hooks`);
  if (!isHookKind(kind))
    throw new Error(`hook kind "${kind}" is unknown; use one of ${HOOK_KINDS.join(", ")}`);
  if (!NAME.test(namespace) || !NAME.test(name))
    throw new Error(`"${namespace}/${name}" is not a valid <namespace>/<secretName>`);
  return { kind, namespace, name };
}

/** The Secret of each kind; a kind given twice is an error (which one would win is unclear). */
export function hookSecretsByKind(refs: readonly HookSecretRef[]): Map<HookKind, HookSecretRef> {
  const byKind = new Map<HookKind, HookSecretRef>();
  for (const ref of refs) {
    if (byKind.has(ref.kind)) throw new Error(`--hook-secret is given twice for the ${ref.kind} hook`);
    byKind.set(ref.kind, ref);
  }
  return byKind;
}
