// Two publishers racing on one index.yaml: every push lands (no entry lost), and the write condition was
// exercised (conflicting writes were refused and retried). Programmatic loops with separate provider instances on
// each server; on MinIO also two loops of child processes of the built CLI.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { parseRepoIndex } from "../../src/helm/repo-index.js";
import { pushChart } from "../../src/publish/chart-push.js";
import { loadChart, type ChartArchive } from "../../src/publish/chart-source.js";
import {
  azuriteBackend,
  gcsBackend,
  minioBackend,
  readObject,
  type ChartBackend,
  type Provider,
} from "../support/chart-backends.js";
import { runCli } from "../support/cli.js";
import { writeChartDir } from "../support/helm.js";
import { tempDir } from "../support/temp.js";

const PREFIX = "repo";
const INDEX = `${PREFIX}/index.yaml`;
const PER_LOOP = 20;
const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** Chart folders `<name>` 1.0.0 … 1.19.0 under `work`. */
async function chartDirs(work: string, name: string): Promise<string[]> {
  const dirs: string[] = [];
  for (let i = 0; i < PER_LOOP; i++)
    dirs.push(await writeChartDir(path.join(work, `${name}-${i}`), name, `1.${i}.0`));
  return dirs;
}

/** Asserts that index.yaml lists exactly left/right 1.0.0…1.19.0, each with the sha256 of its stored archive. */
async function assertAllForty(provider: Provider): Promise<void> {
  const bytes = await readObject(provider, INDEX);
  assert.ok(bytes);
  const index = parseRepoIndex(bytes.toString("utf8"), INDEX);
  const listed = Object.values(index.entries)
    .flat()
    .map((e) => `${e.name}-${e.version}`)
    .sort();
  const expected = ["left", "right"]
    .flatMap((n) => [...Array(PER_LOOP).keys()].map((i) => `${n}-1.${i}.0`))
    .sort();
  assert.deepEqual(listed, expected, "every one of the 40 pushes is in the index");
  for (const entry of Object.values(index.entries).flat()) {
    const archive = await readObject(provider, `${PREFIX}/${entry.urls[0] ?? ""}`);
    assert.ok(archive, `${entry.urls[0] ?? ""} is stored`);
    assert.equal(entry.digest, sha256(archive));
  }
}

const BACKENDS: [string, () => Promise<ChartBackend>][] = [
  ["MinIO", minioBackend],
  ["fake-gcs-server", gcsBackend],
  ["Azurite", azuriteBackend],
];

for (const [label, start] of BACKENDS) {
  void describe(`concurrent chart pushes on ${label}`, () => {
    let backend: ChartBackend;
    before(async () => {
      backend = await start();
    });
    after(async () => {
      await backend.stop();
    });

    test(`a push overtaken by another push (its own provider) between reading and writing index.yaml is refused by the server once (Conflict), reads again and keeps both entries: with no index yet (ifNoneExists), then over an existing one (If-Match)`, async (t) => {
      const bucket = "race-forced";
      await backend.createBucket(bucket);
      const work = await tempDir(t, "chart-overtaken");
      const [mine, other] = await Promise.all([backend.provider(bucket), backend.provider(bucket)]);
      t.after(() => {
        mine.close();
        other.close();
      });
      const load = async (name: string, version: string): Promise<ChartArchive> => {
        const chart = await loadChart(
          await writeChartDir(path.join(work, `${name}${version}`), name, version),
        );
        t.after(() => chart.cleanup());
        return chart;
      };
      for (const [round, version] of [
        [0, "1.0.0"],
        [1, "2.0.0"],
      ] as const) {
        const overtaking = await load("other", version);
        let overtaken = false;
        // Before our first index write goes out, the other publisher completes a whole push.
        const store: Provider = Object.assign(Object.create(mine) as Provider, {
          put: async (...args: Parameters<Provider["put"]>) => {
            if (args[0] === INDEX && !overtaken) {
              overtaken = true;
              await pushChart({ store: other, prefix: PREFIX, chart: overtaking });
            }
            return mine.put(...args);
          },
        });
        const result = await pushChart({ store, prefix: PREFIX, chart: await load("mine", version) });
        assert.deepEqual(
          [result.index.conflicts, result.index.attempts, result.index.written],
          [1, 2, true],
          `round ${round}`,
        );
      }
      const bytes = await readObject(mine, INDEX);
      assert.ok(bytes);
      const index = parseRepoIndex(bytes.toString("utf8"), INDEX);
      assert.deepEqual(
        Object.values(index.entries)
          .flat()
          .map((e) => `${e.name}-${e.version}`)
          .sort(),
        ["mine-1.0.0", "mine-2.0.0", "other-1.0.0", "other-2.0.0"],
      );
    });

    test(`two pushChart loops of ${PER_LOOP} charts each, with separate provider instances, started together: index.yaml holds all 40 with the digests of the stored archives, and conflicting writes were retried (> 0)`, async (t) => {
      const bucket = "race-api";
      await backend.createBucket(bucket);
      const work = await tempDir(t, "chart-race");
      const loops = await Promise.all(
        ["left", "right"].map(async (name) => {
          const charts: ChartArchive[] = [];
          for (const dir of await chartDirs(work, name)) charts.push(await loadChart(dir));
          const provider = await backend.provider(bucket);
          t.after(async () => {
            provider.close();
            for (const c of charts) await c.cleanup();
          });
          return { charts, provider };
        }),
      );
      const counts = await Promise.all(
        loops.map(async ({ charts, provider }) => {
          let conflicts = 0;
          let attempts = 0;
          for (const chart of charts) {
            const result = await pushChart({ store: provider, prefix: PREFIX, chart });
            conflicts += result.index.conflicts;
            attempts += result.index.attempts;
          }
          return { conflicts, attempts };
        }),
      );
      const conflicts = counts.reduce((sum, c) => sum + c.conflicts, 0);
      t.diagnostic(
        `${label}: ${conflicts} conflicting index writes retried, ${counts.reduce((s, c) => s + c.attempts, 0)} index attempts for 40 pushes`,
      );
      const reader = await backend.provider(bucket);
      t.after(() => {
        reader.close();
      });
      await assertAllForty(reader);
      assert.ok(
        conflicts > 0,
        "the write condition was exercised: some index writes conflicted and were retried",
      );
    });
  });
}

void describe("concurrent chart push processes on MinIO", () => {
  let backend: ChartBackend;
  before(async () => {
    backend = await minioBackend();
  });
  after(async () => {
    await backend.stop();
  });

  test(`two loops of ${PER_LOOP} \`bucketops chart push --json\` child processes each, run in parallel: index.yaml holds all 40 with the digests of the stored archives`, async (t) => {
    const bucket = "race-cli";
    await backend.createBucket(bucket);
    const work = await tempDir(t, "chart-race-cli");
    const yaml = await backend.bucketYaml(work, bucket, PREFIX);
    const totals = await Promise.all(
      ["left", "right"].map(async (name) => {
        let conflicts = 0;
        for (const dir of await chartDirs(work, name)) {
          const r = await runCli(["chart", "push", dir, yaml, "--json"]);
          assert.equal(r.code, 0, r.stderr);
          conflicts += (JSON.parse(r.stdout) as { index: { conflicts: number } }).index.conflicts;
        }
        return conflicts;
      }),
    );
    t.diagnostic(
      `CLI processes: ${totals.reduce((s, n) => s + n, 0)} conflicting index writes retried for 40 pushes`,
    );
    const reader = await backend.provider(bucket);
    t.after(() => {
      reader.close();
    });
    await assertAllForty(reader);
  });
});
