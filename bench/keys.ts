// The many-keys datasets (K200, K1M): tiny files in a local folder, synced over file://. Written once per folder
// and reused (a marker beside the folder says it is complete), since a million files take minutes to create.
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/** Files per folder: 1,000 folders for a million keys, as a bucket of per-team folders would look. */
const PER_DIR = 1000;

/** The key of file `i` of a many-keys dataset. */
export function manyKey(i: number): string {
  return `d${String(Math.floor(i / PER_DIR)).padStart(4, "0")}/obj-${String(i).padStart(7, "0")}.txt`;
}

/**
 * Makes `root` hold exactly `count` tiny files (keys from manyKey, ~20 bytes each) and returns it; does nothing
 * when the marker of a complete earlier write is there. Fails on any write error.
 */
export async function writeManyKeys(
  root: string,
  count: number,
  log: (line: string) => void,
): Promise<string> {
  const marker = `${root}.complete`;
  if (existsSync(marker)) return root;
  log(`writing ${count} files under ${root}`);
  await rm(root, { recursive: true, force: true });
  const started = Date.now();
  for (let dir = 0; dir * PER_DIR < count; dir++) {
    const first = dir * PER_DIR;
    await mkdir(path.join(root, path.dirname(manyKey(first))), { recursive: true });
    const writes: Promise<void>[] = [];
    for (let i = first; i < Math.min(count, first + PER_DIR); i++)
      writes.push(writeFile(path.join(root, manyKey(i)), `object ${i}\n`));
    await Promise.all(writes);
  }
  await writeFile(marker, `${count}\n`);
  log(`wrote ${count} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return root;
}

async function main(): Promise<void> {
  const [root, count] = process.argv.slice(2);
  if (!root || !count) throw new Error("usage: keys.ts <dir> <count>");
  await writeManyKeys(path.resolve(root), Number(count), (l) => process.stderr.write(`${l}\n`));
}

if (process.argv[1]?.endsWith("keys.ts")) await main();
