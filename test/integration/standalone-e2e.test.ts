// End to end: `bucketops run` against a real MinIO, artifacts over HTTP, and the CLI commands a user types.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { extractTarGz } from "../../src/artifact/extract.js";
import type { BucketView } from "../../src/standalone/runner.js";
import { runArgs, runCli, startServerProcess } from "../support/cli.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

let minio: MinioServer;
let work: string;
const files: Record<string, string> = {
  "manifests/app/deploy.yaml": "kind: Deployment\nmetadata: {name: app}\n",
  "manifests/app/svc.yaml": "kind: Service\nmetadata: {name: app}\n",
  "manifests/ns.yaml": "kind: Namespace\nmetadata: {name: demo}\n",
  "manifests/README.md": "not published\n",
};

function bucketYaml(extra = ""): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: e2e, namespace: team-a}
spec:
  interval: 10m
  url: s3://e2e-bucket/manifests
  endpoint: ${minio.endpoint}
  insecure: true
  secretRef: {name: minio-creds}
  ignore: "*.md"
${extra}---
apiVersion: v1
kind: Secret
metadata: {name: minio-creds, namespace: team-a}
data:
  accesskey: ${Buffer.from(minio.accessKey).toString("base64")}
stringData:
  secretkey: ${minio.secretKey}
`;
}

async function bucketView(url: string): Promise<BucketView> {
  const res = await fetch(`${url}/api/buckets/team-a/e2e`);
  assert.equal(res.status, 200);
  return (await res.json()) as BucketView;
}

/** `bucketops reconcile bucket e2e -n team-a -o json` against the running server. */
const reconcileJson = (url: string): ReturnType<typeof runCli> =>
  runCli(["reconcile", "bucket", "e2e", "-n", "team-a", "--server", url, "-o", "json"]);

const ready = (v: BucketView): boolean =>
  v.status.conditions.some((c) => c.type === "Ready" && c.status === "True");

before(async () => {
  minio = await startMinio();
  await minio.createBucket("e2e-bucket");
  await minio.putObjects("e2e-bucket", Object.entries(files));
  work = await makeTempDir("e2e");
});

after(async () => {
  await minio?.stop();
  if (work) await removeDir(work);
});

test("bucketops run serves a verifiable artifact, and the CLI drives it", async () => {
  const config = path.join(work, "config");
  const storage = path.join(work, "storage");
  await import("node:fs/promises").then((fs) => fs.mkdir(config, { recursive: true }));
  await writeFile(path.join(config, "bucket.yaml"), bucketYaml());

  let server = await startServerProcess(runArgs(config, storage));
  try {
    const view = await waitFor("Ready", async () => {
      const v = await bucketView(server.url);
      return ready(v) ? v : undefined;
    });
    const artifact = view.status.artifact;
    assert.ok(artifact, "status.artifact is set");
    assert.equal(view.status.url, `${server.url}/bucket/team-a/e2e/latest.tar.gz`);

    // Download as a consumer would and verify the digest.
    const res = await fetch(artifact.url);
    assert.equal(res.status, 200);
    assert.ok(res.headers.get("etag"), "artifact responses carry an ETag");
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(Number(res.headers.get("content-length")), body.length);
    assert.equal(`sha256:${createHash("sha256").update(body).digest("hex")}`, artifact.digest);
    assert.equal(body.length, artifact.size);
    const out = path.join(work, "extracted");
    const extracted = await extractTarGz(Readable.from(body), out);
    assert.deepEqual(extracted.sort(), [
      "manifests/app/deploy.yaml",
      "manifests/app/svc.yaml",
      "manifests/ns.yaml",
    ]);
    for (const key of extracted) assert.equal(await readFile(path.join(out, key), "utf8"), files[key]);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(
      metrics,
      /gotk_reconcile_condition\{kind="Bucket",name="e2e",namespace="team-a",type="Ready",status="True"\} 1/,
    );
    assert.match(metrics, /bucketops_objects_fetched_total\{kind="Bucket",name="e2e",namespace="team-a"\} 3/);

    // CLI: get buckets (table and json)
    const table = await runCli(["get", "buckets", "--server", server.url]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAMESPACE\s+NAME\s+READY/m);
    assert.match(table.stdout, /team-a\s+e2e\s+True/);
    const json = await runCli(["get", "buckets", "--server", server.url, "-o", "json"]);
    assert.equal(json.code, 0);
    assert.equal((JSON.parse(json.stdout) as BucketView[])[0]?.status.artifact?.digest, artifact.digest);

    // Nothing changed: reconcile downloads nothing.
    const same = await reconcileJson(server.url);
    assert.equal(same.code, 0, same.stderr);
    const sameAnswer = JSON.parse(same.stdout) as {
      outcome: string;
      stats: { downloaded: number; getRequests: number };
    };
    assert.equal(sameAnswer.outcome, "unchanged");
    assert.equal(sameAnswer.stats.getRequests, 0);

    // One object changed: exactly one download, new digest served.
    await minio.client.send(
      new PutObjectCommand({
        Bucket: "e2e-bucket",
        Key: "manifests/ns.yaml",
        Body: "kind: Namespace\nmetadata: {name: changed}\n",
      }),
    );
    const changed = await runCli(["reconcile", "bucket", "e2e", "-n", "team-a", "--server", server.url]);
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(changed.stdout, /team-a\/e2e: stored/);
    assert.match(changed.stdout, /downloaded: 1,/);
    const after = await bucketView(server.url);
    assert.notEqual(after.status.artifact?.digest, artifact.digest);

    // Exit codes scripts rely on.
    const missing = await runCli(["reconcile", "bucket", "nope", "--server", server.url]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Bucket default\/nope not found/);
    const usage = await runCli(["get", "buckets", "-o", "xml", "--server", server.url]);
    assert.equal(usage.code, 2);

    // Restart: state is kept, so the restarted server downloads nothing.
    await server.stop();
    server = await startServerProcess(runArgs(config, storage));
    const restarted = await bucketView(server.url);
    assert.equal(restarted.status.artifact?.digest, after.status.artifact?.digest);
    const again = await reconcileJson(server.url);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { stats: { downloaded: number } }).stats.downloaded, 0);

    // Editing the YAML is picked up by the watcher: suspend stops reconciles.
    await writeFile(
      path.join(config, "bucket.yaml"),
      bucketYaml().replace("  interval: 10m", "  interval: 10m\n  suspend: true"),
    );
    await waitFor("suspended", async () => ((await bucketView(server.url)).suspended ? true : undefined));
    const suspended = await reconcileJson(server.url);
    assert.equal((JSON.parse(suspended.stdout) as { outcome: string }).outcome, "suspended");
  } finally {
    await server.stop();
  }
  const unreachable = await runCli(["get", "buckets", "--server", server.url]);
  assert.equal(unreachable.code, 3);
  assert.match(unreachable.stderr, /cannot reach the bucketops server/);
});

test("bucketops fetch writes a directory or a tar.gz, and a second fetch downloads nothing", async () => {
  const yamlFile = path.join(work, "fetch-bucket.yaml");
  await writeFile(yamlFile, bucketYaml().replace("name: e2e,", "name: fetch-me,"));
  const cacheDir = path.join(work, "fetch-cache");
  const dir = path.join(work, "fetched");
  const first = await runCli(["fetch", yamlFile, "-o", dir, "--cache-dir", cacheDir, "--json"]);
  assert.equal(first.code, 0, first.stderr);
  const result = JSON.parse(first.stdout) as {
    revision: string;
    digest: string;
    stats: { downloaded: number };
  };
  assert.match(result.revision, /^sha256:[0-9a-f]{64}$/);
  assert.equal(result.stats.downloaded, 3);
  assert.equal(
    await readFile(path.join(dir, "manifests/app/svc.yaml"), "utf8"),
    files["manifests/app/svc.yaml"],
  );

  const tarball = path.join(work, "out/artifact.tar.gz");
  const second = await runCli(["fetch", yamlFile, "-o", tarball, "--cache-dir", cacheDir]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /0 downloaded/);
  const digest = `sha256:${createHash("sha256")
    .update(await readFile(tarball))
    .digest("hex")}`;
  assert.match(second.stdout, new RegExp(`digest:\\s+${digest}`));
  assert.equal(digest, result.digest);

  const notEmpty = await runCli(["fetch", yamlFile, "-o", dir, "--cache-dir", cacheDir]);
  assert.equal(notEmpty.code, 2);
  assert.match(notEmpty.stderr, /not empty; pass --force/);
});

test("bucketops fetch with wrong keys fails with AuthenticationFailed and does not print them", async () => {
  const yamlFile = path.join(work, "bad-keys.yaml");
  const wrongSecret = "wrong-secret-key-4c7a";
  await writeFile(
    yamlFile,
    bucketYaml()
      .replace("name: e2e,", "name: bad-keys,")
      .replace(`secretkey: ${minio.secretKey}`, `secretkey: ${wrongSecret}`),
  );
  const out = path.join(work, "bad-keys-out");
  const badCreds = await runCli(["fetch", yamlFile, "-o", out, "--cache-dir", path.join(work, "bad-cache")]);
  assert.equal(badCreds.code, 1, `a failed fetch exits 1: ${badCreds.stderr}`);
  assert.match(badCreds.stderr, /AuthenticationFailed/);
  assert.equal(
    `${badCreds.stdout}${badCreds.stderr}`.includes(wrongSecret),
    false,
    "the wrong key is not printed",
  );
});

test("bucketops fetch of a Bucket file that does not exist is a usage error naming the file", async () => {
  const missingFile = path.join(work, "no-such-bucket.yaml");
  const missing = await runCli(["fetch", missingFile, "-o", path.join(work, "missing-out")]);
  assert.equal(missing.code, 2, "a missing file is a usage error");
  assert.match(missing.stderr, /no-such-bucket\.yaml/);
});
