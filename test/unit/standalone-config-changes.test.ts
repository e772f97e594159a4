// The runner applying config-folder changes: Secret edits reconcile exactly the Buckets that read them, a broken
// Secret file keeps its last good Secrets, one bad file does not stop a fresh start, no-change reloads cost nothing.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import type { S3Credentials } from "../../src/credentials/secret.js";
import type { ReconcileMetrics } from "../../src/engine/metrics.js";
import { createFileProvider } from "../../src/providers/file.js";
import type { StandaloneRunner } from "../../src/standalone/runner.js";
import { tempRunner } from "../support/runner.js";
import { waitFor } from "../support/wait.js";

// S3 Buckets whose provider is swapped for the data folder (the factory is the engine's metering hook), so a
// reconcile succeeds and records the access key it was given.
const s3Bucket = (name: string, secret: string): string => `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: ${name}, namespace: demo}
spec: {interval: 1h, bucketName: ${name}, endpoint: "127.0.0.1:1", insecure: true, secretRef: {name: ${secret}}}
`;
const secret = (name: string, accessKey: string): string => `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: demo}
stringData: {accesskey: ${accessKey}, secretkey: s3cr3t}
`;

interface Harness {
  runner: StandaloneRunner;
  config: string;
  /** Reconciles finished per Bucket name, in order. */
  reconciles: string[];
  /** Access key each s3 reconcile connected with, per bucket name. */
  keys: Map<string, string[]>;
  /** Resolves once Bucket `name` has finished `count` reconciles. */
  reconciled(name: string, count: number): Promise<void>;
}

async function harness(t: TestContext, files: Record<string, string>): Promise<Harness> {
  const reconciles: string[] = [];
  const metrics: ReconcileMetrics = {
    observe(ref): void {
      reconciles.push(ref.name);
    },
    forget(): void {},
  };
  const keys = new Map<string, string[]>();
  let data = "";
  const { runner, config, dir } = await tempRunner(t, "changes", {
    concurrency: 2,
    concurrentReconciles: 4,
    watch: false,
    metrics,
    engine: {
      providerFactory: (connection) => {
        if (connection.kind === "s3") {
          const used = keys.get(connection.bucketName) ?? [];
          used.push((connection.credentials as S3Credentials).accessKeyId);
          keys.set(connection.bucketName, used);
        }
        return createFileProvider(data);
      },
    },
  });
  data = path.join(dir, "data");
  await mkdir(data, { recursive: true });
  await writeFile(path.join(data, "a.txt"), "a\n");
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(config, name)), { recursive: true });
    await writeFile(path.join(config, name), text);
  }
  const count = (name: string): number => reconciles.filter((n) => n === name).length;
  return {
    runner,
    config,
    reconciles,
    keys,
    async reconciled(name, n): Promise<void> {
      await waitFor(`${name} to reach ${n} reconciles`, () => count(name) >= n, {
        intervalMs: 25,
        context: () => `reconciles so far: ${reconciles.join()}`,
      });
    },
  };
}

test("a Secret edit reconciles the Buckets that read it, with the new value, and no other Bucket", async (t) => {
  const h = await harness(t, {
    "a.yaml": s3Bucket("a", "creds-a"),
    "b.yaml": s3Bucket("b", "creds-b"),
    "secrets.yaml": `${secret("creds-a", "key-a1")}---\n${secret("creds-b", "key-b1")}`,
  });
  await h.runner.start();
  await Promise.all([h.reconciled("a", 1), h.reconciled("b", 1)]);
  assert.deepEqual([h.keys.get("a"), h.keys.get("b")], [["key-a1"], ["key-b1"]]);

  await writeFile(
    path.join(h.config, "secrets.yaml"),
    `${secret("creds-a", "key-a2")}---\n${secret("creds-b", "key-b1")}`,
  );
  await h.runner.reload();
  assert.equal(h.runner.get("demo", "b")?.reconciling, false, "b's Secret did not change: b is not kicked");
  await h.reconciled("a", 2);
  assert.deepEqual(h.keys.get("a"), ["key-a1", "key-a2"], "a reconciled again with the edited Secret");
  assert.deepEqual(h.reconciles.toSorted(), ["a", "a", "b"], "b reconciled only at start");
});

test("a broken Secret file keeps its last good Secrets, and the Buckets still connect with them", async (t) => {
  const h = await harness(t, { "a.yaml": s3Bucket("a", "creds-a"), "s.yaml": secret("creds-a", "key-a1") });
  await h.runner.start();
  await h.reconciled("a", 1);

  await writeFile(path.join(h.config, "s.yaml"), `${secret("creds-a", "key-a2")}  oops: [unclosed\n`);
  await h.runner.reload();
  assert.deepEqual(
    h.runner.folderProblems().map((p) => [path.basename(p.file), p.code]),
    [["s.yaml", "BAD_INDENT"]],
  );
  assert.equal(h.runner.get("demo", "a")?.reconciling, false, "the kept Secret did not change: no reconcile");
  const result = await h.runner.reconcileNow("demo", "a");
  assert.equal(result?.outcome, "unchanged", result?.error?.message);
  assert.deepEqual(h.keys.get("a"), ["key-a1", "key-a1"], "the last good Secret is used");
});

test("a fresh start with an alias bomb and a syntax error in the folder serves the other Buckets and lists both problems", async (t) => {
  const bomb = `a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`;
  const h = await harness(t, {
    "a.yaml": s3Bucket("a", "creds-a"),
    "bomb.yaml": bomb,
    "broken.yaml": `${secret("creds-x", "x")}  oops: [\n`,
    "s.yaml": secret("creds-a", "key-a1"),
  });
  await h.runner.start();
  assert.deepEqual(
    h.runner.list().map((b) => b.name),
    ["a"],
  );
  assert.deepEqual(
    h.runner.folderProblems().map((p) => [path.basename(p.file), p.code]),
    [
      ["bomb.yaml", "RESOURCE_EXHAUSTION"],
      ["broken.yaml", "BAD_INDENT"],
    ],
  );
  await h.reconciled("a", 1);
  assert.equal(h.runner.get("demo", "a")?.lastReconcile?.outcome, "stored");
});

test("a reload that finds the same bytes reconciles nothing", async (t) => {
  const h = await harness(t, { "a.yaml": s3Bucket("a", "creds-a"), "s.yaml": secret("creds-a", "key-a1") });
  await h.runner.start();
  await h.reconciled("a", 1);
  await writeFile(path.join(h.config, "s.yaml"), secret("creds-a", "key-a1")); // rewritten, same bytes
  await writeFile(path.join(h.config, "a.yaml"), `# a comment\n${s3Bucket("a", "creds-a")}`); // same spec
  await h.runner.reload();
  assert.equal(h.runner.get("demo", "a")?.reconciling, false);
  assert.deepEqual(h.reconciles, ["a"]);
});
