// `bucketops chart push | delete | reindex` on MinIO, fake-gcs-server and Azurite: what lands in the bucket, what
// index.yaml says about it (digests are the sha256 of the stored objects), refusals, order of the writes, repair.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";
import { promisify } from "node:util";
import { parseRepoIndex, type RepoIndex } from "../../src/helm/repo-index.js";
import { deleteChart } from "../../src/publish/chart-delete.js";
import { pushChart } from "../../src/publish/chart-push.js";
import { loadChart } from "../../src/publish/chart-source.js";
import {
  azuriteBackend,
  gcsBackend,
  minioBackend,
  readObject,
  type ChartBackend,
  type Provider,
} from "../support/chart-backends.js";
import { runCli, type CliResult } from "../support/cli.js";
import { writeChartDir } from "../support/helm.js";
import { tempDir } from "../support/temp.js";

const run = promisify(execFile);
const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const PREFIX = "team/charts";
const INDEX = `${PREFIX}/index.yaml`;

const BACKENDS: [string, () => Promise<ChartBackend>][] = [
  ["MinIO", minioBackend],
  ["fake-gcs-server", gcsBackend],
  ["Azurite", azuriteBackend],
];

/** What an entry says besides its times: equivalent indexes agree on these. */
function summary(index: RepoIndex): string[] {
  return Object.values(index.entries)
    .flat()
    .map((e) => `${e.name} ${e.version} ${e.digest ?? ""} ${e.urls.join(",")} ${e.description ?? ""}`)
    .sort();
}

async function indexOf(provider: Provider): Promise<RepoIndex> {
  const bytes = await readObject(provider, INDEX);
  assert.ok(bytes, `${INDEX} exists`);
  return parseRepoIndex(bytes.toString("utf8"), INDEX);
}

/** Asserts that every entry's digest is the sha256 of the object its relative URL names. */
async function assertDigestsMatchObjects(provider: Provider, index: RepoIndex): Promise<void> {
  for (const entry of Object.values(index.entries).flat()) {
    const bytes = await readObject(provider, `${PREFIX}/${entry.urls[0] ?? ""}`);
    assert.ok(bytes, `${entry.urls[0] ?? ""} exists`);
    assert.equal(entry.digest, sha256(bytes), `${entry.name} ${entry.version}`);
  }
}

/** A .tgz as `helm package` lays it out (`<name>/Chart.yaml`, …), made with the system tar. */
async function tarChart(work: string, name: string, chartYaml: string): Promise<string> {
  const parent = path.join(work, `tar-${name}`);
  await writeChartDir(parent, name, "0.0.0");
  await writeFile(path.join(parent, name, "Chart.yaml"), chartYaml);
  const file = path.join(work, `${name}.tgz`);
  await run("tar", ["-czf", file, "-C", parent, name]);
  return file;
}

for (const [label, start] of BACKENDS) {
  void describe(`chart commands on ${label}`, () => {
    let backend: ChartBackend;
    before(async () => {
      backend = await start();
    });
    after(async () => {
      await backend.stop();
    });

    /** A fresh bucket, its YAML, a provider to read it back, a work folder, and the CLI on it. */
    async function setup(
      t: TestContext,
      bucket: string,
    ): Promise<{ work: string; provider: Provider; chart: (...args: string[]) => Promise<CliResult> }> {
      await backend.createBucket(bucket);
      const work = await tempDir(t, "chart-push");
      const yaml = await backend.bucketYaml(work, bucket, PREFIX);
      const provider = await backend.provider(bucket);
      t.after(() => {
        provider.close();
      });
      // `chart <verb> <args…> <bucket.yaml>`: the YAML goes after the positional arguments, flags may follow it.
      const chart = (verb: string, ...args: string[]): Promise<CliResult> => {
        const positional = args.filter((a) => !a.startsWith("--"));
        const flags = args.filter((a) => a.startsWith("--"));
        return runCli(["chart", verb, ...positional, yaml, ...flags]);
      };
      return { work, provider, chart };
    }

    test(`chart push of two chart folders and a packaged .tgz: each archive is stored as <name>-<version>.tgz under the prefix, and index.yaml lists all three with the sha256 of the stored object, a relative URL, created and the Chart.yaml fields`, async (t) => {
      const started = Date.now();
      const { work, provider, chart } = await setup(t, "push-three");
      const a1 = await writeChartDir(path.join(work, "a1"), "alpha", "1.0.0");
      const a2 = await writeChartDir(path.join(work, "a2"), "alpha", "1.1.0");
      const beta = await tarChart(
        work,
        "beta",
        "apiVersion: v2\nname: beta\nversion: 0.1.0\nappVersion: '9.9'\ndescription: packaged beta\nkeywords: [x, y]\n",
      );
      for (const input of [a1, a2, beta]) {
        const r = await chart("push", input);
        assert.equal(r.code, 0, r.stderr);
        assert.match(
          r.stdout,
          /^pushed \S+ \S+ → team\/charts\/\S+\.tgz \(sha256:[0-9a-f]{64}, \d+ bytes\); index team\/charts\/index\.yaml written$/m,
        );
      }
      const keys: string[] = [];
      for await (const o of provider.list("")) keys.push(o.key);
      assert.deepEqual(keys.sort(), [
        "team/charts/alpha-1.0.0.tgz",
        "team/charts/alpha-1.1.0.tgz",
        "team/charts/beta-0.1.0.tgz",
        "team/charts/index.yaml",
      ]);
      const index = await indexOf(provider);
      assert.deepEqual(
        Object.entries(index.entries).map(([name, versions]) => [name, versions.map((v) => v.version)]),
        [
          ["alpha", ["1.1.0", "1.0.0"]],
          ["beta", ["0.1.0"]],
        ],
      );
      await assertDigestsMatchObjects(provider, index);
      const b = index.entries.beta?.[0];
      assert.deepEqual(
        [b?.urls, b?.appVersion, b?.description, b?.keywords, b?.apiVersion],
        [["beta-0.1.0.tgz"], "9.9", "packaged beta", ["x", "y"], "v2"],
      );
      const created = Date.parse(b?.created ?? "");
      assert.ok(
        created >= started - 1000 && created <= Date.now() + 1000,
        `created ${b?.created ?? ""} is now`,
      );
    });

    test(`chart push of a version already published exits 1 naming --force and changes neither the archive nor index.yaml; with --force both are replaced (one entry, the new digest)`, async (t) => {
      const { work, provider, chart } = await setup(t, "push-force");
      const dir = await writeChartDir(work, "gamma", "2.0.0");
      assert.equal((await chart("push", dir)).code, 0);
      const indexBefore = await readObject(provider, INDEX);
      const archiveBefore = await readObject(provider, `${PREFIX}/gamma-2.0.0.tgz`);
      await writeFile(path.join(dir, "values.yaml"), "greeting: changed\n");
      const refused = await chart("push", dir);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr,
        /^error: chart gamma version 2\.0\.0 is already in team\/charts\/index\.yaml; pass --force to replace it$/m,
      );
      assert.deepEqual(await readObject(provider, INDEX), indexBefore);
      assert.deepEqual(await readObject(provider, `${PREFIX}/gamma-2.0.0.tgz`), archiveBefore);
      const forced = await chart("push", dir, "--force", "--json");
      assert.equal(forced.code, 0, forced.stderr);
      const archiveAfter = await readObject(provider, `${PREFIX}/gamma-2.0.0.tgz`);
      assert.ok(
        archiveAfter && archiveBefore && !archiveAfter.equals(archiveBefore),
        "the archive was replaced",
      );
      const index = await indexOf(provider);
      assert.deepEqual(
        index.entries.gamma?.map((e) => [e.version, e.digest]),
        [["2.0.0", sha256(archiveAfter)]],
      );
      assert.equal(
        (JSON.parse(forced.stdout) as { digest: string }).digest,
        `sha256:${sha256(archiveAfter)}`,
      );
    });

    test(`chart delete removes the entry from index.yaml and the archive from the bucket, leaving the other versions; a second delete of it exits 1`, async (t) => {
      const { work, provider, chart } = await setup(t, "delete");
      for (const v of ["1.0.0", "1.1.0"])
        assert.equal((await chart("push", await writeChartDir(path.join(work, v), "delta", v))).code, 0);
      const r = await chart("delete", "delta", "1.0.0");
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /^deleted delta 1\.0\.0: index team\/charts\/index\.yaml written; then team\/charts\/delta-1\.0\.0\.tgz deleted$/m,
      );
      assert.equal(await provider.stat(`${PREFIX}/delta-1.0.0.tgz`), undefined);
      assert.ok(await provider.stat(`${PREFIX}/delta-1.1.0.tgz`));
      assert.deepEqual(
        (await indexOf(provider)).entries.delta?.map((e) => e.version),
        ["1.1.0"],
      );
      const again = await chart("delete", "delta", "1.0.0");
      assert.equal(again.code, 1);
      assert.match(
        again.stderr,
        /^error: chart delta version 1\.0\.0 is neither in team\/charts\/index\.yaml nor at team\/charts\/delta-1\.0\.0\.tgz$/m,
      );
    });

    test(`pushChart writes the archive before index.yaml, and deleteChart writes index.yaml before deleting the archive (writes recorded in order on the server)`, async (t) => {
      const { work, provider } = await setup(t, "order");
      const writes: string[] = [];
      const recording: Provider = Object.assign(Object.create(provider) as Provider, {
        put: (...args: Parameters<Provider["put"]>) => {
          writes.push(`put ${args[0]}`);
          return provider.put(...args);
        },
        delete: (key: string, signal?: AbortSignal) => {
          writes.push(`delete ${key}`);
          return provider.delete(key, signal);
        },
      });
      const chart = await loadChart(await writeChartDir(work, "eps", "0.0.1"));
      t.after(() => chart.cleanup());
      await pushChart({ store: recording, prefix: PREFIX, chart });
      await deleteChart({ store: recording, prefix: PREFIX, name: "eps", version: "0.0.1" });
      assert.deepEqual(writes, [
        `put ${PREFIX}/eps-0.0.1.tgz`,
        `put ${INDEX}`,
        `put ${INDEX}`,
        `delete ${PREFIX}/eps-0.0.1.tgz`,
      ]);
      assert.equal(await provider.stat(`${PREFIX}/eps-0.0.1.tgz`), undefined);
    });

    test(`chart reindex rebuilds an index equivalent to the pushed one (names, versions, digests, URLs) after index.yaml is deleted; archives that are not charts are left out, named, exit 1`, async (t) => {
      const { work, provider, chart } = await setup(t, "reindex");
      for (const [name, v] of [
        ["zeta", "1.0.0"],
        ["zeta", "1.2.0"],
        ["eta", "0.3.0"],
      ] as const)
        assert.equal(
          (await chart("push", await writeChartDir(path.join(work, `${name}${v}`), name, v))).code,
          0,
        );
      const pushed = summary(await indexOf(provider));
      await provider.delete(INDEX);
      const rebuilt = await chart("reindex");
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      assert.match(rebuilt.stdout, /^3 chart versions; index team\/charts\/index\.yaml written$/m);
      const index = await indexOf(provider);
      assert.deepEqual(summary(index), pushed);
      await assertDigestsMatchObjects(provider, index);

      const junk = Buffer.from("not a tar at all");
      await provider.put(`${PREFIX}/junk.tgz`, junk, junk.length);
      const versionless = await tarChart(work, "theta", "apiVersion: v2\nname: theta\n");
      const bytes = await readFile(versionless);
      await provider.put(`${PREFIX}/sub/theta.tgz`, bytes, bytes.length);
      const partial = await chart("reindex");
      assert.equal(partial.code, 1, partial.stderr);
      assert.match(partial.stderr, /team\/charts\/junk\.tgz: not a gzip'd tar archive/);
      assert.match(
        partial.stderr,
        /team\/charts\/sub\/theta\.tgz: Chart\.yaml of chart "theta" has no version/,
      );
      assert.deepEqual(summary(await indexOf(provider)), pushed, "the good charts are still indexed");
    });

    test(`an index.yaml that does not parse: chart push exits 1 naming team/charts/index.yaml and uploads no archive; chart reindex replaces it`, async (t) => {
      const { work, provider, chart } = await setup(t, "bad-index");
      const broken = Buffer.from("entries: [unclosed\n");
      await provider.put(INDEX, broken, broken.length);
      const dir = await writeChartDir(work, "iota", "1.0.0");
      const r = await chart("push", dir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^error: team\/charts\/index\.yaml: index\.yaml does not parse/m);
      assert.equal(await provider.stat(`${PREFIX}/iota-1.0.0.tgz`), undefined);
      const repaired = await chart("reindex");
      assert.equal(repaired.code, 0, repaired.stderr);
      assert.match(
        repaired.stderr,
        /^note: replaced an index that did not parse \(team\/charts\/index\.yaml: /m,
      );
      assert.deepEqual(summary(await indexOf(provider)), []);
      assert.equal((await chart("push", dir)).code, 0, "a push works again");
    });
  });
}

void describe("chart push of bad input (no bucket is contacted)", () => {
  test("a .tgz that is not a chart archive exits 2 naming the file; a chart folder whose Chart.yaml has no version exits 2 naming that Chart.yaml; a path that does not exist exits 2", async (t) => {
    const work = await tempDir(t, "chart-bad");
    const notChart = path.join(work, "notes.tgz");
    await writeFile(notChart, "plain text");
    const bucket = `file://${work}`;
    const a = await runCli(["chart", "push", notChart, bucket]);
    assert.equal(a.code, 2, a.stderr);
    assert.match(
      a.stderr,
      new RegExp(`^error: ${notChart.replace(/[.]/g, "\\.")}: not a gzip'd tar archive`, "m"),
    );
    const dir = await writeChartDir(work, "noversion", "1.0.0");
    await writeFile(path.join(dir, "Chart.yaml"), "apiVersion: v2\nname: noversion\n");
    const b = await runCli(["chart", "push", dir, bucket]);
    assert.equal(b.code, 2, b.stderr);
    assert.match(b.stderr, /Chart\.yaml: Chart\.yaml of chart "noversion" has no version$/m);
    const c = await runCli(["chart", "push", path.join(work, "missing"), bucket]);
    assert.equal(c.code, 2, c.stderr);
    assert.match(c.stderr, /missing: neither a chart archive \(\.tgz\) nor a chart folder$/m);
  });
});
