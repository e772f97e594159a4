// Safe extraction of an artifact into a directory (for `bucketops fetch -o <dir>` and tests).
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";

/**
 * Extracts regular files and directories of a tar.gz stream under `dir`. Any entry that would land outside
 * `dir` (absolute, "..", links) is refused with an error naming it; nothing is written for it.
 */
export async function extractTarGz(input: Readable, dir: string): Promise<string[]> {
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  const extract = tar.extract();
  const files: string[] = [];
  const done = pipeline(input, createGunzip(), extract);
  // Refusing an entry below abandons the pipeline, which then rejects with "premature close": mark that handled
  // (the refusal is the error reported); a normal run still surfaces pipeline errors through `await done`.
  done.catch(() => undefined);
  for await (const entry of extract) {
    const target = path.resolve(root, entry.header.name);
    if (target !== root && !target.startsWith(root + path.sep)) {
      entry.resume();
      throw new Error(`archive entry ${JSON.stringify(entry.header.name)} would be written outside ${root}`);
    }
    if (entry.header.type === "directory") {
      await mkdir(target, { recursive: true });
      entry.resume();
    } else if (entry.header.type === "file") {
      await mkdir(path.dirname(target), { recursive: true });
      await pipeline(entry, createWriteStream(target));
      files.push(path.relative(root, target).split(path.sep).join("/"));
    } else {
      entry.resume();
      throw new Error(
        `archive entry ${JSON.stringify(entry.header.name)} has unsupported type ${entry.header.type}`,
      );
    }
  }
  await done;
  return files;
}
