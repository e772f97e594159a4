// pushChart on a file:// bucket: URL styles, and an archive left by a push cut short before its index write.
import assert from "node:assert/strict";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { parseRepoIndex } from "../../src/helm/repo-index.js";
import { createFileProvider } from "../../src/providers/file.js";
import { ChartExistsError, pushChart } from "../../src/publish/chart-push.js";
import { loadChart, type ChartArchive } from "../../src/publish/chart-source.js";
import { writeChartDir } from "../support/helm.js";
import { tempDir } from "../support/temp.js";

async function setup(t: test.TestContext): Promise<{ root: string; chart: ChartArchive }> {
  const work = await tempDir(t, "chart-push-unit");
  const root = path.join(work, "bucket");
  await mkdir(path.join(root, "repo"), { recursive: true });
  const chart = await loadChart(await writeChartDir(work, "app", "1.0.0"));
  t.after(() => chart.cleanup());
  return { root, chart };
}

test("pushChart with a base URL writes <base>/<name>-<version>.tgz into the entry (helm-s3's s3:// form); the default is the relative file name", async (t) => {
  const { root, chart } = await setup(t);
  const store = createFileProvider(root);
  await pushChart({ store, prefix: "repo", chart, urls: { base: "s3://charts-bucket/repo/" } });
  const index = parseRepoIndex(await readFile(path.join(root, "repo/index.yaml"), "utf8"), "index.yaml");
  assert.deepEqual(index.entries.app?.[0]?.urls, ["s3://charts-bucket/repo/app-1.0.0.tgz"]);
  const other = await setup(t);
  await pushChart({ store: createFileProvider(other.root), prefix: "repo", chart: other.chart });
  const plain = parseRepoIndex(
    await readFile(path.join(other.root, "repo/index.yaml"), "utf8"),
    "index.yaml",
  );
  assert.deepEqual(plain.entries.app?.[0]?.urls, ["app-1.0.0.tgz"]);
});

test("an archive with the same bytes already under the key but not in index.yaml (a push cut short) is taken as uploaded ('present') and indexed; other bytes there are refused with ChartExistsError naming --force, and the index stays absent", async (t) => {
  const same = await setup(t);
  await copyFile(same.chart.file, path.join(same.root, "repo/app-1.0.0.tgz"));
  const result = await pushChart({ store: createFileProvider(same.root), prefix: "repo", chart: same.chart });
  assert.deepEqual([result.archive, result.index.written], ["present", true]);

  const other = await setup(t);
  await writeFile(path.join(other.root, "repo/app-1.0.0.tgz"), "other bytes");
  await assert.rejects(
    pushChart({ store: createFileProvider(other.root), prefix: "repo", chart: other.chart }),
    (error: unknown) =>
      error instanceof ChartExistsError &&
      /^repo\/app-1\.0\.0\.tgz already exists with other bytes .*pass --force to replace it$/.test(
        error.message,
      ),
  );
  await assert.rejects(readFile(path.join(other.root, "repo/index.yaml")), { code: "ENOENT" });
  const forced = await pushChart({
    store: createFileProvider(other.root),
    prefix: "repo",
    chart: other.chart,
    force: true,
  });
  assert.equal(forced.archive, "uploaded");
  assert.deepEqual(
    await readFile(path.join(other.root, "repo/app-1.0.0.tgz")),
    await readFile(other.chart.file),
  );
});
