// Carries out a plan in the order readers rely on: every object first, the index object last, deletions after it.
import pLimit from "p-limit";
import { ProviderError, type BucketWriter, type PutOptions } from "../providers/types.js";
import type { DigestedFile } from "./file-digest.js";
import { prefixFolder } from "./index-object.js";
import type { PushPlan } from "./push-plan.js";
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from "./retry.js";
import { uploadBody } from "./upload-body.js";

/** Progress and order of the writes, each reported once it has succeeded. */
export type PushEvent =
  | { type: "upload"; key: string; bytes: number }
  | { type: "index"; key: string; bytes: number }
  | { type: "delete"; key: string };

export interface ExecuteOptions {
  writer: BucketWriter;
  prefix: string;
  /** Writes in flight at once. */
  concurrency: number;
  /** The serialized index object and the key it is written under. */
  index: {
    key: string;
    bytes: Buffer;
    condition?: Pick<PutOptions, "ifMatch" | "ifNoneExists">;
    /**
     * Reads the index back after a failed condition: a retried write whose first attempt landed (its answer lost)
     * fails its own condition, and finding our own bytes there means the write succeeded.
     */
    readBack?: () => Promise<Buffer | undefined>;
  };
  retry?: RetryPolicy;
  signal?: AbortSignal;
  onEvent?: (event: PushEvent) => void;
}

export interface ExecuteResult {
  uploaded: number;
  /** Content bytes uploaded (the index not counted). */
  bytes: number;
  deleted: number;
  indexWritten: boolean;
}

/** A push that stopped part way; the message says what was written, what was not, and what to do. */
export class PushFailedError extends Error {
  override readonly name = "PushFailedError";
}

/**
 * Uploads the added and changed files (`concurrency` at a time, Transient failures retried), then, only if every
 * upload succeeded, writes the index (conditionally on the index the plan read, when a condition is given), then
 * deletes `plan.deleted`. Throws PushFailedError at the first stage that fails: no index after a failed upload, no
 * deletion before the index is written.
 */
export async function executePush(plan: PushPlan, options: ExecuteOptions): Promise<ExecuteResult> {
  const folder = prefixFolder(options.prefix);
  const retry = options.retry ?? DEFAULT_RETRY;
  const result: ExecuteResult = { uploaded: 0, bytes: 0, deleted: 0, indexWritten: false };
  const uploads = [...plan.added, ...plan.changed];
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;

  const failures = await runAll(uploads, options.concurrency, stop, async (file: DigestedFile) => {
    const key = `${folder}${file.key}`;
    const body = uploadBody(file);
    try {
      await withRetry(() => options.writer.put(key, body.body, file.size, { signal }), retry, signal);
    } finally {
      body.check(); // a file that changed under the upload fails as such, whatever the provider made of it
    }
    result.uploaded++;
    result.bytes += file.size;
    options.onEvent?.({ type: "upload", key, bytes: file.size });
  });
  if (failures.length > 0) {
    const [first] = failures;
    throw new PushFailedError(
      `${failed("uploading", first?.item.key ?? "", first?.error)} (${result.uploaded} of ${uploads.length} uploads done, ${failures.length} failed). ` +
        "The index object was not written, so readers that use it still see the previous push; run push again",
      { cause: first?.error },
    );
  }

  if (plan.index !== "current") {
    const { key, bytes, condition } = options.index;
    try {
      await withRetry(
        () =>
          options.writer.put(key, bytes, bytes.length, {
            ...condition,
            contentType: "application/json",
            ...(options.signal ? { signal: options.signal } : {}),
          }),
        retry,
        options.signal,
      );
    } catch (error) {
      const conflict = error instanceof ProviderError && error.kind === "Conflict";
      if (!conflict || !(await holdsBytes(options.index.readBack, bytes)))
        throw new PushFailedError(
          conflict
            ? `the index object ${key} changed while this push ran (another push?); ${result.uploaded} objects were uploaded but the index was not written and nothing was deleted: run push again`
            : `writing the index object ${key} failed after ${result.uploaded} uploads: ${message(error)}; nothing was deleted: run push again`,
          { cause: error },
        );
    }
    result.indexWritten = true;
    options.onEvent?.({ type: "index", key, bytes: bytes.length });
  }

  const deletes = await runAll(plan.deleted, options.concurrency, stop, async (relative: string) => {
    const key = `${folder}${relative}`;
    await withRetry(() => options.writer.delete(key, signal), retry, signal);
    result.deleted++;
    options.onEvent?.({ type: "delete", key });
  });
  if (deletes.length > 0) {
    const [first] = deletes;
    throw new PushFailedError(
      `the index was written, but ${failed("deleting", first?.item ?? "", first?.error)} (${result.deleted} of ${plan.deleted.length} deletions done, ${deletes.length} failed); run push --prune again to finish`,
      { cause: first?.error },
    );
  }
  return result;
}

/**
 * Runs `task` over `items` with bounded parallelism. The first failure aborts `stop` (cancelling the writes in
 * flight) and nothing new starts; failures of the writes it cancelled are not counted.
 */
async function runAll<T>(
  items: readonly T[],
  concurrency: number,
  stop: AbortController,
  task: (item: T) => Promise<void>,
): Promise<{ item: T; error: unknown }[]> {
  const limit = pLimit(concurrency);
  const failures: { item: T; error: unknown }[] = [];
  await Promise.all(
    items.map((item) =>
      limit(async () => {
        if (stop.signal.aborted) return;
        try {
          await task(item);
        } catch (error) {
          if (stop.signal.aborted) return;
          failures.push({ item, error });
          stop.abort(new PushFailedError("stopped after another write failed"));
        }
      }),
    ),
  );
  return failures;
}

/** Whether `readBack` finds exactly `bytes` (false when it cannot tell). */
async function holdsBytes(
  readBack: (() => Promise<Buffer | undefined>) | undefined,
  bytes: Buffer,
): Promise<boolean> {
  if (!readBack) return false;
  const found = await readBack().catch(() => undefined);
  return found?.equals(bytes) === true;
}

/** "<verb> <key> failed: <why>", without the key twice when the provider's message names it already. */
function failed(verb: string, key: string, error: unknown): string {
  const why = message(error);
  return why.includes(key) ? `${verb} failed: ${why}` : `${verb} ${key} failed: ${why}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
