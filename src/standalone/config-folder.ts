// Reads a folder of YAML: Bucket documents to reconcile, Secret documents they may reference.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { bucketKey } from "../api/bucket.js";
import type { SecretData } from "../credentials/secret.js";
import {
  parseConfigFile,
  readConfigFile,
  type FileContents,
  type FolderBucket,
  type FolderProblem,
} from "./config-file.js";

export type { FileContents, FolderBucket, FolderProblem } from "./config-file.js";

export interface FolderContents {
  buckets: Map<string, FolderBucket>;
  secrets: Map<string, SecretData>;
  problems: FolderProblem[];
}

/**
 * Loads every *.yaml / *.yml file under `dir` (recursively). Each file loads on its own: one that cannot be read,
 * is too large or does not parse becomes a problem naming the file, and the others still load (see mergeFiles).
 * Fails only when `dir` itself cannot be listed.
 */
export async function loadFolder(dir: string): Promise<FolderContents> {
  return loadFiles(await listYamlFiles(path.resolve(dir)));
}

/**
 * Loads the given YAML files, with the same rules as loadFolder. Never throws: a file that is missing, unreadable,
 * too large or does not parse is a problem.
 */
export async function loadFiles(files: readonly string[]): Promise<FolderContents> {
  const loaded: FileContents[] = [];
  for (const file of files.map((f) => path.resolve(f))) {
    const read = await readConfigFile(file);
    if (read === undefined)
      loaded.push({ file, buckets: [], secrets: [], problems: [{ file, message: "no such file" }] });
    else if (Buffer.isBuffer(read)) loaded.push(parseConfigFile(file, read.toString("utf8")));
    else loaded.push({ file, buckets: [], secrets: [], problems: [read] });
  }
  return mergeFiles(loaded);
}

/**
 * Merges loaded files in the order given (sorted paths, for a stable result). A Bucket or Secret defined in
 * two files is a problem on the later file naming both; the first one wins.
 */
export function mergeFiles(files: Iterable<FileContents>): FolderContents {
  const result: FolderContents = { buckets: new Map(), secrets: new Map(), problems: [] };
  const secretFiles = new Map<string, string>();
  for (const contents of files) {
    result.problems.push(...contents.problems);
    for (const found of contents.buckets) {
      const key = bucketKey(found.object.metadata);
      const existing = result.buckets.get(key);
      if (existing) {
        result.problems.push({
          file: contents.file,
          message: `Bucket ${key} is also defined in ${existing.file}; names must be unique (that one is used)`,
        });
      } else result.buckets.set(key, found);
    }
    for (const { key, data } of contents.secrets) {
      const existing = secretFiles.get(key);
      if (existing !== undefined && existing !== contents.file) {
        result.problems.push({
          file: contents.file,
          message: `Secret ${key} is also defined in ${existing}; names must be unique (that one is used)`,
        });
        continue;
      }
      secretFiles.set(key, contents.file);
      result.secrets.set(key, data);
    }
  }
  return result;
}

/** Every *.yaml / *.yml regular file under `dir`, recursively, sorted. */
export async function listYamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}
