// Which Buckets an event concerns: same provider family, same bucket name, key under spec.prefix.
import { normalizeSpec, type BucketSpec } from "../api/normalize.js";
import { azureAccountName } from "../credentials/resolve.js";
import type { BucketRef } from "../storage/artifact-store.js";
import type { OrderedChange } from "./change-set.js";
import { KIND_PROVIDERS, type HookKind } from "./kinds.js";
import type { BucketEvent } from "./message.js";

/** A Bucket the runtime reconciles, as the hooks see it. */
export interface HookSubject {
  namespace: string;
  name: string;
  /** The raw spec (normalized here, once per spec object). */
  spec: unknown;
  /** Folder relative file:// URLs resolve against (standalone). */
  baseDir?: string;
}

/** The Buckets events concern, with the changes each one gets. */
export interface Matched {
  ref: BucketRef;
  changes: OrderedChange[];
}

// A spec object that does not change is normalized once; invalid specs (null) match nothing.
const normalized = new WeakMap<object, BucketSpec | null>();

/** The normalized spec of a subject, or undefined when it is invalid. */
export function subjectSpec(subject: HookSubject): BucketSpec | undefined {
  const raw = subject.spec;
  if (typeof raw !== "object" || raw === null) return undefined;
  let spec = normalized.get(raw);
  if (spec === undefined) {
    try {
      spec = normalizeSpec(raw, subject.baseDir);
    } catch {
      spec = null;
    }
    normalized.set(raw, spec);
  }
  return spec ?? undefined;
}

/**
 * Groups `events` by the Buckets they concern: a Bucket whose provider belongs to `kind`, whose bucketName is the
 * event's bucket and whose prefix the key starts with (for Azure also the same storage account, when the event
 * names one). Suspended Buckets are left out.
 */
export function matchEvents(
  kind: HookKind,
  events: readonly BucketEvent[],
  subjects: Iterable<HookSubject>,
): Matched[] {
  const providers = KIND_PROVIDERS[kind] ?? [];
  const byBucket = new Map<string, BucketEvent[]>();
  for (const event of events) byBucket.set(event.bucket, [...(byBucket.get(event.bucket) ?? []), event]);
  const matched: Matched[] = [];
  for (const subject of subjects) {
    const spec = subjectSpec(subject);
    if (!spec || spec.suspend || !providers.includes(spec.provider)) continue;
    const account =
      spec.provider === "azure" && spec.endpoint ? azureAccountName(spec.endpoint).toLowerCase() : "";
    const changes = (byBucket.get(spec.bucketName) ?? [])
      .filter((e) => e.change.key.startsWith(spec.prefix))
      .filter((e) => !e.account || !account || e.account.toLowerCase() === account)
      .map((e): OrderedChange =>
        e.order === undefined ? { change: e.change } : { change: e.change, order: e.order },
      );
    if (changes.length > 0)
      matched.push({ ref: { namespace: subject.namespace, name: subject.name }, changes });
  }
  return matched;
}
