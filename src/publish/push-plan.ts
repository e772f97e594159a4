// What a push must do: compare the folder with the bucket, by content hash, into added / changed / deleted.
import type { ObjectInfo } from "../providers/types.js";
import type { DigestedFile } from "./file-digest.js";
import type { KeyFilter } from "../source/ignore-rules.js";
import type { IndexFile, IndexObject } from "./index-object.js";
import type { RemoteState } from "./remote-state.js";

/** Why the index object is (re)written, or "current" when the one in the bucket already describes the folder. */
export type IndexAction = "missing" | "invalid" | "content" | "signature" | "current";

export interface PushPlan {
  /** Every file of the folder, sorted by key: what the index will list. */
  files: readonly DigestedFile[];
  /** Files with no object under their key. */
  added: DigestedFile[];
  /** Files whose object differs (or cannot be shown equal: no recorded sha256, no listed MD5). */
  changed: DigestedFile[];
  unchanged: number;
  /** Keys (relative to the prefix's folder) of objects no file of the folder names, ignored ones left out. */
  stale: string[];
  /** `stale` with --prune, else empty: deleted after the index is written. */
  deleted: string[];
  index: IndexAction;
}

export interface PlanOptions {
  prune: boolean;
  /** The folder's ignore rules: a stale object they match is not the push's to delete. */
  isIgnored: KeyFilter;
  /** Whether the bucket's index carries a signature the push would otherwise add (--sign); default: yes. */
  signatureOk?: (index: IndexObject) => boolean;
}

/**
 * Plans a push. An object is unchanged when its listed size matches and the content hash agrees: the sha256 the
 * bucket's index records for the key when it has one, else the MD5 the listing gives (S3 single-part ETag, GCS
 * md5Hash, Azure Content-MD5); with neither it counts as changed. The index is rewritten when anything is
 * uploaded or when it does not list exactly the folder's files (or lacks the signature --sign asks for).
 */
export function planPush(
  files: readonly DigestedFile[],
  remote: RemoteState,
  options: PlanOptions,
): PushPlan {
  const added: DigestedFile[] = [];
  const changed: DigestedFile[] = [];
  const indexFiles = remote.index?.files;
  for (const file of files) {
    const listed = remote.objects.get(file.key);
    if (!listed) added.push(file);
    else if (!sameContent(file, listed, indexFiles && recordedFile(indexFiles, file.key))) changed.push(file);
  }
  const local = new Set(files.map((f) => f.key));
  const stale = [...remote.objects.keys()].filter((key) => !local.has(key) && !options.isIgnored(key)).sort();
  return {
    files,
    added,
    changed,
    unchanged: files.length - added.length - changed.length,
    stale,
    deleted: options.prune ? stale : [],
    index: indexAction(files, remote, added.length + changed.length > 0, options),
  };
}

function sameContent(file: DigestedFile, listed: ObjectInfo, recorded: IndexFile | undefined): boolean {
  if (listed.size !== file.size) return false;
  if (recorded) return recorded.size === file.size && recorded.sha256 === file.sha256;
  return listed.md5 !== undefined && listed.md5 === file.md5;
}

function indexAction(
  files: readonly DigestedFile[],
  remote: RemoteState,
  uploads: boolean,
  options: PlanOptions,
): IndexAction {
  if (!remote.index) return remote.indexProblem ? "invalid" : "missing";
  if (uploads || !listsExactly(remote.index.files, files)) return "content";
  if (options.signatureOk && !options.signatureOk(remote.index)) return "signature";
  return "current";
}

function listsExactly(recorded: IndexObject["files"], files: readonly DigestedFile[]): boolean {
  if (Object.keys(recorded).length !== files.length) return false;
  return files.every((f) => {
    const entry = recordedFile(recorded, f.key);
    return entry?.sha256 === f.sha256 && entry.size === f.size;
  });
}

/** The index's record of `key`; own properties only, so a file named "constructor" is not Object's. */
function recordedFile(recorded: IndexObject["files"], key: string): IndexFile | undefined {
  return Object.hasOwn(recorded, key) ? recorded[key] : undefined;
}

/** Whether the plan writes anything at all. */
export function planIsEmpty(plan: PushPlan): boolean {
  return (
    plan.added.length === 0 &&
    plan.changed.length === 0 &&
    plan.deleted.length === 0 &&
    plan.index === "current"
  );
}
