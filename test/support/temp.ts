// Temp folders for tests: one helper, so every test cleans up the same way.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/**
 * Creates a fresh folder named `bucketops-<prefix>-…` under `parent` (default: the OS temp dir); remove it with
 * `removeDir`.
 */
export function makeTempDir(prefix: string, parent: string = os.tmpdir()): Promise<string> {
  return mkdtemp(path.join(parent, `bucketops-${prefix}-`));
}

/** Removes a folder made by `makeTempDir` (or any folder), ignoring one that is already gone. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** Creates a fresh temp folder that is removed when the test (or hook scope) `t` ends. */
export async function tempDir(
  t: { after: (fn: () => Promise<void>) => void },
  prefix = "test",
): Promise<string> {
  const dir = await makeTempDir(prefix);
  t.after(() => removeDir(dir));
  return dir;
}
