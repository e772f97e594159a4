// The file-level diff of two kept revisions (RevisionLog): keys by content hash, unified text diffs by jsdiff.
import { createTwoFilesPatch } from "diff";
import type { BucketRef } from "../storage/artifact-store.js";
import type { RevisionLog } from "./revision-log.js";

/** One added, removed or changed file; the shape of the versioned history's diff (source/history-diff.ts). */
export interface RevisionFileDiff {
  key: string;
  change: "added" | "removed" | "changed";
  /** "text": `patch` is a unified diff; "binary": not kept as text (binary or over 1 MiB). */
  content: "text" | "binary";
  patch?: string;
  additions?: number;
  deletions?: number;
}

export interface RevisionDiff {
  from: string;
  to: string;
  added: string[];
  removed: string[];
  changed: string[];
  files: RevisionFileDiff[];
}

/** A revision that is not among the kept ones. */
export class UnknownRevisionError extends Error {
  override readonly name = "UnknownRevisionError";
}

/**
 * Diffs the kept revisions `from` and `to` (full `sha256:<hex>` revisions). Throws UnknownRevisionError when either
 * is not kept.
 */
export async function diffRevisions(
  log: RevisionLog,
  ref: BucketRef,
  from: string,
  to: string,
): Promise<RevisionDiff> {
  const [a, b] = await Promise.all([log.files(ref, from), log.files(ref, to)]);
  if (!a || !b)
    throw new UnknownRevisionError(
      `revision ${a ? to : from} is not among the kept revisions of this Bucket`,
    );
  const before = new Map(a.files.map((f) => [f.name, f.sha256]));
  const after = new Map(b.files.map((f) => [f.name, f.sha256]));
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  const result: RevisionDiff = { from, to, added: [], removed: [], changed: [], files: [] };
  for (const key of keys) {
    const oldSha = before.get(key);
    const newSha = after.get(key);
    if (oldSha === newSha) continue;
    const change = oldSha === undefined ? "added" : newSha === undefined ? "removed" : "changed";
    result[change].push(key);
    const oldText = oldSha === undefined ? "" : await log.text(ref, oldSha);
    const newText = newSha === undefined ? "" : await log.text(ref, newSha);
    if (oldText === undefined || newText === undefined) {
      result.files.push({ key, change, content: "binary" });
      continue;
    }
    const patch = createTwoFilesPatch(
      oldSha === undefined ? "/dev/null" : `a/${key}`,
      newSha === undefined ? "/dev/null" : `b/${key}`,
      oldText,
      newText,
    );
    result.files.push({ key, change, content: "text", patch, ...countLines(patch) });
  }
  return result;
}

function countLines(patch: string): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  let inHunks = false; // the header's ---/+++ lines are not changes
  for (const line of patch.split("\n")) {
    if (line.startsWith("@@")) inHunks = true;
    else if (inHunks && line.startsWith("+")) additions++;
    else if (inHunks && line.startsWith("-")) deletions++;
  }
  return { additions, deletions };
}
