// push(folder → bucket prefix): walk, digest, compare with the bucket, then write in the order readers rely on.
import { createPublicKey, type KeyObject } from "node:crypto";
import type { BucketProvider, BucketWriter, ObjectInfo, PutOptions } from "../providers/types.js";
import { digestFiles } from "./file-digest.js";
import { FolderError, walkFolder } from "./folder-walk.js";
import { indexObjectKey, serializeIndex, type IndexObject } from "./index-object.js";
import { executePush, type ExecuteResult, type PushEvent } from "./push-execute.js";
import { planPush, type PushPlan } from "./push-plan.js";
import { readIndexBytes, readRemoteState } from "./remote-state.js";
import type { RetryPolicy } from "./retry.js";
import { signIndex, verifyIndex } from "./signature.js";

export interface PushOptions {
  /** The local folder; its files become the objects under the prefix's folder. */
  dir: string;
  provider: BucketProvider;
  writer: BucketWriter;
  /** The Bucket's prefix ("" for the whole bucket). */
  prefix: string;
  /** spec.ignore, applied after the folder's .sourceignore. */
  ignore?: string;
  /** Delete objects under the prefix that no file names (after the index is written). */
  prune?: boolean;
  /** Plan only: nothing is written, not even the index. */
  dryRun?: boolean;
  /** Ed25519 private key: the index is signed with it. */
  signingKey?: KeyObject;
  /** Written into the index, e.g. "bucketops/0.1.0". */
  tool: string;
  /** Writes (and file digests) in flight at once; default 8. */
  concurrency?: number;
  retry?: RetryPolicy;
  now?: () => Date;
  signal?: AbortSignal;
  /** Called (and awaited) once the plan is known, before anything is written (a progress bar sizes itself from it). */
  onPlan?: (plan: PushPlan) => void | Promise<void>;
  onEvent?: (event: PushEvent) => void;
}

export interface PushResult extends ExecuteResult {
  plan: PushPlan;
  /** The full key of the index object. */
  indexKey: string;
  dryRun: boolean;
  /** Why the index in the bucket could not be used (it is then rewritten). */
  indexProblem?: string;
}

/**
 * Pushes `dir` to the bucket: only files whose content differs are uploaded, then the index object (listing every
 * file of the folder with sha256 and size, signed with `signingKey` if given) unless the bucket's index already
 * says exactly that, then with `prune` the stale objects are deleted. An unchanged folder writes nothing. Throws
 * FolderError (the folder; also when it has no file to push), ProviderError (listing), PushFailedError or
 * FileChangedError (writing).
 */
export async function push(options: PushOptions): Promise<PushResult> {
  const concurrency = options.concurrency ?? 8;
  const signal = options.signal;
  const walk = await walkFolder(options.dir, {
    prefix: options.prefix,
    ...(options.ignore !== undefined ? { ignore: options.ignore } : {}),
  });
  // An empty state is far more often a wrong folder than an intent, and it would publish an empty artifact (or,
  // with --prune, empty the prefix): refused.
  if (walk.files.length === 0)
    throw new FolderError(
      `${options.dir} has no files to push${walk.ignored > 0 ? ` (${walk.ignored} ignored by the rules)` : ""}; nothing was written`,
    );
  const files = await digestFiles(walk.files, { concurrency, ...(signal ? { signal } : {}) });
  const remote = await readRemoteState(options.provider, options.prefix, signal);
  const signingKey = options.signingKey;
  const publicKey = signingKey && createPublicKey(signingKey);
  const plan = planPush(files, remote, {
    prune: options.prune === true,
    isIgnored: walk.isIgnored,
    ...(publicKey ? { signatureOk: (index: IndexObject) => verifyIndex(index, [publicKey]).valid } : {}),
  });
  const indexKey = indexObjectKey(options.prefix);
  const base = { plan, indexKey, ...(remote.indexProblem ? { indexProblem: remote.indexProblem } : {}) };
  await options.onPlan?.(plan);
  if (options.dryRun)
    return { ...base, dryRun: true, uploaded: 0, bytes: 0, deleted: 0, indexWritten: false };

  let index: IndexObject = {
    apiVersion: "bucketops.io/v1",
    kind: "BucketIndex",
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    tool: options.tool,
    files: Object.fromEntries(plan.files.map((f) => [f.key, { sha256: f.sha256, size: f.size }])),
  };
  if (signingKey) index = signIndex(index, signingKey);
  const result = await executePush(plan, {
    writer: options.writer,
    prefix: options.prefix,
    concurrency,
    index: {
      key: indexKey,
      bytes: serializeIndex(index),
      condition: writeCondition(remote.indexInfo),
      readBack: () => readIndexBytes(options.provider, indexKey, signal ? { signal } : {}),
    },
    ...(options.retry ? { retry: options.retry } : {}),
    ...(signal ? { signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  return { ...base, dryRun: false, ...result };
}

/** Only over the index the plan read (its etag), or only where none exists: two pushes never both replace one. */
function writeCondition(info: ObjectInfo | undefined): Pick<PutOptions, "ifMatch" | "ifNoneExists"> {
  return info ? { ifMatch: info.etag } : { ifNoneExists: true };
}
