// The kept revisions behind the dashboard's history: file lists and counts per published artifact, texts for
// diffs (binary files never), pruning to the kept number, and the jsdiff patch of a changed file.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { test } from "node:test";
import { createGzip } from "node:zlib";
import tar from "tar-stream";
import type { Artifact } from "../../src/api/status.js";
import { diffRevisions, UnknownRevisionError } from "../../src/standalone/revision-diff.js";
import { MAX_FILES, RevisionLog } from "../../src/standalone/revision-log.js";
import { tempDir } from "../support/temp.js";

const ref = { namespace: "demo", name: "site" };

/** Writes a tar.gz of `files` and returns its artifact record (the revision derived from the file contents). */
async function artifact(
  dir: string,
  files: Record<string, string | Buffer>,
  at: string,
): Promise<[Artifact, string]> {
  const revision = `sha256:${createHash("sha256")
    .update(JSON.stringify(Object.entries(files)))
    .digest("hex")}`;
  const file = path.join(dir, `${revision.slice(7)}.tar.gz`);
  const pack = tar.pack();
  for (const [name, body] of Object.entries(files)) pack.entry({ name }, body);
  pack.finalize();
  await pipeline(pack, createGzip(), createWriteStream(file));
  return [{ path: file, url: "", revision, digest: revision, size: 1, lastUpdateTime: at }, file];
}

test("record keeps each revision's files with added/changed/removed counts, newest first; a repeat is not added", async (t) => {
  const dir = await tempDir(t, "revlog");
  const log = new RevisionLog(dir);
  const [a1, f1] = await artifact(dir, { "a.yaml": "x: 1\n", "gone.yaml": "g\n" }, "2026-12-01T10:00:00Z");
  const [a2, f2] = await artifact(dir, { "a.yaml": "x: 2\n", "b.yaml": "new\n" }, "2026-12-01T11:00:00Z");
  await log.record(ref, a1, f1);
  await log.record(ref, a2, f2);
  await log.record(ref, a2, f2);
  const list = await log.list(ref);
  assert.deepEqual(
    list.map((e) => [e.revision, e.at, e.files, e.added, e.changed, e.removed]),
    [
      [a2.revision, "2026-12-01T11:00:00Z", 2, 1, 1, 1],
      [a1.revision, "2026-12-01T10:00:00Z", 2, 2, 0, 0],
    ],
  );
  assert.deepEqual(
    (await log.files(ref, a2.revision))?.files.map((f) => [f.name, f.size]),
    [
      ["a.yaml", 5],
      ["b.yaml", 4],
    ],
  );
});

test("diffRevisions gives a unified diff of a changed text file, marks binary files, and refuses unknown revisions", async (t) => {
  const dir = await tempDir(t, "revlog");
  const log = new RevisionLog(dir);
  const bin1 = Buffer.from([1, 0, 2]);
  const bin2 = Buffer.from([1, 0, 3]);
  const [a1, f1] = await artifact(dir, { "a.yaml": "k: v\nx: 1\n", "b.bin": bin1 }, "2026-12-01T10:00:00Z");
  const [a2, f2] = await artifact(dir, { "a.yaml": "k: v\nx: 2\n", "b.bin": bin2 }, "2026-12-01T11:00:00Z");
  await log.record(ref, a1, f1);
  await log.record(ref, a2, f2);
  const diff = await diffRevisions(log, ref, a1.revision, a2.revision);
  assert.deepEqual(diff.changed, ["a.yaml", "b.bin"]);
  const [text, binary] = diff.files;
  assert.equal(text?.content, "text");
  assert.match(text?.patch ?? "", /\n-x: 1\n\+x: 2\n/);
  assert.deepEqual([text?.additions, text?.deletions], [1, 1]);
  assert.deepEqual(binary, { key: "b.bin", change: "changed", content: "binary" });
  await assert.rejects(
    diffRevisions(log, ref, a1.revision, `sha256:${"0".repeat(64)}`),
    UnknownRevisionError,
  );
});

test("only the last N revisions are kept, and texts no kept revision uses are deleted", async (t) => {
  const dir = await tempDir(t, "revlog");
  const log = new RevisionLog(dir, 2);
  const kept: Artifact[] = [];
  for (let i = 1; i <= 3; i++) {
    const [a, f] = await artifact(
      dir,
      { "a.yaml": `x: ${i}\n`, "same.yaml": "s\n" },
      `2026-12-01T1${i}:00:00Z`,
    );
    await log.record(ref, a, f);
    kept.push(a);
  }
  assert.deepEqual(
    (await log.list(ref)).map((e) => e.revision),
    [kept[2]?.revision, kept[1]?.revision],
  );
  assert.equal(await log.files(ref, kept[0]?.revision ?? ""), undefined);
  const texts = await readdir(path.join(dir, "revisions/demo/site/text"));
  const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
  assert.deepEqual(texts.sort(), [sha("x: 2\n"), sha("x: 3\n"), sha("s\n")].sort());
});

test("an artifact of more than MAX_FILES objects is logged without reading it: no file list, counts null", async (t) => {
  const dir = await tempDir(t, "revlog");
  const log = new RevisionLog(dir);
  const [a] = await artifact(dir, { "a.yaml": "x\n" }, "2026-12-01T10:00:00Z");
  await log.record(ref, a, path.join(dir, "does-not-exist.tar.gz"), MAX_FILES + 1);
  assert.deepEqual(
    (await log.list(ref)).map((e) => [e.files, e.added, e.changed, e.removed]),
    [[MAX_FILES + 1, null, null, null]],
  );
  assert.equal(await log.files(ref, a.revision), undefined);
});
