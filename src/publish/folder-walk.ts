// The local side of `push`: which files of a folder become objects, under the same .sourceignore rules the reader
// applies, and never a byte from outside the folder.
import type { Dirent } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { buildIgnoreFilter, type IgnoreLayer, type KeyFilter } from "../source/ignore-rules.js";
import { assertSafeKey, UnsafeKeyError } from "../source/safe-key.js";
import { INDEX_OBJECT_NAME, prefixFolder } from "./index-object.js";

export const SOURCE_IGNORE = ".sourceignore";
/** The folder (relative to the prefix's folder) bucketops reserves for its own objects, such as the index. */
export const RESERVED_FOLDER = INDEX_OBJECT_NAME.slice(0, INDEX_OBJECT_NAME.indexOf("/") + 1);

/** One file to publish: `key` relative to the pushed folder, `source` the path its bytes are read from. */
export interface FolderFile {
  key: string;
  source: string;
  size: number;
}

export interface FolderWalk {
  /** Sorted by key (UTF-16 code unit order, as the index sorts). */
  files: FolderFile[];
  /** Entries the ignore rules excluded (files, links and special files; folders are walked through). */
  ignored: number;
  /** Whether a key relative to the prefix's folder is excluded: the same rules decide what --prune leaves alone. */
  isIgnored: KeyFilter;
}

/** The folder cannot be pushed as it is; the message says which entry and what to do about it. */
export class FolderError extends Error {
  override readonly name = "FolderError";
}

export interface WalkOptions {
  /** The Bucket's prefix: rules are evaluated on full keys, as the reader evaluates them on listed keys. */
  prefix: string;
  /** spec.ignore of the Bucket (relative to the bucket root), applied after the folder's .sourceignore. */
  ignore?: string;
}

/**
 * Lists the regular files under `root` that are not ignored by `<root>/.sourceignore` (gitignore syntax, relative
 * to the folder, as the reader applies the prefix folder's .sourceignore) and spec.ignore. A symlink is followed
 * only to a regular file inside the folder; a symlink leaving the folder, a symlinked folder, a dangling link, a
 * special file, an unsafe name or a file under `.bucketops/` throws FolderError unless the rules ignore it.
 */
export async function walkFolder(root: string, options: WalkOptions): Promise<FolderWalk> {
  const absRoot = path.resolve(root);
  const realRoot = await realpath(absRoot).catch((error: unknown) => {
    throw new FolderError(`cannot read folder ${absRoot}: ${describeFsError(error)}`);
  });
  if (!(await stat(realRoot)).isDirectory()) throw new FolderError(`${absRoot} is not a folder`);
  const rules = await folderRules(realRoot, options);
  const folder = prefixFolder(options.prefix);
  // The rules see keys with the prefix's folder in front, exactly as listed keys reach the reader's filter.
  const isIgnored: KeyFilter = (key) => rules(`${folder}${key}`);
  const files: FolderFile[] = [];
  let ignored = 0;

  const visit = async (dir: string, keyDir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw new FolderError(`cannot read folder ${dir}: ${describeFsError(error)}`);
    }
    for (const entry of entries) {
      const key = `${keyDir}${entry.name}`;
      const full = path.join(dir, entry.name);
      // Folders are always walked: a later rule may re-include a file below an ignored folder, as in the reader.
      if (entry.isDirectory()) {
        await visit(full, `${key}/`);
        continue;
      }
      if (isIgnored(key)) {
        ignored++;
        continue;
      }
      checkKey(key);
      if (!entry.isFile() && !entry.isSymbolicLink())
        throw new FolderError(`${key} is not a regular file; delete it or add it to ${SOURCE_IGNORE}`);
      const source = entry.isSymbolicLink() ? await followLink(full, key, realRoot) : full;
      const stats = await stat(source);
      files.push({ key, source, size: stats.size });
    }
  };
  await visit(realRoot, "");
  files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { files, ignored, isIgnored };
}

/** The rule layers for a folder pushed under `prefix`: its .sourceignore, then spec.ignore. */
async function folderRules(realRoot: string, options: WalkOptions): Promise<KeyFilter> {
  const layers: IgnoreLayer[] = [];
  const rulesFile = path.join(realRoot, SOURCE_IGNORE);
  const rules = await readFile(rulesFile, "utf8").catch((error: unknown) => {
    if (hasCode(error, "ENOENT")) return undefined;
    throw new FolderError(`cannot read ${rulesFile}: ${describeFsError(error)}`);
  });
  if (rules !== undefined) layers.push({ patterns: rules, base: prefixFolder(options.prefix) });
  if (options.ignore) layers.push({ patterns: options.ignore, base: "" });
  return buildIgnoreFilter(layers);
}

/** The path a symlink's bytes are read from: its target, which must be a regular file inside the folder. */
async function followLink(link: string, key: string, realRoot: string): Promise<string> {
  let target: string;
  try {
    target = await realpath(link);
  } catch {
    throw new FolderError(`${key} is a symlink to nothing; delete it or add it to ${SOURCE_IGNORE}`);
  }
  if (!target.startsWith(realRoot + path.sep))
    throw new FolderError(
      `${key} is a symlink to ${target}, outside the folder; push never uploads files from outside it (copy the file in, or add ${key} to ${SOURCE_IGNORE})`,
    );
  if (!(await stat(target)).isFile())
    throw new FolderError(
      `${key} is a symlink to a folder, which push does not follow; replace it with the folder or add it to ${SOURCE_IGNORE}`,
    );
  return target;
}

function checkKey(key: string): void {
  if (key.startsWith(RESERVED_FOLDER))
    throw new FolderError(
      `${key} is under ${RESERVED_FOLDER}, which bucketops reserves for the index object; remove it or add ${RESERVED_FOLDER} to ${SOURCE_IGNORE}`,
    );
  try {
    assertSafeKey(key);
  } catch (error) {
    if (!(error instanceof UnsafeKeyError)) throw error;
    const why = error.message
      .replace(/^object key .*? is refused: /, "")
      .replace(/; rename or delete.*$/, "");
    throw new FolderError(
      `file ${JSON.stringify(key)} cannot be an object key: ${why}; rename it or add it to ${SOURCE_IGNORE}`,
    );
  }
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}

function describeFsError(error: unknown): string {
  if (hasCode(error, "ENOENT")) return "it does not exist";
  if (hasCode(error, "EACCES")) return "permission denied";
  return error instanceof Error ? error.message : String(error);
}
