// walkFolder + digestFiles on real temp folders: what a push would upload, and what it refuses.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { digestFiles } from "../../src/publish/file-digest.js";
import { FolderError, walkFolder } from "../../src/publish/folder-walk.js";
import { tempDir } from "../support/temp.js";

async function folder(t: test.TestContext, files: Record<string, string | Buffer>): Promise<string> {
  const dir = path.join(await tempDir(t, "push-walk"), "site");
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  await mkdir(dir, { recursive: true });
  return dir;
}

const keys = async (dir: string, prefix = "", ignore?: string): Promise<string[]> =>
  (await walkFolder(dir, { prefix, ...(ignore ? { ignore } : {}) })).files.map((f) => f.key);

test("walkFolder lists every regular file with /-separated keys, sorted, with sizes", async (t) => {
  const dir = await folder(t, { "b.yaml": "bb", "a/z.yaml": "z", "a/b/c.json": "{}" });
  const walk = await walkFolder(dir, { prefix: "" });
  assert.deepEqual(
    walk.files.map((f) => [f.key, f.size]),
    [
      ["a/b/c.json", 2],
      ["a/z.yaml", 1],
      ["b.yaml", 2],
    ],
  );
});

test("walkFolder honours .sourceignore (globs, folder patterns, '!' re-include) with any prefix, and spec.ignore after it; the .sourceignore file itself is pushed", async (t) => {
  const dir = await folder(t, {
    ".sourceignore": "*.md\nbuild/\n!keep.md\n",
    "README.md": "r",
    "keep.md": "k",
    "build/out.yaml": "o",
    "app/build/deep.yaml": "d",
    "app/x.yaml": "x",
    "app/secret.env": "s",
  });
  const expected = [".sourceignore", "app/secret.env", "app/x.yaml", "keep.md"];
  assert.deepEqual(await keys(dir), expected);
  assert.deepEqual(
    await keys(dir, "team/site"),
    expected,
    "rules are relative to the folder, whatever the prefix",
  );
  assert.deepEqual(await keys(dir, "team/site", "*.env"), [".sourceignore", "app/x.yaml", "keep.md"]);
  const walk = await walkFolder(dir, { prefix: "team/site" });
  assert.equal(walk.ignored, 3);
  assert.equal(walk.isIgnored("build/out.yaml"), true, "the same rules decide what --prune leaves alone");
  assert.equal(walk.isIgnored("app/x.yaml"), false);
});

test("walkFolder follows a symlink to a file inside the folder (read from its target) and refuses one leaving it, a symlinked folder and a dangling link, each naming the entry, unless .sourceignore excludes it", async (t) => {
  const dir = await folder(t, { "real/a.yaml": "a" });
  const outside = path.join(path.dirname(dir), "outside.txt");
  await writeFile(outside, "secret");
  await symlink("real/a.yaml", path.join(dir, "link.yaml"));
  const walk = await walkFolder(dir, { prefix: "" });
  assert.deepEqual(
    walk.files.map((f) => [f.key, path.relative(dir, f.source)]),
    [
      ["link.yaml", "real/a.yaml"],
      ["real/a.yaml", "real/a.yaml"],
    ],
  );
  const cases: [string, string, RegExp][] = [
    ["escape.txt", outside, /escape\.txt is a symlink to .*outside\.txt, outside the folder/],
    ["linked-dir", path.join(dir, "real"), /linked-dir is a symlink to a folder/],
    ["dangling", path.join(dir, "nothing"), /dangling is a symlink to nothing/],
  ];
  const done: string[] = [];
  for (const [name, target, message] of cases) {
    await symlink(target, path.join(dir, name));
    await assert.rejects(
      walkFolder(dir, { prefix: "" }),
      (e: unknown) => e instanceof FolderError && message.test(e.message),
    );
    done.push(name);
    await writeFile(path.join(dir, ".sourceignore"), `${done.join("\n")}\n`);
    assert.deepEqual(await keys(dir), [".sourceignore", "link.yaml", "real/a.yaml"], `${name} ignored`);
  }
});

test("walkFolder refuses a FIFO, a file under .bucketops/ and a name that cannot be a key (control character), each naming the entry and the fix", async (t) => {
  const fifoDir = await folder(t, { "a.yaml": "a" });
  execFileSync("mkfifo", [path.join(fifoDir, "pipe")]);
  await assert.rejects(
    walkFolder(fifoDir, { prefix: "" }),
    /pipe is not a regular file; delete it or add it to \.sourceignore/,
  );
  const reserved = await folder(t, { ".bucketops/index.json": "{}" });
  await assert.rejects(
    walkFolder(reserved, { prefix: "" }),
    /\.bucketops\/index\.json is under \.bucketops\/, which bucketops reserves/,
  );
  await writeFile(path.join(reserved, ".sourceignore"), ".bucketops/\n");
  assert.deepEqual(await keys(reserved), [".sourceignore"]);
  const control = await folder(t, { "bad\u001bname.yaml": "x" });
  await assert.rejects(
    walkFolder(control, { prefix: "" }),
    /file "bad\\u001bname\.yaml" cannot be an object key: it contains the control character U\+001B.*add it to \.sourceignore/,
  );
});

test("walkFolder of a missing folder or a file throws FolderError naming the path", async (t) => {
  const dir = await folder(t, { "f.txt": "x" });
  await assert.rejects(
    walkFolder(path.join(dir, "nope"), { prefix: "" }),
    (e: unknown) => e instanceof FolderError && /nope: it does not exist/.test(e.message),
  );
  await assert.rejects(walkFolder(path.join(dir, "f.txt"), { prefix: "" }), /f\.txt is not a folder/);
});

test("digestFiles gives each file's sha256, MD5 and size as node:crypto computes them over the whole content, also for a 3 MiB file and an empty one", async (t) => {
  const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x61);
  const dir = await folder(t, { "big.bin": big, empty: "", "s.txt": "hello" });
  const files = await digestFiles((await walkFolder(dir, { prefix: "" })).files, { concurrency: 2 });
  for (const [key, content] of [
    ["big.bin", big],
    ["empty", Buffer.alloc(0)],
    ["s.txt", Buffer.from("hello")],
  ] as const) {
    const f = files.find((x) => x.key === key);
    assert.equal(f?.sha256, createHash("sha256").update(content).digest("hex"), key);
    assert.equal(f.md5, createHash("md5").update(content).digest("hex"), key);
    assert.equal(f.size, content.length, key);
  }
});
