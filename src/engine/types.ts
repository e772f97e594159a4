// The engine's public shapes: what a runtime passes to reconcile() and what it gets back.
import type { Logger } from "pino";
import type { Limits } from "../api/limits.js";
import type { BucketSpec } from "../api/normalize.js";
import type { BucketStatus } from "../api/status.js";
import type { ConnectionConfig } from "../credentials/resolve.js";
import type { SecretReader } from "../credentials/secret.js";
import type { ProviderTuning } from "../providers/index.js";
import type { BucketProvider } from "../providers/types.js";
import type { ObjectChange } from "../source/object-change.js";
import type { ArtifactStore, BucketRef } from "../storage/artifact-store.js";
import type { ReconcileError } from "./errors.js";

export interface ReconcileInput {
  ref: BucketRef;
  generation: number;
  /** The raw spec as written (v1, v1beta2 or url shorthand). */
  spec: unknown;
  /** Folder relative file:// URLs resolve against. */
  baseDir?: string;
  annotations?: Readonly<Record<string, string>>;
  /** Status from the previous reconcile (initialStatus() for a new Bucket). */
  status: BucketStatus;
  /**
   * Objects bucket events named since the last reconcile; when given, the reconcile may apply them to the last
   * published index instead of listing the prefix. Undefined: a full listing (the interval's safety net).
   */
  changes?: readonly ObjectChange[];
}

export interface EngineDeps {
  store: ArtifactStore;
  readSecret: SecretReader;
  /** Root of the per-Bucket content caches. */
  cacheRoot: string;
  logger: Logger;
  now?: () => Date;
  /** Parallel downloads per Bucket. */
  concurrency: number;
  tuning?: Partial<ProviderTuning>;
  /** Builds providers; replaceable so a runtime can wrap or meter them. */
  providerFactory?: (
    config: ConnectionConfig,
    tuning: ProviderTuning,
  ) => BucketProvider | Promise<BucketProvider>;
  /** The runtime's limits (flags): each the default and the ceiling of a Bucket's spec.limits; DEFAULT_LIMITS if unset. */
  limits?: Partial<Limits>;
  onProgress?: (event: { key: string; bytes: number; cached: boolean; total: number }) => void;
  /** The caller prints a failed reconcile itself (the one-shot CLI): the engine logs it at debug, not warn. */
  callerReportsFailure?: boolean;
}

export interface EngineEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  annotations?: Record<string, string>;
}

export interface ReconcileStats {
  objects: number;
  listed: number;
  ignored: number;
  downloaded: number;
  cacheHits: number;
  bytesDownloaded: number;
  listRequests: number;
  getRequests: number;
  /** HEAD (metadata) requests: the event-driven scan's stats of changed keys. */
  headRequests: number;
  /**
   * How the source was scanned: "incremental" applied bucket events to the stored scan (no LIST); "full" listed;
   * "pinned" listed the versions and took the state of spec.asOf / spec.versions.
   */
  scan: "incremental" | "full" | "pinned";
  durationMs: number;
}

export type Outcome = "stored" | "unchanged" | "failed" | "stalled" | "suspended";

export interface ReconcileResult {
  outcome: Outcome;
  status: BucketStatus;
  events: EngineEvent[];
  stats: ReconcileStats;
  /** The normalized spec, when it was valid (runtimes schedule on spec.intervalMs). */
  spec?: BucketSpec;
  error?: ReconcileError;
  /**
   * When to reconcile again after this failure, if sooner than the runtime's own backoff would (a state waiting for
   * a consistent upload: seconds, not the interval). Runtimes use it in place of their failure backoff.
   */
  retryAfterMs?: number;
}
