// The charts in a Bucket's artifact (kube/artifact-charts): which keys are charts, which version each chart's
// ExternalArtifact gets, what is skipped, and that a chart folder packages to the same bytes every time.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";
import { writeTarGz } from "../../src/artifact/tarball.js";
import { chartRoots, chartsInArtifact } from "../../src/kube/artifact-charts.js";
import { chartArtifactName } from "../../src/kube/external-artifact-objects.js";
import { tempDir } from "../support/temp.js";

async function chartTgz(name: string, version: string): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: `${name}/Chart.yaml` }, `apiVersion: v2\nname: ${name}\nversion: ${version}\n`);
  pack.entry({ name: `${name}/templates/cm.yaml` }, "kind: ConfigMap\n");
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** An artifact as bucketops writes it, from key → content. */
async function artifact(dir: string, objects: Record<string, string | Buffer>): Promise<string> {
  const src = path.join(dir, "objects");
  const entries = [];
  for (const [key, body] of Object.entries(objects)) {
    const file = path.join(src, key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, body);
    entries.push({ name: key, file, size: Buffer.byteLength(body) });
  }
  const out = path.join(dir, "artifact.tar.gz");
  await writeTarGz(entries, out);
  return out;
}

test("chartRoots: folders holding Chart.yaml, without the subcharts inside them", () => {
  const roots = chartRoots([
    "apps/web/Chart.yaml",
    "apps/web/charts/dep/Chart.yaml",
    "apps/web/templates/a.yaml",
    "api/Chart.yaml",
    "README.md",
  ]);
  assert.deepEqual([...roots].sort(), ["api", "apps/web"]);
  assert.deepEqual([...chartRoots(["Chart.yaml", "charts/x/Chart.yaml"])], [""]);
});

test("chartsInArtifact: the newest release per chart name, folders and .tgz alike; subchart .tgz files and bad charts left out, named", async (t) => {
  const dir = await tempDir(t);
  const file = await artifact(dir, {
    "apps/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.2.0\n",
    "apps/web/templates/cm.yaml": "kind: ConfigMap\n",
    "apps/web/charts/dep-1.0.0.tgz": await chartTgz("dep", "1.0.0"),
    "repo/api-1.0.0.tgz": await chartTgz("api", "1.0.0"),
    "repo/api-1.1.0.tgz": await chartTgz("api", "1.1.0"),
    "repo/api-2.0.0-rc.1.tgz": await chartTgz("api", "2.0.0-rc.1"),
    "repo/beta-0.1.0-alpha.tgz": await chartTgz("beta", "0.1.0-alpha"),
    "repo/broken.tgz": "not an archive",
    "noversion/Chart.yaml": "apiVersion: v2\nname: noversion\n",
  });
  const found = await chartsInArtifact(file, path.join(dir, "work"));
  assert.deepEqual(
    found.charts.map((c) => [c.metadata.name, c.metadata.version, c.source]),
    [
      ["api", "1.1.0", "repo/api-1.1.0.tgz"],
      ["beta", "0.1.0-alpha", "repo/beta-0.1.0-alpha.tgz"],
      ["web", "0.2.0", "apps/web"],
    ],
  );
  assert.deepEqual(found.skipped.map((e) => [e.file, e.kind]).sort(), [
    ["noversion/Chart.yaml", "no-version"],
    ["repo/broken.tgz", "bad-archive"],
  ]);
  for (const chart of found.charts) assert.match(chart.digest, /^sha256:[0-9a-f]{64}$/);
});

test("chartsInArtifact packages a chart folder to the same digest on every run", async (t) => {
  const dir = await tempDir(t);
  const file = await artifact(dir, {
    "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "web/values.yaml": "a: 1\n",
  });
  const first = await chartsInArtifact(file, path.join(dir, "w1"));
  const second = await chartsInArtifact(file, path.join(dir, "w2"));
  assert.equal(first.charts.length, 1);
  assert.equal(first.charts[0]?.digest, second.charts[0]?.digest);
});

test("chartArtifactName: <bucket>-<chart>, made a valid name, at most 253 characters", () => {
  assert.equal(chartArtifactName("charts", "web"), "charts-web");
  assert.equal(chartArtifactName("charts", "My_Chart"), "charts-my-chart");
  const long = chartArtifactName("b".repeat(200), "c".repeat(100));
  assert.ok(long.length <= 253, String(long.length));
  assert.match(long, /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/);
  assert.notEqual(long, chartArtifactName("b".repeat(200), "c".repeat(99)));
});
