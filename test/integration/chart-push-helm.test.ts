// Charts published by `bucketops chart push` into MinIO, served by `bucketops run` (spec.helmRepository), as the
// real helm CLI sees them: repo add, search (every version), pull (the bytes whose sha256 chart push indexed).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { parseRepoIndex } from "../../src/helm/repo-index.js";
import { runArgs, runCli, startServerProcess } from "../support/cli.js";
import { helmCli, writeChartDir } from "../support/helm.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { tempDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

let minio: MinioServer;
before(async () => {
  minio = await startMinio();
});
after(async () => {
  await minio.stop();
});

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

test("charts pushed with `bucketops chart push` are seen by helm through `bucketops run`: helm search repo lists both versions, and helm pull gets the bytes whose sha256 chart push wrote into index.yaml", async (t) => {
  const work = await tempDir(t, "chart-helm");
  await minio.createBucket("pushed-charts");
  const config = path.join(work, "config");
  await mkdir(config);
  const yaml = path.join(config, "charts.yaml");
  await writeFile(
    yaml,
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: pushed, namespace: charts}
spec: {provider: generic, bucketName: pushed-charts, prefix: stable, endpoint: "${minio.endpoint}", insecure: true, interval: 1h, secretRef: {name: minio}, helmRepository: {}}
---
apiVersion: v1
kind: Secret
metadata: {name: minio, namespace: charts}
stringData: {accesskey: "${minio.accessKey}", secretkey: "${minio.secretKey}"}
`,
  );
  for (const version of ["1.0.0", "1.1.0"]) {
    const dir = await writeChartDir(path.join(work, version), "webapp", version);
    const r = await runCli(["chart", "push", dir, yaml]);
    assert.equal(r.code, 0, r.stderr);
  }
  const stored = await minio.client.send(
    new GetObjectCommand({ Bucket: "pushed-charts", Key: "stable/index.yaml" }),
  );
  const written = parseRepoIndex((await stored.Body?.transformToString()) ?? "", "index.yaml");

  const server = await startServerProcess(runArgs(config, path.join(work, "storage")));
  t.after(() => server.stop());
  await waitFor(
    "pushed Ready",
    async () => {
      const res = await fetch(`${server.url}/helm/charts/pushed/index.yaml`);
      return res.status === 200 ? true : undefined;
    },
    { timeoutMs: 60_000, context: () => server.logs().slice(-3000) },
  );
  const helm = await helmCli(t);
  await helm("repo", "add", "pushed", `${server.url}/helm/charts/pushed`);
  const { stdout } = await helm("search", "repo", "pushed/webapp", "--versions", "-o", "json");
  assert.deepEqual(
    (JSON.parse(stdout) as { version: string }[]).map((r) => r.version),
    ["1.1.0", "1.0.0"],
  );
  for (const version of ["1.0.0", "1.1.0"]) {
    await helm("pull", "pushed/webapp", "--version", version, "--destination", helm.home);
    const bytes = await readFile(path.join(helm.home, `webapp-${version}.tgz`));
    assert.equal(sha256(bytes), written.entries.webapp?.find((e) => e.version === version)?.digest);
  }
});
