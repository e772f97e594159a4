import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { crc32, gunzipSync, inflateRawSync } from "node:zlib";
import {
  crc32Combine,
  writeTarGz,
  type ArchiveEntry,
  type ArchiveResult,
} from "../../src/artifact/tarball.js";
import { tempDir } from "../support/temp.js";

/** A manifest-like tree: `count` YAML files in nested folders, plus a few big files that get their own segments. */
async function makeTree(dir: string, count: number): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const name = `team-${i % 7}/app-${Math.floor(i / 7) % 13}/manifest-${i}.yaml`;
    files.set(
      name,
      Buffer.from(
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}}\ndata:\n` +
          `  value: ${randomBytes(200 + (i % 900)).toString("base64")}\n`,
      ),
    );
  }
  files.set("charts/big-1.tgz", randomBytes(1_300_000));
  files.set("charts/big-2.tgz", randomBytes(2_500_000));
  await writeTree(dir, files);
  return files;
}

async function writeTree(dir: string, files: Map<string, Buffer>): Promise<void> {
  for (const [name, data] of files) {
    const file = path.join(dir, ...name.split("/"));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
  }
}

/** Entries with content ids, as the engine builds them (the id stands for the object's etag). */
function entriesOf(dir: string, files: Map<string, Buffer>): ArchiveEntry[] {
  return [...files].map(([name, data]) => ({
    name,
    file: path.join(dir, ...name.split("/")),
    size: data.length,
    contentId: createHash("md5").update(data).digest("hex"),
  }));
}

/** The files of a tar (regular files only), read with a minimal ustar/PAX reader independent of the writer. */
function untar(tar: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  let paxName: string | undefined;
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number): string =>
      header
        .subarray(start, start + len)
        .toString("utf8")
        .replace(/\0.*$/s, "");
    const size = parseInt(field(124, 12).trim(), 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const prefix = field(345, 155);
    const name = paxName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const data = tar.subarray(off + 512, off + 512 + size);
    paxName = undefined;
    if (type === "x") paxName = /\d+ path=(.*)\n/.exec(data.toString("utf8"))?.[1];
    else if (type === "0") out.set(name, Buffer.from(data));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

function assertValidSingleMember(bytes: Buffer, files: Map<string, Buffer>): void {
  assert.deepEqual([...bytes.subarray(0, 4)], [0x1f, 0x8b, 8, 0]);
  // One member: the raw DEFLATE body alone inflates to the whole tar, and the trailer matches it.
  const tar = inflateRawSync(bytes.subarray(10, bytes.length - 8));
  assert.ok(gunzipSync(bytes).equals(tar));
  assert.equal(bytes.readUInt32LE(bytes.length - 8), crc32(tar));
  assert.equal(bytes.readUInt32LE(bytes.length - 4), tar.length % 2 ** 32);
  const extracted = untar(tar);
  assert.deepEqual([...extracted.keys()].sort(), [...files.keys()].sort());
  for (const [name, data] of files) assert.ok(extracted.get(name)?.equals(data), name);
}

void test("crc32Combine equals the CRC-32 of the concatenation", () => {
  for (const [a, b] of [
    [0, 0],
    [1, 0],
    [0, 5],
    [17, 4093],
    [65536, 1],
    [3, 1_000_003],
  ] as const) {
    const x = randomBytes(a);
    const y = randomBytes(b);
    assert.equal(crc32Combine(crc32(x), crc32(y), y.length), crc32(Buffer.concat([x, y])), `${a}+${b}`);
  }
});

void test("writeTarGz: a valid single gzip member, deterministic, reused segments give a full build's bytes, GNU gzip and tar read it", async (t) => {
  const dir = await tempDir(t);
  const src = path.join(dir, "src");
  const files = await makeTree(src, 3000);
  const entries = entriesOf(src, files);

  const cold = await writeTarGz(entries, path.join(dir, "cold.tar.gz"));
  const coldBytes = await readFile(path.join(dir, "cold.tar.gz"));
  assert.ok(cold.index.segments.length > 4, `${cold.index.segments.length} segments`);
  assert.equal(cold.reused, 0);
  assertValidSingleMember(coldBytes, files);

  // Same content, other order and concurrency → same bytes.
  const again = await writeTarGz([...entries].reverse(), path.join(dir, "again.tar.gz"), { concurrency: 1 });
  assert.equal(again.digest, cold.digest);
  assert.ok((await readFile(path.join(dir, "again.tar.gz"))).equals(coldBytes));

  // Nothing changed, built from the previous archive: every segment reused, same bytes.
  const previous = { file: path.join(dir, "cold.tar.gz"), index: cold.index };
  const same = await writeTarGz(entries, path.join(dir, "same.tar.gz"), { previous });
  assert.equal(same.compressed, 0);
  assert.equal(same.digest, cold.digest);

  // One file changed, one added, one removed: most segments reused, bytes equal a full build of the new tree.
  const changed = new Map(files);
  changed.set("team-3/app-5/manifest-1000.yaml", Buffer.from("kind: Changed\n"));
  changed.set("team-0/new.yaml", Buffer.from("kind: New\n"));
  changed.delete("team-1/app-1/manifest-8.yaml");
  const src2 = path.join(dir, "src2");
  await writeTree(src2, changed);
  const entries2 = entriesOf(src2, changed);
  const incremental = await writeTarGz(entries2, path.join(dir, "inc.tar.gz"), { previous });
  const full = await writeTarGz(entries2, path.join(dir, "full.tar.gz"));
  assert.ok(incremental.reused > 0 && incremental.compressed <= 4, JSON.stringify(incremental));
  assert.equal(incremental.digest, full.digest);
  const incBytes = await readFile(path.join(dir, "inc.tar.gz"));
  assert.ok(incBytes.equals(await readFile(path.join(dir, "full.tar.gz"))));
  assertValidSingleMember(incBytes, changed);
  assert.deepEqual(incremental.index, full.index);

  // GNU gzip and tar read it. Both are required (CI installs them): a missing tool fails the test (ENOENT).
  const tool = (cmd: string, args: string[]): string =>
    execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  tool("gzip", ["-t", path.join(dir, "inc.tar.gz")]);
  const listing = tool("tar", ["-tzf", path.join(dir, "inc.tar.gz")]);
  const listed = listing.split("\n").filter((l) => l !== "" && !l.endsWith("/"));
  assert.deepEqual(listed.sort(), [...changed.keys()].sort());
  const out = path.join(dir, "x");
  await mkdir(out);
  tool("tar", ["-xzf", path.join(dir, "inc.tar.gz"), "-C", out]);
  const extracted = await readFile(path.join(out, "team-3/app-5/manifest-1000.yaml"), "utf8");
  assert.equal(extracted, "kind: Changed\n");
  assert.ok((await readdir(path.join(out, "charts"))).includes("big-2.tgz"));
});

void test("writeTarGz rebuilds from scratch when the previous archive is not what its index says", async (t) => {
  const dir = await tempDir(t);
  const src = path.join(dir, "src");
  const files = await makeTree(src, 500);
  const entries = entriesOf(src, files);
  const cold = await writeTarGz(entries, path.join(dir, "cold.tar.gz"));
  const bytes = await readFile(path.join(dir, "cold.tar.gz"));
  bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff; // corrupt a reusable segment
  await writeFile(path.join(dir, "corrupt.tar.gz"), bytes);

  const check = async (previous: { file: string; index: ArchiveResult["index"] }): Promise<void> => {
    const result = await writeTarGz(entries, path.join(dir, "out.tar.gz"), { previous });
    assert.equal(result.digest, cold.digest);
    assert.equal(result.reused, 0);
    assertValidSingleMember(await readFile(path.join(dir, "out.tar.gz")), files);
  };
  await check({ file: path.join(dir, "corrupt.tar.gz"), index: cold.index });
  await check({ file: path.join(dir, "missing.tar.gz"), index: cold.index });
  await check({ file: path.join(dir, "cold.tar.gz"), index: { ...cold.index, zlib: "0.0.0" } });
  // Entries without content ids are never reused.
  const anonymous = entries.map(({ contentId: _, ...e }) => e);
  const plain = await writeTarGz(anonymous, path.join(dir, "plain.tar.gz"), {
    previous: { file: path.join(dir, "cold.tar.gz"), index: cold.index },
  });
  assert.equal(plain.reused, 0);
  assert.equal(plain.digest, cold.digest);
});

void test("writeTarGz stores segments that do not compress (DEFLATE stored blocks) and compresses the rest", async (t) => {
  const dir = await tempDir(t);
  const src = path.join(dir, "src");
  const files = new Map<string, Buffer>([
    ["charts/app-1.2.3.tgz", randomBytes(3_000_000)],
    ["manifests/cm.yaml", Buffer.from("apiVersion: v1\nkind: ConfigMap\n".repeat(40_000))],
  ]);
  await writeTree(src, files);
  const built = await writeTarGz(entriesOf(src, files), path.join(dir, "mixed.tar.gz"));
  const bytes = await readFile(path.join(dir, "mixed.tar.gz"));
  assertValidSingleMember(bytes, files);
  // Each big file is a segment of its own; BTYPE (bits 1-2 of a block's first byte) is 00 for stored blocks.
  const [chart, manifest] = built.index.segments;
  assert.ok(chart && manifest, `${built.index.segments.length} segments`);
  assert.equal(((bytes[chart.offset] ?? 0) >> 1) & 3, 0, "the random chart is stored");
  assert.ok(chart.length >= chart.rawLength && chart.length < chart.rawLength * 1.001, `${chart.length}`);
  assert.notEqual(((bytes[manifest.offset] ?? 0) >> 1) & 3, 0, "the manifest is compressed");
  assert.ok(manifest.length < manifest.rawLength / 10, `${manifest.length} of ${manifest.rawLength}`);
});
