// The file:// bucket the limit tests measure: three objects of known sizes, one in a subfolder.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Writes a.yaml (100 bytes), big.bin (3000) and docs/notes.md (5000) into `data` (created): 3 objects, 8100 bytes,
 * the largest 5000.
 */
export async function writeSizedBucket(data: string): Promise<void> {
  await mkdir(path.join(data, "docs"), { recursive: true });
  await writeFile(path.join(data, "a.yaml"), "a".repeat(100));
  await writeFile(path.join(data, "big.bin"), Buffer.alloc(3000));
  await writeFile(path.join(data, "docs/notes.md"), "n".repeat(5000));
}
