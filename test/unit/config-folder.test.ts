// The config-folder loader: Secret decoding, duplicates, per-file isolation and secret-safe problem messages.
import assert from "node:assert/strict";
import { mkdir, rm, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { MAX_CONFIG_FILE_BYTES } from "../../src/standalone/config-file.js";
import { loadFiles, loadFolder } from "../../src/standalone/config-folder.js";
import { FolderScanner } from "../../src/standalone/folder-scanner.js";
import { tempDir } from "../support/temp.js";

const SECRET = "tok3nQ9vXr2LmZp8KwYb5NsJ"; // distinctive: must never appear in a problem

const bucket = (name: string): string => `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: ${name}, namespace: demo}
spec: {interval: 10m, url: "file://data"}
`;

const b64 = (s: string): string => Buffer.from(s).toString("base64");

async function folder(t: TestContext, files: Record<string, string>): Promise<string> {
  const dir = await tempDir(t, "folder");
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

function assertNoSecret(value: unknown): void {
  assert.ok(!JSON.stringify(value).includes(SECRET), `a Secret value leaked: ${JSON.stringify(value)}`);
}

test("a Secret decodes base64 data and plain stringData, and stringData wins on a shared key", async (t) => {
  const dir = await folder(t, {
    "s.yaml": `kind: Secret
metadata: {name: creds, namespace: demo}
data: {accesskey: ${b64("from-data")}, shared: ${b64("data-side")}, wrapped: "${b64("a").slice(0, 2)}\\n${b64("a").slice(2)}"}
stringData: {secretkey: plain, shared: string-side}
---
kind: Secret
metadata: {name: other}
stringData: {k: v}
`,
  });
  const loaded = await loadFolder(dir);
  assert.deepEqual(loaded.problems, []);
  assert.deepEqual(loaded.secrets.get("demo/creds"), {
    accesskey: "from-data",
    shared: "string-side",
    wrapped: "a",
    secretkey: "plain",
  });
  assert.deepEqual(loaded.secrets.get("default/other"), { k: "v" }, "namespace defaults to default");
});

test("data that is not strict base64 is a problem naming the key and not the value", async (t) => {
  const dir = await folder(t, {
    "s.yaml": `kind: Secret\nmetadata: {name: creds, namespace: demo}\ndata: {token: "${SECRET}!"}\n`,
    "t.yaml": `kind: Secret\nmetadata: {name: short, namespace: demo}\ndata: {token: abc}\n`,
  });
  const loaded = await loadFolder(dir);
  assert.deepEqual(
    loaded.problems.map((p) => [path.basename(p.file), p.message]),
    [
      ["s.yaml", "document 1: Secret demo/creds: data.token is not base64 (use stringData for plain text)"],
      ["t.yaml", "document 1: Secret demo/short: data.token is not base64 (use stringData for plain text)"],
    ],
  );
  assert.equal(loaded.secrets.size, 0);
  assertNoSecret(loaded.problems);
});

test("a Bucket defined in two files is a problem on the later file naming both; the first is used", async (t) => {
  const dir = await folder(t, { "a.yaml": bucket("dup"), "b/c.yaml": bucket("dup") });
  const loaded = await loadFolder(dir);
  assert.equal(loaded.buckets.get("demo/dup")?.file, path.join(dir, "a.yaml"));
  assert.equal(loaded.problems.length, 1);
  assert.equal(loaded.problems[0]?.file, path.join(dir, "b/c.yaml"));
  assert.match(loaded.problems[0]?.message ?? "", new RegExp(`also defined in ${path.join(dir, "a.yaml")}`));
});

test("a syntax error in a Secret is reported by document, line, column and code without the text; the other documents and files load", async (t) => {
  const dir = await folder(t, {
    "a.yaml": bucket("a"),
    "s.yaml": `${bucket("same-file")}---
kind: Secret
metadata: {name: creds, namespace: demo}
stringData:
  token: "${SECRET}" ${SECRET}
`,
    "u.yaml": `kind: Secret\nmetadata: {name: u}\nstringData:\n  token: "${SECRET}\n`,
  });
  const loaded = await loadFolder(dir);
  assert.deepEqual([...loaded.buckets.keys()], ["demo/a", "demo/same-file"]);
  assert.deepEqual(
    loaded.problems.map((p) => ({ ...p, file: path.basename(p.file) })),
    [
      {
        file: "s.yaml",
        document: 2,
        line: 9,
        column: 37,
        code: "UNEXPECTED_TOKEN",
        message: "document 2, line 9, column 37: UNEXPECTED_TOKEN: unexpected token",
      },
      {
        file: "u.yaml",
        document: 1,
        line: 5,
        column: 1,
        code: "MISSING_CHAR",
        message: "document 1, line 5, column 1: MISSING_CHAR: a closing quote, bracket or brace is missing",
      },
    ],
  );
  assertNoSecret(loaded.problems);
});

test("an alias bomb is a RESOURCE_EXHAUSTION problem of its file; the other files load", async (t) => {
  const bomb = `kind: Secret
metadata: {name: bomb}
stringData:
  a: &a [${SECRET},x,x,x,x,x,x,x,x]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]
`;
  const dir = await folder(t, { "a.yaml": bucket("a"), "bomb.yaml": bomb, "z.yaml": bucket("z") });
  const loaded = await loadFolder(dir);
  assert.deepEqual([...loaded.buckets.keys()], ["demo/a", "demo/z"]);
  assert.deepEqual(
    loaded.problems.map((p) => [path.basename(p.file), p.code, p.message]),
    [
      [
        "bomb.yaml",
        "RESOURCE_EXHAUSTION",
        "document 1 (from line 1): RESOURCE_EXHAUSTION: too many alias expansions (an alias bomb?)",
      ],
    ],
  );
  assertNoSecret(loaded.problems);
});

test("collections nested too deep are a RESOURCE_EXHAUSTION problem of their file; the other files load", async (t) => {
  const depth = 20_000;
  const dir = await folder(t, {
    "a.yaml": bucket("a"),
    "deep.yaml": `kind: Secret\nmetadata: {name: deep}\nstringData: {k: ${"[".repeat(depth)}${SECRET}${"]".repeat(depth)}}\n`,
  });
  const loaded = await loadFolder(dir);
  assert.deepEqual([...loaded.buckets.keys()], ["demo/a"]);
  assert.deepEqual(
    loaded.problems.map((p) => [path.basename(p.file), p.code]),
    [["deep.yaml", "RESOURCE_EXHAUSTION"]],
  );
  assertNoSecret(loaded.problems);
});

test("a file over 1 MiB is reported unread with the limit in the message; the other files load", async (t) => {
  const big = `kind: Secret\nmetadata: {name: big}\nstringData: {token: ${SECRET}}\n# ${"x".repeat(MAX_CONFIG_FILE_BYTES)}\n`;
  const dir = await folder(t, { "a.yaml": bucket("a"), "big.yaml": big });
  const loaded = await loadFolder(dir);
  assert.deepEqual([...loaded.buckets.keys()], ["demo/a"]);
  assert.equal(loaded.secrets.size, 0);
  assert.deepEqual(
    loaded.problems.map((p) => [path.basename(p.file), p.code, p.message]),
    [
      [
        "big.yaml",
        "FILE_TOO_LARGE",
        `the file is ${Buffer.byteLength(big)} bytes, over the 1 MiB limit for a config file; it was not read`,
      ],
    ],
  );
});

test("loadFiles reports a missing file as a problem instead of throwing", async (t) => {
  const dir = await folder(t, { "a.yaml": bucket("a") });
  const loaded = await loadFiles([path.join(dir, "a.yaml"), path.join(dir, "gone.yaml")]);
  assert.deepEqual([...loaded.buckets.keys()], ["demo/a"]);
  assert.deepEqual(loaded.problems, [{ file: path.join(dir, "gone.yaml"), message: "no such file" }]);
});

test("a rescan reads only files whose stat changed and reports no change when the bytes hash the same", async (t) => {
  const dir = await folder(t, { "a.yaml": bucket("a"), "b.yaml": bucket("b") });
  const past = new Date(Date.now() - 60_000); // settled files: not "racily clean"
  for (const f of ["a.yaml", "b.yaml"]) await utimes(path.join(dir, f), past, past);
  const scanner = new FolderScanner(dir);
  assert.equal((await scanner.scan()).changed, true, "the first scan loads everything");
  assert.equal(scanner.reads, 2);

  const again = await scanner.scan();
  assert.equal(again.changed, false);
  assert.equal(scanner.reads, 2, "a rescan of settled files reads none");

  await utimes(path.join(dir, "a.yaml"), new Date(), new Date()); // touched, same bytes
  assert.equal((await scanner.scan()).changed, false, "same content hash: no change");
  assert.equal(scanner.reads, 3, "only the touched file was read");

  assert.equal((await scanner.scan({ force: true })).changed, false);
  assert.equal(scanner.reads, 5, "a forced scan reads every file");
});

test("a file that breaks keeps its last good Buckets and Secrets in the scan, and deleting it drops them", async (t) => {
  const good = `${bucket("kept")}---\nkind: Secret\nmetadata: {name: creds, namespace: demo}\nstringData: {k: v1}\n`;
  const dir = await folder(t, { "f.yaml": good });
  const scanner = new FolderScanner(dir);
  await scanner.scan();
  await writeFile(path.join(dir, "f.yaml"), `${good}  broken: [\n`);
  const broken = await scanner.scan({ force: true });
  assert.equal(broken.changed, true);
  assert.equal(broken.contents.problems.length, 1);
  assert.ok(broken.contents.buckets.has("demo/kept"));
  assert.deepEqual(broken.contents.secrets.get("demo/creds"), { k: "v1" });

  await rm(path.join(dir, "f.yaml"));
  const gone = await scanner.scan();
  assert.deepEqual([gone.changed, gone.contents.buckets.size, gone.contents.secrets.size], [true, 0, 0]);
});
