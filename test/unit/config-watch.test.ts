// Every way an editor or a script writes a config file is seen by a watching runner within a bounded time.
import { execFile } from "node:child_process";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { promisify } from "node:util";
import type { StandaloneRunner } from "../../src/standalone/runner.js";
import { tempRunner } from "../support/runner.js";
import { waitFor } from "../support/wait.js";

const run = promisify(execFile);
const SEEN_WITHIN_MS = 15_000; // generous for a busy 2-core machine; the rescan period below is 400 ms

const bucketYaml = (name: string, ignore: string): string => `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: ${name}, namespace: demo}
spec: {interval: 1h, url: "file://data", ignore: "${ignore}"}
`;

async function watching(
  t: TestContext,
  options: { rescanIntervalMs?: number } = {},
): Promise<{ runner: StandaloneRunner; config: string; file: string }> {
  const { runner, config } = await tempRunner(t, "watch", {
    concurrency: 2,
    concurrentReconciles: 1,
    watch: true,
    rescanIntervalMs: options.rescanIntervalMs ?? 400,
  });
  await mkdir(path.join(config, "data"), { recursive: true });
  await writeFile(path.join(config, "data/a.txt"), "a\n");
  const file = path.join(config, "bucket.yaml");
  await writeFile(file, bucketYaml("local", "v0"));
  await runner.start();
  return { runner, config, file };
}

/** Waits until the runner holds Bucket `name` with spec.ignore `ignore`; fails after SEEN_WITHIN_MS. */
async function seen(runner: StandaloneRunner, ignore: string, name = "local"): Promise<void> {
  const ignoreOf = (): string | undefined =>
    (runner.get("demo", name)?.spec as { ignore?: string } | undefined)?.ignore;
  await waitFor(`spec.ignore ${ignore} of ${name}`, () => ignoreOf() === ignore, {
    timeoutMs: SEEN_WITHIN_MS,
    intervalMs: 25,
    context: () => `has ${String(ignoreOf())}`,
  });
}

/** Saves like an editor's atomic save: a temp file beside it, renamed over it. */
async function renameOver(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.swp`);
  await writeFile(temp, text);
  await rename(temp, file);
}

test("an in-place write (writeFile on the same path) is seen", async (t) => {
  const { runner, file } = await watching(t);
  await writeFile(file, bucketYaml("local", "v1"));
  await seen(runner, "v1");
});

test("a rename over the file (atomic save) is seen", async (t) => {
  const { runner, file } = await watching(t);
  await renameOver(file, bucketYaml("local", "v1"));
  await seen(runner, "v1");
});

test("a delete then create of the file is seen", async (t) => {
  const { runner, file } = await watching(t);
  await rm(file);
  await writeFile(file, bucketYaml("local", "v1"));
  await seen(runner, "v1");
});

test("sed -i (the real binary) is seen", async (t) => {
  const { runner, file } = await watching(t);
  await run("sed", ["-i", "s/v0/v1/", file]);
  await seen(runner, "v1");
});

test("an in-place write after a rename over the file is seen", async (t) => {
  const { runner, file } = await watching(t);
  await renameOver(file, bucketYaml("local", "v1"));
  await seen(runner, "v1");
  await writeFile(file, bucketYaml("local", "v2"));
  await seen(runner, "v2");
  await run("sed", ["-i", "s/v2/v3/", file]);
  await seen(runner, "v3");
  await writeFile(file, bucketYaml("local", "v4"));
  await seen(runner, "v4");
});

test("a file in a new subfolder is seen", async (t) => {
  const { runner, config } = await watching(t);
  await mkdir(path.join(config, "team/apps"), { recursive: true });
  await writeFile(path.join(config, "team/apps/more.yaml"), bucketYaml("more", "n1"));
  await seen(runner, "n1", "more");
  await writeFile(path.join(config, "team/apps/more.yaml"), bucketYaml("more", "n2"));
  await seen(runner, "n2", "more");
});
