// Keys and paths of a file:// bucket: where a key lives under the root, and which names are never objects.
import { lstat, realpath } from "node:fs/promises";
import path from "node:path";
import { ProviderError } from "./types.js";

/** The name of a file a write is filling (then renamed into place): never listed, never a key's last segment. */
export const TEMP_NAME = /^\.bucketops-write-[0-9a-f]{16}\.tmp$/;

/** A bucket's root folder and the checks every operation makes on a key. */
export interface FileRoot {
  /** The root, absolute. */
  readonly path: string;
  /** The path of `key` under the root; Invalid for a key that would leave it. */
  resolve(key: string): string;
  /**
   * The path of `key` when it is a key the listing could give: relative, "/"-separated, no "", "." or ".."
   * segment, no NUL, not a temp file's name. Invalid otherwise (a write must not create what no listing shows).
   */
  resolveCanonical(key: string): string;
  /** The listing's key of the file at `full`. */
  keyOf(full: string): string;
  /** Whether `full` is reached without a symlinked folder on the way (lstat sees only the last part). */
  reachedDirectly(full: string): Promise<boolean>;
  /** Resolves if the root folder exists; BucketNotFound otherwise. */
  assertExists(): Promise<void>;
}

/** The checks of one root folder. */
export function fileRoot(root: string): FileRoot {
  const absRoot = path.resolve(root);
  let realRoot: Promise<string> | undefined;
  // Computed once the folder exists (a failure is not kept: the folder may appear later).
  const resolveRoot = (): Promise<string> =>
    realpath(absRoot).catch((error: unknown) => {
      realRoot = undefined;
      throw error;
    });
  const self: FileRoot = {
    path: absRoot,
    resolve(key) {
      const full = path.resolve(absRoot, key);
      if (!full.startsWith(absRoot + path.sep))
        throw new ProviderError("Invalid", `key '${key}' leaves the bucket`);
      return full;
    },
    resolveCanonical(key) {
      if (key.includes("\0"))
        throw new ProviderError("Invalid", `key ${JSON.stringify(key)} contains a NUL byte`);
      const full = self.resolve(key);
      if (self.keyOf(full) !== key)
        throw new ProviderError(
          "Invalid",
          `key '${key}' is not a plain relative path (empty, "." or ".." segment)`,
        );
      if (TEMP_NAME.test(path.basename(full)))
        throw new ProviderError("Invalid", `key '${key}' has the name of a temporary file of a write`);
      return full;
    },
    keyOf(full) {
      return path.relative(absRoot, full).split(path.sep).join("/");
    },
    async reachedDirectly(full) {
      const parent = path.dirname(full);
      return (
        (await realpath(parent)) ===
        path.join(await (realRoot ??= resolveRoot()), path.relative(absRoot, parent))
      );
    },
    async assertExists() {
      try {
        if ((await lstat(absRoot)).isDirectory()) return;
      } catch (error) {
        throw new ProviderError("BucketNotFound", `directory '${absRoot}' does not exist`, { cause: error });
      }
      throw new ProviderError("BucketNotFound", `'${absRoot}' is not a directory`);
    },
  };
  return self;
}

/** A file's etag: size, modification time and inode (like a web server's), so unchanged files are never re-read. */
export function fileEtag(stats: { size: number; mtimeMs: number; ino: number }): string {
  return `${stats.size.toString(16)}-${Math.round(stats.mtimeMs * 1000).toString(16)}-${stats.ino.toString(16)}`;
}

/** Whether `error` is a Node system error with this code. */
export function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}
