// The history module on in-memory versions (and a file:// listing for the revision equality): states at an
// instant, change points and their grouping, refs, diffs, and the time a 10,000 × 3 history takes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { normalizeSpec } from "../../src/api/normalize.js";
import { controlFolder } from "../../src/engine/gate/gate-info.js";
import { createFileProvider } from "../../src/providers/file.js";
import type { ObjectVersion } from "../../src/providers/types.js";
import { INDEX_OBJECT_NAME } from "../../src/publish/index-object.js";
import { ContentCache } from "../../src/source/content-cache.js";
import {
  BucketHistory,
  changePoints,
  collectVersions,
  diffStates,
  historyControlFolder,
  HistoryRefError,
  LATEST,
  PUSH_INDEX_NAME,
  resolveRef,
  stateAt,
  type ChangePoint,
  type ReadVersion,
  type VersionRef,
} from "../../src/source/history.js";
import { ObjectIndex } from "../../src/source/object-index.js";
import { UnsafeKeyError } from "../../src/source/safe-key.js";
import { scanBucket } from "../../src/source/scan.js";
import { tempDir } from "../support/temp.js";

const T0 = Date.parse("2026-11-01T10:00:00Z");
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

/** An in-memory bucket history: contents by versionId, versions per key newest first. */
class Versions {
  readonly list: ObjectVersion[] = [];
  readonly bodies = new Map<string, Buffer>();
  reads = 0;
  private n = 0;

  put(key: string, seconds: number, content: string | Buffer): ObjectVersion {
    const body = typeof content === "string" ? Buffer.from(content) : content;
    const md5 = createHash("md5").update(body).digest("hex");
    const v: ObjectVersion = {
      key,
      versionId: `v${++this.n}`,
      lastModified: at(seconds),
      deleteMarker: false,
      etag: md5,
      size: body.length,
      md5,
    };
    this.bodies.set(v.versionId, body);
    this.list.push(v);
    return v;
  }

  remove(key: string, seconds: number): void {
    this.list.push({
      key,
      versionId: `d${++this.n}`,
      lastModified: at(seconds),
      deleteMarker: true,
      etag: "",
      size: 0,
    });
  }

  /** As a provider lists them: keys ascending, newest first within a key. */
  listed(): ObjectVersion[] {
    return [...this.list].sort(
      (a, b) =>
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) ||
        b.lastModified.getTime() - a.lastModified.getTime() ||
        Number(b.versionId.slice(1)) - Number(a.versionId.slice(1)),
    );
  }

  read: ReadVersion = (v: VersionRef): Promise<Buffer> => {
    this.reads++;
    const body = this.bodies.get(v.versionId);
    if (!body) return Promise.reject(new Error(`no version ${v.versionId}`));
    return Promise.resolve(body);
  };

  table(prefix = ""): ReturnType<typeof collectVersions> {
    return collectVersions(prefix, this.listed(), this.listed());
  }
}

/** The three states the MinIO test uses too: A, then B (changed, added, removed, deleted and re-created), C. */
function abc(): Versions {
  const h = new Versions();
  h.put("app/a.yaml", 0, "a: 1\n");
  h.put("app/b.yaml", 0.5, "b: 1\n");
  h.put("app/gone.yaml", 1, "gone\n");
  h.put("app/back.yaml", 1, "back: 1\n");
  // B at 10 s: a changed, c added, gone removed, back deleted and re-created
  h.put("app/a.yaml", 10, "a: 2\n");
  h.put("app/c.yaml", 10.2, "c: 1\n");
  h.remove("app/gone.yaml", 10.4);
  h.remove("app/back.yaml", 10.6);
  h.put("app/back.yaml", 11, "back: 2\n");
  // C at 20 s
  h.put("app/b.yaml", 20, "b: 2\nmore\n");
  return h;
}

const keysOf = (index: ObjectIndex): string[] => index.entries.map((e) => e.key);

test("stateAt: per key the newest version not after the instant, delete markers leave the key out", async () => {
  const h = abc();
  const table = await h.table();
  const a = await stateAt(table, at(5), h.read);
  assert.deepEqual(keysOf(a.index), ["app/a.yaml", "app/b.yaml", "app/back.yaml", "app/gone.yaml"]);
  assert.deepEqual(a.resolvedAt, at(1));
  const between = await stateAt(table, at(10.7), h.read); // back deleted, not yet re-created
  assert.deepEqual(keysOf(between.index), ["app/a.yaml", "app/b.yaml", "app/c.yaml"]);
  const b = await stateAt(table, at(11), h.read);
  assert.deepEqual(keysOf(b.index), ["app/a.yaml", "app/b.yaml", "app/back.yaml", "app/c.yaml"]);
  assert.equal(b.index.get("app/back.yaml")?.etag, createHash("md5").update("back: 2\n").digest("hex"));
  assert.equal(b.versionIds.get("app/back.yaml"), "v9"); // the re-created version
  const before = await stateAt(table, at(-1), h.read);
  assert.equal(before.index.size, 0);
  assert.equal(before.resolvedAt, undefined);
});

test("stateAt: the revision equals a live file:// scan's of the same files (with .sourceignore, spec.ignore, control folder)", async (t) => {
  const dir = await tempDir(t, "history");
  const root = path.join(dir, "bucket");
  const files: Record<string, string> = {
    ".sourceignore": "*.md\n",
    "site/.sourceignore": "secret/\n",
    "site/a.yaml": "a\n",
    "site/README.md": "readme\n",
    "site/secret/k.yaml": "k\n",
    "site/b/c.yaml": "c\n",
    "site/skip.txt": "skip\n",
    "site/.bucketops/index.json": "{}\n",
  };
  for (const [key, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, key)), { recursive: true });
    await writeFile(path.join(root, key), text);
  }
  const provider = createFileProvider(root);
  const options = { prefix: "site", ignore: "*.txt", controlFolder: "site/.bucketops/" };
  const live = await scanBucket(provider, new ContentCache(path.join(dir, "cache")), options);
  // The same objects as versions (the listing's etags), after an older state of every key.
  const h = new Versions();
  for (const info of [...live.index, ...live.ignoreFiles, ...live.control]) h.put(info.key, 0, "older");
  h.put("site/skip.txt", 0, "x");
  h.put("site/README.md", 0, "x");
  h.put("site/secret/k.yaml", 0, "x");
  const current: ObjectVersion[] = [];
  for await (const info of provider.list("", undefined)) {
    const body = Buffer.from(files[info.key] ?? "");
    const v = h.put(info.key, 60, body);
    Object.assign(v, { etag: info.etag, size: info.size, md5: info.md5 });
    current.push(v);
  }
  const table = await collectVersions(
    "site",
    h.listed().filter((v) => v.key.startsWith("site")),
    h.listed(),
  );
  const state = await stateAt(table, at(61), h.read, {
    ignore: options.ignore,
    controlFolder: options.controlFolder,
  });
  assert.equal(state.revision, live.index.revision());
  assert.deepEqual(keysOf(state.index), keysOf(live.index));
  assert.deepEqual(
    state.control.map((c) => c.key),
    ["site/.bucketops/index.json"],
  );
  assert.deepEqual(
    state.ignoreFiles.map((f) => f.key),
    live.ignoreFiles.map((f) => f.key),
  );
  assert.equal(state.ignored, live.ignored);
  assert.equal(current.length, Object.keys(files).length);
});

test("stateAt: the .sourceignore as of the instant applies; an unsafe published key throws UnsafeKeyError", async () => {
  const h = new Versions();
  h.put("a.yaml", 0, "a");
  h.put("b.txt", 0, "b");
  h.put(".sourceignore", 5, "*.txt\n");
  h.put(".sourceignore", 10, "a.yaml\n");
  const table = await h.table();
  assert.deepEqual(keysOf((await stateAt(table, at(1), h.read)).index), ["a.yaml", "b.txt"]);
  assert.deepEqual(keysOf((await stateAt(table, at(6), h.read)).index), [".sourceignore", "a.yaml"]);
  assert.deepEqual(keysOf((await stateAt(table, at(11), h.read)).index), [".sourceignore", "b.txt"]);
  h.put("x/../y", 20, "bad");
  await assert.rejects(stateAt(await h.table(), at(21), h.read), UnsafeKeyError);
});

test("changePoints: A, B, C as three points newest first with counts, object counts and the states' revisions", async () => {
  const h = abc();
  const table = await h.table();
  const points = await changePoints(table, h.read);
  assert.deepEqual(
    points.map((p) => [
      p.time.toISOString(),
      p.start.toISOString(),
      p.objects,
      p.added,
      p.changed,
      p.removed,
    ]),
    [
      [at(20).toISOString(), at(20).toISOString(), 4, 0, 1, 0],
      [at(11).toISOString(), at(10).toISOString(), 4, 1, 2, 1], // c added; a, back changed; gone removed
      [at(1).toISOString(), at(0).toISOString(), 4, 4, 0, 0],
    ],
  );
  for (const p of points) assert.equal(p.revision, (await stateAt(table, p.time, h.read)).revision);
  assert.ok(points.every((p) => !p.push && p.problem === undefined));
});

test("changePoints: a quiet gap over windowMs splits a change; since and limit filter the newest first list", async () => {
  const h = abc();
  const table = await h.table();
  const split = await changePoints(table, h.read, { windowMs: 300 });
  // A splits at its 0.5 s gaps; B at the 0.4 s gap before back's re-creation (10 → 10.6 chain by 0.2 s).
  assert.deepEqual(
    split.map((p) => p.time.getTime()),
    [at(20), at(11), at(10.6), at(1), at(0.5), at(0)].map((d) => d.getTime()),
  );
  const sinceB = await changePoints(table, h.read, { since: at(10) });
  assert.deepEqual(
    sinceB.map((p) => p.time),
    [at(20), at(11)],
  );
  const newest = await changePoints(table, h.read, { limit: 1 });
  assert.deepEqual(
    newest.map((p) => p.time),
    [at(20)],
  );
});

test("changePoints: each push index version closes one change (a slow push stays one); later writes use the window", async () => {
  const h = new Versions();
  const index = `site/${PUSH_INDEX_NAME}`;
  h.put("site/a.yaml", 0, "a1");
  h.put("site/b.yaml", 0.5, "b1");
  h.put(index, 1, "{1}");
  h.put("site/a.yaml", 1.5, "a2"); // second push, 0.5 s after the first index: not merged into it
  h.put("site/b.yaml", 10, "b2"); // 8.5 s later: a window would split, the push does not
  h.put(index, 10, "{2}"); // same second as its file: the index sorts last
  h.put("site/c.yaml", 30, "c1"); // an upload without push
  const table = await collectVersions("site", h.listed());
  const points = await changePoints(table, h.read, { controlFolder: "site/.bucketops/" });
  assert.deepEqual(
    points.map((p) => [p.time.getTime(), p.push, p.objects, p.added, p.changed]),
    [
      [at(30).getTime(), false, 3, 1, 0],
      [at(10).getTime(), true, 2, 0, 2],
      [at(1).getTime(), true, 2, 2, 0],
    ],
  );
  assert.equal(INDEX_OBJECT_NAME, PUSH_INDEX_NAME);
  assert.equal(
    historyControlFolder("site"),
    controlFolder(
      normalizeSpec({ bucketName: "b", endpoint: "e", interval: "1m", prefix: "site" }, undefined),
    ),
  );
});

test("changePoints: a change of only ignored or control objects is no new state; an unsafe key is a problem", async () => {
  const h = new Versions();
  h.put("a.yaml", 0, "a");
  h.put("notes.txt", 10, "n");
  h.put(".bucketops/x", 20, "x");
  h.put("bad\u0007.yaml", 30, "b");
  const points = await changePoints(await h.table(), h.read, {
    ignore: "*.txt",
    controlFolder: ".bucketops/",
  });
  assert.deepEqual(
    points.map((p) => p.time),
    [at(30), at(0)],
  );
  assert.match(points[0]?.problem ?? "", /control character/);
});

test("changePoints agree with stateAt on random histories: each point's revision, object count and counts against the point before", async () => {
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let round = 0; round < 20; round++) {
    const h = new Versions();
    let time = 0;
    for (let step = 0; step < 120; step++) {
      time += random(4) === 0 ? 3 : 0.1; // quiet gaps close changes now and then
      const key = ["a.yaml", "b/c.yaml", "b/d.txt", ".sourceignore", "e.yaml", ".bucketops/index.json", "f"][
        random(7)
      ] as string;
      if (key === ".sourceignore")
        h.put(key, time, ["*.txt\n", "e.yaml\n", "", "b/\n!b/c.yaml\n"][random(4)] as string);
      else if (random(3) === 0) h.remove(key, time);
      else h.put(key, time, `${key} ${step}`);
    }
    const table = await h.table();
    const options = { ignore: random(2) === 0 ? "f" : undefined, controlFolder: ".bucketops/" };
    const points = (await changePoints(table, h.read, options)).reverse();
    let previous = new ObjectIndex([]);
    for (const p of points) {
      const state = await stateAt(table, p.time, h.read, options);
      const diff = state.index.diff(previous);
      assert.deepEqual(
        [p.revision, p.objects, p.added, p.changed, p.removed],
        [state.revision, state.index.size, diff.added.length, diff.changed.length, diff.removed.length],
        `round ${round} at ${p.time.toISOString()}`,
      );
      assert.notEqual(state.revision, previous.revision(), "each point is a new state");
      previous = state.index;
    }
    const latest = await stateAt(table, LATEST, h.read, options);
    assert.equal(
      points.at(-1)?.revision ?? new ObjectIndex([]).revision(),
      latest.revision,
      "the newest point is the latest state",
    );
  }
});

test("resolveRef: times, full and short revisions, latest; unknown, ambiguous and malformed refs throw HistoryRefError", () => {
  const point = (t: number, revision: string): ChangePoint => ({
    time: at(t),
    start: at(t),
    revision,
    objects: 1,
    added: 1,
    changed: 0,
    removed: 0,
    push: false,
  });
  const points = [point(30, "sha256:abcd1111"), point(20, "sha256:abce2222"), point(10, "sha256:abcd1111")];
  assert.deepEqual(resolveRef("2026-11-01T10:00:05Z", points), at(5));
  assert.deepEqual(resolveRef("2026-11-01T11:00:05+01:00", points), at(5));
  assert.equal(resolveRef("latest", points), LATEST);
  assert.deepEqual(resolveRef("sha256:abce2222", points), at(20));
  assert.deepEqual(resolveRef("sha256:abcd", points), at(30)); // the newest point with it
  assert.deepEqual(resolveRef("abce222", points), at(20));
  assert.throws(() => resolveRef("sha256:abc", points), HistoryRefError); // too short
  assert.throws(() => resolveRef("sha256:abcf", points), /no state/);
  assert.throws(
    () => resolveRef("sha256:abc1".replace("1", "d"), [...points, point(5, "sha256:abcd9999")]),
    /ambiguous/,
  );
  assert.throws(() => resolveRef("yesterday", points), HistoryRefError);
});

test("diffStates: added, removed, changed keys; unified text diffs; binary and large files summarized; stat reads nothing", async () => {
  const h = abc();
  h.put("app/logo.png", 0, Buffer.from([0x89, 0x50, 0, 1]));
  h.put("app/logo.png", 20, Buffer.from([0x89, 0x50, 0, 2]));
  h.put("app/big.txt", 0, "x".repeat(2048));
  h.put("app/big.txt", 20, "y".repeat(2048));
  h.put("app/latin1.txt", 20, Buffer.from([0x63, 0x61, 0x66, 0xe9])); // not UTF-8
  const table = await h.table();
  const a = await stateAt(table, at(5), h.read);
  const c = await stateAt(table, LATEST, h.read);
  const stat = await diffStates(a, c, h.read, { stat: true });
  assert.equal(h.reads, 0);
  assert.deepEqual(
    { added: stat.added, removed: stat.removed, changed: stat.changed, files: stat.files },
    {
      added: ["app/c.yaml", "app/latin1.txt"],
      removed: ["app/gone.yaml"],
      changed: ["app/a.yaml", "app/b.yaml", "app/back.yaml", "app/big.txt", "app/logo.png"],
      files: undefined,
    },
  );
  const full = await diffStates(a, c, h.read, { maxTextBytes: 1024 });
  const byKey = new Map(full.files?.map((f) => [f.key, f]));
  assert.deepEqual(
    full.files?.map((f) => [f.key, f.change, f.content]),
    [
      ["app/a.yaml", "changed", "text"],
      ["app/b.yaml", "changed", "text"],
      ["app/back.yaml", "changed", "text"],
      ["app/big.txt", "changed", "large"],
      ["app/c.yaml", "added", "text"],
      ["app/gone.yaml", "removed", "text"],
      ["app/latin1.txt", "added", "binary"],
      ["app/logo.png", "changed", "binary"],
    ],
  );
  assert.equal(
    byKey.get("app/b.yaml")?.patch,
    [
      "===================================================================",
      "--- a/app/b.yaml",
      "+++ b/app/b.yaml",
      "@@ -1,1 +1,2 @@",
      "-b: 1",
      "+b: 2",
      "+more",
      "",
    ].join("\n"),
  );
  assert.deepEqual([byKey.get("app/b.yaml")?.additions, byKey.get("app/b.yaml")?.deletions], [2, 1]);
  assert.match(
    byKey.get("app/c.yaml")?.patch ?? "",
    /^--- \/dev\/null\n\+\+\+ b\/app\/c\.yaml\n@@ -0,0 \+1,1 @@\n\+c: 1\n$/m,
  );
  assert.match(byKey.get("app/gone.yaml")?.patch ?? "", /\+\+\+ \/dev\/null\n@@ -1,1 \+0,0 @@\n-gone\n$/);
  assert.deepEqual(byKey.get("app/a.yaml")?.from, {
    etag: a.index.get("app/a.yaml")?.etag,
    size: 5,
    versionId: "v1",
  });
  assert.equal(full.from.revision, a.revision);
  assert.equal(full.to.revision, c.revision);
});

test("BucketHistory: resolve and diff by revision prefix, time and latest over the same versions", async () => {
  const h = abc();
  const history = new BucketHistory(await h.table(), h.read);
  const points = await history.changePoints();
  const [c, b, a] = points;
  assert.ok(a && b && c);
  assert.deepEqual(await history.resolve(a.revision.slice(0, 14)), a.time);
  const diff = await history.diff(a.revision, "latest", { stat: true });
  assert.deepEqual([diff.added, diff.removed], [["app/c.yaml"], ["app/gone.yaml"]]);
  assert.equal((await history.state("2026-11-01T10:00:10.5Z")).index.size, 4);
  assert.deepEqual(await history.changePoints({ limit: 2 }), [c, b]);
});

test("10,000 keys × 3 versions: change points and a state in well under a few seconds", async () => {
  const h = new Versions();
  const keys = 10_000;
  // Three syncs at 0, 100 and 200 s, each writing its objects over 5 s (0.5 ms apart: one change each).
  for (let sync = 0; sync < 3; sync++)
    for (let k = 0; k < keys; k++)
      h.put(`deploy/app-${String(k).padStart(5, "0")}.yaml`, sync * 100 + k * 0.0005, `v${sync} ${k}\n`);
  const listed = h.listed();
  const started = performance.now();
  const table = await collectVersions("", listed);
  const points = await changePoints(table, h.read);
  const swept = performance.now();
  const state = await stateAt(table, at(150), h.read);
  const done = performance.now();
  assert.equal(points.length, 3);
  assert.deepEqual(
    points.map((p) => [p.objects, p.added, p.changed]),
    [
      [keys, 0, keys],
      [keys, 0, keys],
      [keys, keys, 0],
    ],
  );
  assert.equal(state.revision, points[1]?.revision);
  const ms = (n: number): string => `${n.toFixed(0)} ms`;
  t_log(`10,000 × 3 versions: collect + change points ${ms(swept - started)}, one state ${ms(done - swept)}`);
  assert.ok(done - started < 3000, `took ${ms(done - started)}`);
});

function t_log(message: string): void {
  process.stdout.write(`# ${message}\n`);
}
