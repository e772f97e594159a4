// The difference of two states: which keys were added, removed or changed (by etag), and for text files a
// unified diff (jsdiff), the contents read through the content cache.
import { createTwoFilesPatch } from "diff";
import pLimit from "p-limit";
import type { HistoryState, ReadVersion, VersionRef } from "./history-state.js";
import { asText } from "./history-text.js";

/** Files bigger than this (either side) are summarized, not read: 1 MiB. */
export const MAX_TEXT_DIFF_BYTES = 1024 * 1024;
const READ_CONCURRENCY = 8;

/** One side of a changed file. */
export interface FileSide {
  etag: string;
  size: number;
  versionId: string;
}

export interface FileDiff {
  key: string;
  change: "added" | "removed" | "changed";
  /** Absent for an added file. */
  from?: FileSide;
  /** Absent for a removed file. */
  to?: FileSide;
  /** "text": `patch` is a unified diff; "binary": a NUL byte or invalid UTF-8; "large": over maxTextBytes, not read. */
  content: "text" | "binary" | "large";
  patch?: string;
  /** Lines added and removed by `patch`. */
  additions?: number;
  deletions?: number;
}

/** What a state of the diff stands for. */
export interface StateSummary {
  at: Date;
  resolvedAt?: Date;
  revision: string;
  objects: number;
}

export interface StateDiff {
  from: StateSummary;
  to: StateSummary;
  /** Keys in UTF-8 byte order. */
  added: string[];
  removed: string[];
  changed: string[];
  /** Every added, removed and changed file in key order; absent in stat mode. */
  files?: FileDiff[];
}

export interface DiffOptions {
  /** Counts and keys only: no content is read. */
  stat?: boolean;
  /** Default MAX_TEXT_DIFF_BYTES. */
  maxTextBytes?: number;
  /** Lines of context in each hunk, default 3. */
  context?: number;
}

/**
 * What changed from state `from` to state `to`. Reads (through `read`) both sides of each added, removed or
 * changed file not over maxTextBytes, unless `stat`. Throws what `read` throws.
 */
export async function diffStates(
  from: HistoryState,
  to: HistoryState,
  read: ReadVersion,
  options: DiffOptions = {},
): Promise<StateDiff> {
  const { added, changed, removed } = to.index.diff(from.index);
  const result: StateDiff = { from: summary(from), to: summary(to), added, removed, changed };
  if (options.stat) return result;
  const maxBytes = options.maxTextBytes ?? MAX_TEXT_DIFF_BYTES;
  const context = options.context ?? 3;
  const limit = pLimit(READ_CONCURRENCY);
  const keys = [
    ...added.map((key) => ({ key, change: "added" as const })),
    ...removed.map((key) => ({ key, change: "removed" as const })),
    ...changed.map((key) => ({ key, change: "changed" as const })),
  ].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  result.files = await Promise.all(
    keys.map(({ key, change }) =>
      limit(async (): Promise<FileDiff> => {
        const a = side(from, key);
        const b = side(to, key);
        const file: FileDiff = { key, change, content: "text" };
        if (a) file.from = { etag: a.etag, size: a.size, versionId: a.versionId };
        if (b) file.to = { etag: b.etag, size: b.size, versionId: b.versionId };
        if ((a?.size ?? 0) > maxBytes || (b?.size ?? 0) > maxBytes) return { ...file, content: "large" };
        const oldText = a ? asText(await read(a)) : "";
        const newText = b ? asText(await read(b)) : "";
        if (oldText === undefined || newText === undefined) return { ...file, content: "binary" };
        const patch = createTwoFilesPatch(
          a ? `a/${key}` : "/dev/null",
          b ? `b/${key}` : "/dev/null",
          oldText,
          newText,
          undefined,
          undefined,
          { context },
        );
        return { ...file, patch, ...countLines(patch) };
      }),
    ),
  );
  return result;
}

function side(state: HistoryState, key: string): VersionRef | undefined {
  const entry = state.index.get(key);
  if (!entry) return undefined;
  const ref: VersionRef = {
    key,
    etag: entry.etag,
    size: entry.size,
    versionId: state.versionIds.get(key) ?? "",
  };
  if (entry.md5 !== undefined) ref.md5 = entry.md5;
  return ref;
}

function summary(state: HistoryState): StateSummary {
  const s: StateSummary = { at: state.at, revision: state.revision, objects: state.index.size };
  if (state.resolvedAt) s.resolvedAt = state.resolvedAt;
  return s;
}

/** The `+` and `-` lines of a unified diff's hunks (not its `---`/`+++` header). */
function countLines(patch: string): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  let inHunk = false;
  for (const line of patch.split("\n")) {
    if (line.startsWith("@@")) inHunk = true;
    else if (!inHunk) continue;
    else if (line.startsWith("+")) additions++;
    else if (line.startsWith("-")) deletions++;
  }
  return { additions, deletions };
}
