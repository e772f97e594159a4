// Checks an index against the effective limits, right after the listing and before any download.
import { DEFAULT_LIMITS, type LimitName, type Limits } from "../api/limits.js";
import { formatBytes } from "../api/quantity.js";

/** Where an effective limit came from, for the message: the Bucket's spec or the runtime's flag. */
export type LimitSource = "spec" | "runtime";

export interface EffectiveLimits {
  limits: Limits;
  sources: Record<LimitName, LimitSource>;
}

/** The flag of `run`, `controller` and `fetch` that sets each runtime limit. */
export const LIMIT_FLAGS: Readonly<Record<LimitName, string>> = {
  maxObjectSize: "--max-object-size",
  maxTotalSize: "--max-total-size",
  maxObjects: "--max-objects",
};

/** A Bucket that publishes more than a limit allows; names the limit, its value and the figure. Becomes LimitExceeded. */
export class LimitExceededError extends Error {
  override readonly name = "LimitExceededError";
  readonly limit: LimitName;
  readonly configured: number;
  readonly actual: number;
  /** For maxObjectSize: the first offending key in index order. */
  readonly key?: string;
  constructor(limit: LimitName, effective: EffectiveLimits, actual: number, key?: string) {
    const configured = effective.limits[limit];
    const source =
      effective.sources[limit] === "spec"
        ? `spec.limits.${limit}`
        : `${limit} (the runtime's ${LIMIT_FLAGS[limit]})`;
    const show = limit === "maxObjects" ? String : formatBytes;
    const what =
      limit === "maxObjectSize"
        ? `object ${JSON.stringify(key)} is ${show(actual)}`
        : limit === "maxTotalSize"
          ? `the objects to publish total ${show(actual)}`
          : `${actual} objects to publish`;
    const fix =
      effective.sources[limit] === "spec"
        ? `raise spec.limits.${limit} (up to the runtime's ${LIMIT_FLAGS[limit]})`
        : `raise ${LIMIT_FLAGS[limit]}`;
    super(
      `limit ${limit} exceeded: ${what}, over ${source} = ${show(configured)}; ${fix}, or exclude objects with spec.ignore`,
    );
    this.limit = limit;
    this.configured = configured;
    this.actual = actual;
    if (key !== undefined) this.key = key;
  }
}

/**
 * The limits of one reconcile: each spec value where set, but never above the runtime's (its flags; DEFAULT_LIMITS
 * when none), so a Bucket can tighten a limit and only the operator can raise one.
 */
export function effectiveLimits(
  spec: Partial<Limits> | undefined,
  runtime: Partial<Limits> = {},
): EffectiveLimits {
  const limits = { ...DEFAULT_LIMITS, ...runtime };
  const sources: Record<LimitName, LimitSource> = {
    maxObjectSize: "runtime",
    maxTotalSize: "runtime",
    maxObjects: "runtime",
  };
  for (const name of Object.keys(sources) as LimitName[]) {
    const asked = spec?.[name];
    if (asked !== undefined && asked < limits[name]) {
      limits[name] = asked;
      sources[name] = "spec";
    }
  }
  return { limits, sources };
}

/**
 * Throws LimitExceededError for the first limit the entries break: object count, then object size (the first
 * offending key in index order), then the total. One pass, no allocation.
 */
export function checkLimits(
  entries: Iterable<{ key: string; size: number }>,
  count: number,
  effective: EffectiveLimits,
): void {
  const { limits } = effective;
  if (count > limits.maxObjects) throw new LimitExceededError("maxObjects", effective, count);
  let total = 0;
  for (const { key, size } of entries) {
    if (size > limits.maxObjectSize) throw new LimitExceededError("maxObjectSize", effective, size, key);
    total += size;
  }
  if (total > limits.maxTotalSize) throw new LimitExceededError("maxTotalSize", effective, total);
}
