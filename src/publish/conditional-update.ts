// Read-modify-write of one object (a chart repository's index.yaml) that never loses a concurrent writer's change:
// the write is conditional on what was read (If-Match on its etag, or "must not exist" when there was none), and a
// failed condition means another writer won the race, so the object is read again and the change applied again.
import { setTimeout as sleep } from "node:timers/promises";
import type { Readable } from "node:stream";
import {
  ProviderError,
  type BucketProvider,
  type BucketWriter,
  type ObjectInfo,
} from "../providers/types.js";

/** What the loop needs of a provider: a reader's stat and get and a writer's put. */
export type UpdateStore = Pick<BucketProvider, "stat" | "get"> & Pick<BucketWriter, "put">;

/** The object as one attempt read it. */
export interface CurrentObject {
  bytes: Buffer;
  etag: string;
}

/** What `modify` decides: new bytes to write (conditionally), or none (the object already says what it should). */
export interface Modification<T> {
  bytes?: Buffer;
  /** Whatever the caller wants back from the attempt that succeeded. */
  value: T;
}

export interface UpdatePolicy {
  /** Attempts in all (reads and conditional writes), the first included. */
  maxAttempts: number;
  /** Delay before the first retry; doubled each further one, up to maxDelayMs, then 50–100% of it (jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Bounded so that a lost race costs little: with two writers each conflict means the other one's write landed,
 * so every retry is progress; twelve attempts outlast a burst of a dozen writers.
 */
export const DEFAULT_UPDATE_POLICY: UpdatePolicy = { maxAttempts: 12, baseDelayMs: 40, maxDelayMs: 2000 };

export interface UpdateOptions {
  policy?: UpdatePolicy;
  contentType?: string;
  /** Objects above this size are refused before they are read into memory. */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Waits between attempts; injectable so tests need no real time. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for the jitter. */
  random?: () => number;
  /** Told of each retry: why (a failed write condition, or a read that met a change) and the delay. */
  onRetry?: (event: { reason: "conflict" | "reread"; attempt: number; delayMs: number }) => void;
}

export interface UpdateResult<T> {
  value: T;
  /** Whether this run wrote the object (false: modify asked for no change). */
  written: boolean;
  /** The object as written (when written). */
  info?: ObjectInfo;
  attempts: number;
  /** Writes refused because the object had changed since it was read (another writer was first). */
  conflicts: number;
  /** Reads repeated because the object changed (or a read failed transiently) between its stat and its get. */
  rereads: number;
}

/** Default object size limit: far above any real chart index (10,000 chart versions are a few MiB). */
export const MAX_UPDATE_BYTES = 64 * 1024 * 1024;

/** Every attempt conflicted or failed to read: nothing of this run was written. */
export class UpdateContentionError extends Error {
  override readonly name = "UpdateContentionError";
}

/**
 * Reads `key` (or finds it missing), calls `modify` with it and writes what modify returns with a condition:
 * If-Match on the etag read, or ifNoneExists when there was no object. A failed condition (ProviderError
 * "Conflict") or a read that met a concurrent change starts over with a fresh read after a backoff, up to
 * `policy.maxAttempts` attempts, then throws UpdateContentionError. `modify` runs once per attempt and must be a
 * function of what it is given (it may throw to stop: its error is rethrown as is). Other provider errors are
 * rethrown at once. A retried write whose first answer was lost meets its own change on the next read: modify
 * then finds nothing to do, and the result says written: false.
 */
export async function updateObject<T>(
  store: UpdateStore,
  key: string,
  modify: (current: CurrentObject | undefined) => Promise<Modification<T>> | Modification<T>,
  options: UpdateOptions = {},
): Promise<UpdateResult<T>> {
  const policy = options.policy ?? DEFAULT_UPDATE_POLICY;
  const wait = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  const random = options.random ?? Math.random;
  let conflicts = 0;
  let rereads = 0;
  for (let attempt = 1; ; attempt++) {
    const retry = async (reason: "conflict" | "reread", cause: unknown): Promise<void> => {
      if (attempt >= policy.maxAttempts)
        throw new UpdateContentionError(
          `${key}: ${attempt} attempts met concurrent changes (${conflicts} conflicting writes, ${rereads} changed reads); this run did not change it, try again`,
          { cause },
        );
      const delayMs = backoff(policy, attempt, random);
      options.onRetry?.({ reason, attempt, delayMs });
      await wait(delayMs, options.signal);
    };
    let current: CurrentObject | undefined;
    try {
      current = await readCurrent(store, key, options.maxBytes ?? MAX_UPDATE_BYTES, options.signal);
    } catch (error) {
      if (!isChangedRead(error)) throw error;
      rereads++;
      await retry("reread", error);
      continue;
    }
    const change = await modify(current);
    if (change.bytes === undefined)
      return { value: change.value, written: false, attempts: attempt, conflicts, rereads };
    try {
      const info = await store.put(key, change.bytes, change.bytes.length, {
        ...(current === undefined ? { ifNoneExists: true } : { ifMatch: current.etag }),
        ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { value: change.value, written: true, info, attempts: attempt, conflicts, rereads };
    } catch (error) {
      if (!(error instanceof ProviderError && error.kind === "Conflict")) throw error;
      conflicts++;
      await retry("conflict", error);
    }
  }
}

/** The delay before retry number `attempt` (1-based): base·2^(attempt−1), capped, then 50–100% of it. */
export function backoff(policy: UpdatePolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/**
 * A stat, then a get pinned to the etag it gave, so the bytes are exactly those of that etag (a change in
 * between fails the get: NotFound when deleted, Transient when replaced).
 */
async function readCurrent(
  store: UpdateStore,
  key: string,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<CurrentObject | undefined> {
  const info = await store.stat(key, signal);
  if (info === undefined) return undefined;
  if (info.size > maxBytes)
    throw new ProviderError("Invalid", `${key} is ${info.size} bytes, above the ${maxBytes} limit`);
  const body = await store.get(key, { etag: info.etag, ...(signal ? { signal } : {}) });
  return { bytes: await readAll(body, maxBytes, key), etag: info.etag };
}

function isChangedRead(error: unknown): boolean {
  return error instanceof ProviderError && (error.kind === "NotFound" || error.kind === "Transient");
}

async function readAll(body: Readable, maxBytes: number, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      body.destroy();
      throw new ProviderError("Invalid", `${key} is above the ${maxBytes} byte limit`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
