// Step: the deterministic tar.gz from the cached objects, stored atomically; then GC and cache pruning.
import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { Artifact } from "../../api/status.js";
import {
  writeTarGz,
  type ArchiveResult,
  type ArchiveSourceError,
  type SegmentIndex,
  type SortedEntries,
} from "../../artifact/tarball.js";
import type { ContentCache } from "../../source/content-cache.js";
import type { ObjectIndex } from "../../source/object-index.js";
import type { StepContext } from "./context.js";
import type { Fetched } from "./fetch.js";
import { readScanState, scanStatePath } from "../../source/scan-state.js";
import { forgetScan, rememberScan } from "./scan-memory.js";
import { isPinned } from "./scan-pinned.js";

export interface Archived extends Fetched {
  artifact: Artifact;
  /** Undefined when the store already held this content. */
  built?: ArchiveResult;
}

/** Builds and stores the artifact. Errors are storage errors (the trail's stage says so), or ArchiveSourceError. */
export async function archiveStep(ctx: StepContext, state: Fetched): Promise<Archived> {
  ctx.trail.stage = "storage";
  const { deps, input } = ctx;
  const { cache, index, revision } = state;
  const previous = ctx.trail.previous;
  // Building while downloading was tried: no faster on 10,000 small objects (the CPU is busy either way), and
  // slower with a higher peak RSS on big ones (the build's reads compete with the downloads' writes).
  await cache.open();
  // Read from the packed index by position as the archive is planned and written: no array of entries.
  const entries: SortedEntries = {
    length: index.size,
    at: (i) => {
      const name = index.keyAt(i);
      const etag = index.etagAt(i);
      const { file, offset } = cache.locate(name, etag);
      return { name, file, offset, size: index.sizeAt(i), contentId: etag }; // one content per (key, etag)
    },
  };
  // The previous artifact's unchanged segments are copied rather than compressed again (see artifact/tarball).
  const indexFile = cache.metaPath("artifact-index.json");
  const previousIndex = previous ? await readSegmentIndex(indexFile) : undefined;
  const reuse =
    previous && previousIndex?.digest === previous.digest
      ? { file: deps.store.absolute(previous.path), index: previousIndex }
      : undefined;
  let built: ArchiveResult | undefined;
  const switched = await pinSwitch(ctx, state);
  await forgetScan(cache, ctx.log); // a crash between the store and rememberScan must not leave the old base
  const artifact: Artifact = await deps.store.put(input.ref, revision, async (tmp) => {
    built = await writeTarGz(entries, tmp, { previous: reuse });
    return built;
  });
  if (built) await writeSegmentIndex(indexFile, built.index);
  await deps.store.gc(input.ref, artifact);
  // The index object is read through the cache too: kept, so an unchanged one costs no GET.
  const indexObject = state.gate?.index;
  const alsoKept = indexObject ? [{ key: indexObject.key, etag: indexObject.etag }] : [];
  const kept = keptObjects(index, [...state.scan.ignoreFiles, ...alsoKept]);
  await cache.prune(switched ? chain(kept, keptObjects(switched.index, switched.objects)) : kept);
  await rememberScan(cache, state.spec, state.scan, ctx.log); // the raw scan, before the gate: what events apply to
  return built ? { ...state, artifact, built } : { ...state, artifact };
}

/** Self-healing: a cached object found damaged while archiving is dropped, so the next reconcile fetches it. */
export async function evictDamaged(
  cache: ContentCache,
  error: ArchiveSourceError,
  index: ObjectIndex | undefined,
  log: Logger,
): Promise<void> {
  if (error.contentId === undefined) return;
  try {
    await cache.evict(error.entryName, error.contentId);
    // The others that lost bytes too (a truncated pack holds many), so the next reconcile heals them all at once.
    const others = index ? await cache.evictTruncated(keptObjects(index, [])) : 0;
    await cache.flush();
    log.warn(
      { key: error.entryName, others },
      "damaged content cache entries dropped; the next reconcile downloads them again",
    );
  } catch (evictError) {
    log.warn({ key: error.entryName, err: evictError }, "could not drop a damaged content cache entry");
  }
}

/**
 * When a pinned state replaces the latest or another pinned state, or the latest replaces a pinned one: the stored
 * scan of the state replaced (its objects stay cached, so switching back downloads nothing). Read before the
 * archive drops it; undefined otherwise, or when there is none.
 */
async function pinSwitch(
  ctx: StepContext,
  state: Fetched,
): Promise<{ index: ObjectIndex; objects: { key: string; etag: string }[] } | undefined> {
  if (!isPinned(state.spec) && ctx.input.status.pinned === undefined) return undefined;
  const stored = await readScanState(scanStatePath((name) => state.cache.metaPath(name)));
  return stored && { index: stored.index, objects: [...stored.ignoreFiles, ...stored.control] };
}

function* chain<T>(...parts: Iterable<T>[]): Generator<T> {
  for (const part of parts) yield* part;
}

/** What the cache keeps: the index's objects and the .sourceignore files, one at a time. */
function* keptObjects(
  index: ObjectIndex,
  ignoreFiles: readonly { key: string; etag: string }[],
): Generator<{ key: string; etag: string }> {
  for (let i = 0; i < index.size; i++) yield { key: index.keyAt(i), etag: index.etagAt(i) };
  yield* ignoreFiles;
}

async function readSegmentIndex(file: string): Promise<SegmentIndex | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as SegmentIndex;
  } catch {
    return undefined; // none yet, or unreadable: the artifact is built from scratch
  }
}

/** Best effort: without it the next artifact is built from scratch. */
async function writeSegmentIndex(file: string, index: SegmentIndex): Promise<void> {
  const tmp = path.join(path.dirname(file), `.tmp-${randomBytes(8).toString("hex")}`); // pruned if left behind
  try {
    await writeFile(tmp, JSON.stringify(index));
    await rename(tmp, file);
  } catch {
    // ignored
  }
}
