import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip, gunzipSync } from "node:zlib";
import tar from "tar-stream";
import { writeTarGz, type ArchiveEntry } from "../../src/artifact/tarball.js";
import { tempDir } from "../support/temp.js";

/**
 * The archive as tar-stream's pack writes it (the writer used before): the tar bytes must not change. The gzip
 * layer differs on purpose (writeTarGz compresses independent segments, see tarball.ts), so the comparison is of
 * the uncompressed tar streams.
 */
async function referenceTarGz(entries: readonly ArchiveEntry[], out: string): Promise<void> {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const pack = tar.pack();
  const written = pipeline(pack, createGzip(), createWriteStream(out));
  const base = { mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "" };
  const dirs = new Set<string>();
  for (const entry of sorted) {
    const parts = entry.name.split("/").slice(0, -1);
    for (const dir of parts.map((_, i) => parts.slice(0, i + 1).join("/"))) {
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      pack.entry({ ...base, name: `${dir}/`, type: "directory", mode: 0o755 });
    }
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry(
        { ...base, name: entry.name, type: "file", mode: 0o644, size: entry.size },
        (e) => {
          if (e) reject(e);
          else resolve();
        },
      );
      pipeline(createReadStream(entry.file), sink).catch(reject);
    });
  }
  pack.finalize();
  await written;
}

void test("writeTarGz writes exactly tar-stream's tar bytes (ustar, prefix split, PAX names, padding)", async (t) => {
  const dir = await tempDir(t, "tarcompat");
  const names = [
    "a.yaml",
    "empty.txt",
    "dir/sub/b.yaml",
    "ünï/cödé.yaml",
    "x".repeat(99) + ".y",
    `long/${"d".repeat(120)}/${"f".repeat(90)}`,
    "p/".repeat(80) + "z",
    "q".repeat(150),
    "big.bin",
    "exact512",
    "日本/語.txt",
  ];
  const entries: ArchiveEntry[] = [];
  for (const [i, name] of names.entries()) {
    const file = path.join(dir, String(i));
    const data =
      name === "empty.txt"
        ? Buffer.alloc(0)
        : name === "big.bin"
          ? randomBytes(600 * 1024 + 17)
          : name === "exact512"
            ? Buffer.alloc(512, 7)
            : randomBytes(100 + i * 37);
    await writeFile(file, data);
    entries.push({ name, file, size: data.length });
  }
  await referenceTarGz(entries, path.join(dir, "ref.tar.gz"));
  await writeTarGz(entries, path.join(dir, "new.tar.gz"));
  const tarOf = async (name: string): Promise<Buffer> => gunzipSync(await readFile(path.join(dir, name)));
  const [mine, reference] = [await tarOf("new.tar.gz"), await tarOf("ref.tar.gz")];
  assert.equal(mine.length, reference.length);
  assert.ok(mine.equals(reference), "tar bytes differ from tar-stream's");
});
