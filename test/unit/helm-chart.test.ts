// The chart library: Chart.yaml out of archives, deterministic packaging of chart folders, checked against helm.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";
import { readChartArchive } from "../../src/helm/chart-archive.js";
import { ChartError } from "../../src/helm/chart-errors.js";
import { packageChartDir } from "../../src/helm/chart-package.js";
import { compareVersions, parseSemVer } from "../../src/helm/semver.js";
import { helmCli, writeChartDir } from "../support/helm.js";
import { tempDir } from "../support/temp.js";

async function tarGz(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, text] of Object.entries(files)) pack.entry({ name }, text);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

test("readChartArchive reads the top-level Chart.yaml of an archive made by helm package", async (t) => {
  const dir = await tempDir(t);
  const helm = await helmCli(t);
  const chart = await writeChartDir(dir, "demo", "1.2.3");
  await helm("package", chart, "--destination", dir);
  const meta = await readChartArchive(createReadStream(path.join(dir, "demo-1.2.3.tgz")), "demo-1.2.3.tgz");
  assert.equal(meta.name, "demo");
  assert.equal(meta.version, "1.2.3");
  assert.equal(meta.apiVersion, "v2");
  assert.equal(meta.appVersion, "1.2.3");
  assert.equal(meta.description, "test chart demo");
});

test("readChartArchive ignores a subchart's Chart.yaml and errors name the file and the kind", async () => {
  const sub = await tarGz({
    "app/charts/sub/Chart.yaml": "name: sub\nversion: 1.0.0\n",
    "app/values.yaml": "",
  });
  await assert.rejects(readChartArchive(Readable.from(sub), "k/app.tgz"), (e: unknown) => {
    assert.ok(e instanceof ChartError);
    assert.equal(e.kind, "not-a-chart");
    assert.match(e.message, /^k\/app\.tgz: /);
    return true;
  });
  const noVersion = await tarGz({ "app/Chart.yaml": "apiVersion: v2\nname: app\n" });
  await assert.rejects(readChartArchive(Readable.from(noVersion), "nv.tgz"), { kind: "no-version" });
  const badYaml = await tarGz({ "app/Chart.yaml": "name: [unclosed\n" });
  await assert.rejects(readChartArchive(Readable.from(badYaml), "by.tgz"), { kind: "bad-yaml" });
  await assert.rejects(readChartArchive(Readable.from(Buffer.from("plain text")), "pt.tgz"), {
    kind: "bad-archive",
  });
  const big = await tarGz({ "app/Chart.yaml": "name: app\nversion: 1.0.0\n# " + "x".repeat(2000) });
  await assert.rejects(readChartArchive(Readable.from(big), "big.tgz", { maxChartYamlBytes: 1000 }), {
    kind: "too-large",
  });
  const numeric = await tarGz({ "app/Chart.yaml": "name: app\nversion: 2\n" });
  const meta = await readChartArchive(Readable.from(numeric), "n.tgz");
  assert.deepEqual([meta.version, meta.apiVersion], ["2", "v1"]);
});

test("packageChartDir gives identical bytes for the same folder, honours .helmignore, and helm renders it", async (t) => {
  const dir = await tempDir(t);
  const helm = await helmCli(t);
  const chart = await writeChartDir(dir, "web", "0.3.0", {
    ".helmignore": "secret.txt\nlocal/\n",
    "secret.txt": "not packaged",
    "local/notes.md": "not packaged",
    "templates/.hidden.yaml": "not packaged",
    "files/a.txt": "packaged",
  });
  const first = await packageChartDir(chart, path.join(dir, "out1"));
  await writeFile(path.join(chart, "values.yaml"), "greeting: hello\n"); // same content, new mtime
  const second = await packageChartDir(chart, path.join(dir, "out2"));
  assert.equal(first.fileName, "web-0.3.0.tgz");
  assert.deepEqual(await readFile(first.file), await readFile(second.file));
  assert.equal(
    first.digest,
    `sha256:${createHash("sha256")
      .update(await readFile(first.file))
      .digest("hex")}`,
  );
  const { stdout: listing } = await helm("show", "all", first.file);
  assert.match(listing, /name: web/);
  const names: string[] = [];
  const extract = tar.extract();
  Readable.from(await readFile(first.file))
    .pipe((await import("node:zlib")).createGunzip())
    .pipe(extract);
  for await (const entry of extract) {
    if (entry.header.type === "file") names.push(entry.header.name);
    entry.resume();
  }
  assert.deepEqual(names.sort(), [
    "web/.helmignore",
    "web/Chart.yaml",
    "web/files/a.txt",
    "web/templates/configmap.yaml",
    "web/values.yaml",
  ]);
  const { stdout } = await helm("template", "rel", first.file);
  assert.match(stdout, /name: rel-web/);
  assert.match(stdout, /version: "0.3.0"/);
});

test("packageChartDir refuses a folder without Chart.yaml and names the folder", async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(packageChartDir(dir, path.join(dir, "out")), (e: unknown) => {
    assert.ok(e instanceof ChartError);
    assert.equal(e.kind, "not-a-chart");
    assert.ok(e.message.startsWith(dir));
    return true;
  });
});

test("compareVersions orders by SemVer precedence and parseSemVer accepts what Helm accepts", () => {
  const sorted = [
    "1.0.0",
    "1.0.0-rc.1",
    "0.9.10",
    "0.9.9",
    "1.0.0-alpha",
    "1.0.0-alpha.beta",
    "v2",
    "1.10.0",
  ].sort(compareVersions);
  assert.deepEqual(sorted, [
    "0.9.9",
    "0.9.10",
    "1.0.0-alpha",
    "1.0.0-alpha.beta",
    "1.0.0-rc.1",
    "1.0.0",
    "1.10.0",
    "v2",
  ]);
  assert.ok(parseSemVer("1.2"));
  assert.ok(parseSemVer("1.2.3+build.5"));
  assert.equal(parseSemVer("latest"), undefined);
  assert.equal(parseSemVer("01.2.3"), undefined);
});
