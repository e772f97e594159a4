// A bucket served as a Helm chart repository by `bucketops run`, over real MinIO, fake-gcs-server and Azurite,
// checked with the real helm CLI: repo add, search, pull (digest), template.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { parse } from "yaml";
import { writeTarGz } from "../../src/artifact/tarball.js";
import type { BucketView } from "../../src/standalone/runner.js";
import { startAzurite, type AzuriteServer } from "../support/azurite.js";
import { runArgs, startServerProcess } from "../support/cli.js";
import { startFakeGcs, type FakeGcsServer } from "../support/fake-gcs.js";
import { helmCli, writeChartDir, type Helm } from "../support/helm.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

const NS = "charts";
let minio: MinioServer;
let gcs: FakeGcsServer;
let azurite: AzuriteServer;
let work: string;
let server: Awaited<ReturnType<typeof startServerProcess>>;

type Index = {
  entries: Record<string, { version: string; digest: string; urls: string[]; created: string }[]>;
};

/** `<name>-<version>.tgz` packaged by helm itself from a fresh chart folder. */
async function helmPackage(helm: Helm, name: string, version: string): Promise<Buffer> {
  const dir = await makeTempDir("chart-src");
  try {
    const chart = await writeChartDir(dir, name, version);
    await helm("package", chart, "--destination", dir);
    return await readFile(path.join(dir, `${name}-${version}.tgz`));
  } finally {
    await removeDir(dir);
  }
}

/** A chart archive whose Chart.yaml has no version. */
async function chartWithoutVersion(): Promise<Buffer> {
  const dir = await makeTempDir("nv");
  try {
    const file = path.join(dir, "Chart.yaml");
    const text = "apiVersion: v2\nname: noversion\n";
    await writeFile(file, text);
    const out = path.join(dir, "nv.tgz");
    await writeTarGz([{ name: "noversion/Chart.yaml", file, size: Buffer.byteLength(text) }], out);
    return await readFile(out);
  } finally {
    await removeDir(dir);
  }
}

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

function bucketsYaml(): string {
  const bucket = (name: string, spec: string): string =>
    `---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata: {name: ${name}, namespace: ${NS}}\nspec: ${spec}\n`;
  const secret = (name: string, data: Record<string, string>): string =>
    `---\napiVersion: v1\nkind: Secret\nmetadata: {name: ${name}, namespace: ${NS}}\nstringData: ${JSON.stringify(data)}\n`;
  const s3 = `provider: generic, endpoint: "${minio.endpoint}", insecure: true, secretRef: {name: minio}, interval: 1h`;
  return [
    bucket("s3", `{bucketName: helm-gen, prefix: repo/, ${s3}, helmRepository: {}}`),
    bucket("helms3", `{bucketName: helm-s3, prefix: charts, ${s3}, helmRepository: {}}`),
    bucket("badindex", `{bucketName: helm-badindex, ${s3}, helmRepository: {}}`),
    bucket("plain", `{bucketName: helm-gen, prefix: repo/, ${s3}}`),
    bucket(
      "gcs",
      `{provider: gcp, bucketName: helm-gcs, endpoint: "${gcs.hostPort}", insecure: true, interval: 1h, helmRepository: {secretRef: {name: bearer}}}`,
    ),
    bucket(
      "azure",
      `{provider: azure, bucketName: helm-azure, endpoint: "${azurite.endpoint}", secretRef: {name: azurite}, interval: 1h, helmRepository: {secretRef: {name: basic}}}`,
    ),
    secret("minio", { accesskey: minio.accessKey, secretkey: minio.secretKey }),
    secret("azurite", { accountKey: azurite.accountKey }),
    secret("bearer", { token: "t0ken-for-helm" }),
    secret("basic", { username: "helm-user", password: "helm-pass" }),
  ].join("");
}

const repoUrl = (name: string): string => `${server.url}/helm/${NS}/${name}`;

async function view(name: string): Promise<BucketView> {
  return (await (await fetch(`${server.url}/api/buckets/${NS}/${name}`)).json()) as BucketView;
}

async function waitReady(name: string, notRevision?: string): Promise<BucketView> {
  return waitFor(
    `${name} Ready`,
    async () => {
      const v = await view(name);
      const ok = v.status.conditions.some((c) => c.type === "Ready" && c.status === "True");
      return ok && v.status.artifact && v.status.artifact.revision !== notRevision ? v : undefined;
    },
    { timeoutMs: 60_000, context: () => server.logs().slice(-3000) },
  );
}

async function index(name: string, headers: Record<string, string> = {}): Promise<Index> {
  const res = await fetch(`${repoUrl(name)}/index.yaml`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  return parse(await res.text()) as Index;
}

/** helm repo add + search --versions + pull + template for every version of `chart`; returns the versions seen. */
async function helmRoundTrip(
  helm: Helm,
  repo: string,
  chart: string,
  idx: Index,
  auth: string[] = [],
): Promise<string[]> {
  await helm("repo", "add", repo, repoUrl(repo), ...auth);
  const { stdout } = await helm("search", "repo", `${repo}/${chart}`, "--versions", "-o", "json");
  const versions = (JSON.parse(stdout) as { name: string; version: string }[]).map((r) => r.version);
  const dest = path.join(helm.home, "pulled", repo);
  await mkdir(dest, { recursive: true });
  for (const version of versions) {
    await helm("pull", `${repo}/${chart}`, "--version", version, "--destination", dest);
    const bytes = await readFile(path.join(dest, `${chart}-${version}.tgz`));
    const entry = idx.entries[chart]?.find((e) => e.version === version);
    assert.equal(
      sha256(bytes),
      entry?.digest,
      `${repo} ${chart} ${version}: pulled bytes match the index digest`,
    );
    const rendered = await helm("template", "rel", path.join(dest, `${chart}-${version}.tgz`));
    assert.match(rendered.stdout, new RegExp(`version: "${version.replace(/\./g, "\\.")}"`));
  }
  return versions;
}

before(async () => {
  [minio, gcs, azurite] = await Promise.all([startMinio(), startFakeGcs(), startAzurite()]);
  work = await makeTempDir("helm-repo");
  const helm = await helmCli({ after: () => undefined });
  const [demo1, demo2, other, x1, x2, y1, noVersion] = await Promise.all([
    helmPackage(helm, "demo", "0.1.0"),
    helmPackage(helm, "demo", "0.2.0"),
    helmPackage(helm, "other", "1.0.0"),
    helmPackage(helm, "xchart", "1.0.0"),
    helmPackage(helm, "xchart", "1.1.0"),
    helmPackage(helm, "ychart", "0.1.0"),
    chartWithoutVersion(),
  ]);
  await removeDir(helm.home);
  const folder = await makeTempDir("folder");
  const chartDir = await writeChartDir(folder, "folderchart", "3.0.0", {
    ".helmignore": "notes.txt\n",
    "notes.txt": "x",
  });
  const folderFiles: [string, Buffer][] = [];
  for (const rel of ["Chart.yaml", "values.yaml", "templates/configmap.yaml", ".helmignore", "notes.txt"])
    folderFiles.push([`repo/folderchart/${rel}`, await readFile(path.join(chartDir, rel))]);
  await removeDir(folder);

  await minio.createBucket("helm-gen");
  await minio.putObjects("helm-gen", [
    ["repo/demo-0.1.0.tgz", demo1],
    ["repo/sub/demo-0.2.0.tgz", demo2],
    ["repo/other-1.0.0.tgz", other],
    ["repo/broken/not-a-chart.tgz", gzipSync(Buffer.from("this is not a tar archive\n".repeat(40)))],
    ["repo/noversion.tgz", noVersion],
    ["repo/README.md", "not a chart\n"],
    ...folderFiles,
  ]);
  // helm-s3's layout: index.yaml beside the archives, URLs s3://, path-style http and relative.
  const helmS3Index = `apiVersion: v1
entries:
  xchart:
  - {apiVersion: v2, name: xchart, version: 1.0.0, digest: "${sha256(x1)}", created: "2025-01-01T00:00:00Z", urls: ["s3://helm-s3/charts/xchart-1.0.0.tgz"]}
  - {apiVersion: v2, name: xchart, version: 1.1.0, digest: "${sha256(x2)}", created: "2025-02-01T00:00:00Z", urls: ["http://${minio.endpoint}/helm-s3/charts/xchart-1.1.0.tgz"]}
  ychart:
  - {apiVersion: v2, name: ychart, version: 0.1.0, digest: "${sha256(y1)}", created: "2025-03-01T00:00:00Z", urls: ["ychart-0.1.0.tgz"]}
  - {apiVersion: v2, name: ychart, version: 0.2.0, digest: "00", created: "2025-03-01T00:00:00Z", urls: ["s3://helm-s3/charts/ychart-0.2.0.tgz"]}
generated: "2025-03-01T00:00:00Z"
`;
  await minio.createBucket("helm-s3");
  await minio.putObjects("helm-s3", [
    ["charts/index.yaml", helmS3Index],
    ["charts/xchart-1.0.0.tgz", x1],
    ["charts/xchart-1.1.0.tgz", x2],
    ["charts/ychart-0.1.0.tgz", y1],
  ]);
  await minio.createBucket("helm-badindex");
  await minio.putObjects("helm-badindex", [
    ["index.yaml", "apiVersion: v1\nentries: [unclosed\n"],
    ["other-1.0.0.tgz", other],
  ]);
  await gcs.createBucket("helm-gcs");
  await gcs.putObjects("helm-gcs", [
    ["demo-0.1.0.tgz", demo1],
    ["demo-0.2.0.tgz", demo2],
  ]);
  await azurite.createContainer("helm-azure");
  await azurite.putObjects("helm-azure", [
    ["charts/demo-0.1.0.tgz", demo1],
    ["charts/demo-0.2.0.tgz", demo2],
  ]);
  const config = path.join(work, "config");
  await mkdir(config, { recursive: true });
  await writeFile(path.join(config, "buckets.yaml"), bucketsYaml());
  server = await startServerProcess(runArgs(config, path.join(work, "storage")));
  await Promise.all(["s3", "helms3", "badindex", "plain", "gcs", "azure"].map((n) => waitReady(n)));
});

after(async () => {
  await server?.stop();
  await Promise.all([minio?.stop(), gcs?.stop(), azurite?.stop()]);
  if (work) await removeDir(work);
});

test("MinIO, generated index: helm sees every version of every chart, pulls bytes with the index's digest, renders them", async (t) => {
  const helm = await helmCli(t);
  const idx = await index("s3");
  assert.deepEqual(Object.keys(idx.entries).sort(), ["demo", "folderchart", "other"]);
  assert.deepEqual(await helmRoundTrip(helm, "s3", "demo", idx), ["0.2.0", "0.1.0"]);
  assert.deepEqual(await helmRoundTrip(helm, "s3", "other", idx), ["1.0.0"]);
  assert.deepEqual(await helmRoundTrip(helm, "s3", "folderchart", idx), ["3.0.0"]);
  const created = idx.entries.demo?.[0]?.created;
  assert.equal(created, (await view("s3")).status.artifact?.lastUpdateTime, "created is the artifact's time");
});

test("bad input is left out with the file named in problems.json and the log; the other charts are served", async () => {
  const res = await fetch(`${repoUrl("s3")}/problems.json`);
  const { problems } = (await res.json()) as { problems: { file: string; kind: string }[] };
  assert.deepEqual(problems.map((p) => `${p.file} ${p.kind}`).sort(), [
    "repo/broken/not-a-chart.tgz bad-archive",
    "repo/noversion.tgz no-version",
  ]);
  assert.match(server.logs(), /repo\/broken\/not-a-chart\.tgz/);
  const bad = (await (
    await fetch(`${repoUrl("badindex")}/problems.json`)
  ).json()) as typeof problems extends never ? never : { problems: { file: string; kind: string }[] };
  assert.deepEqual(
    bad.problems.map((p) => `${p.file} ${p.kind}`),
    ["index.yaml bad-index"],
  );
  assert.deepEqual(
    Object.keys((await index("badindex")).entries),
    ["other"],
    "generated from the .tgz instead",
  );
});

test("a helm-s3 layout is served with its s3://, http:// and relative URLs rewritten to bucketops chart files", async (t) => {
  const helm = await helmCli(t);
  const text = await (await fetch(`${repoUrl("helms3")}/index.yaml`)).text();
  assert.doesNotMatch(text, /s3:\/\/|http:\/\//);
  const idx = parse(text) as Index;
  assert.deepEqual(
    Object.fromEntries(Object.entries(idx.entries).map(([k, v]) => [k, v.map((e) => e.urls[0])])),
    { xchart: ["xchart-1.1.0.tgz", "xchart-1.0.0.tgz"], ychart: ["ychart-0.1.0.tgz"] },
  );
  assert.equal(idx.entries.xchart?.[1]?.created, "2025-01-01T00:00:00Z", "the index's own created is kept");
  assert.deepEqual(await helmRoundTrip(helm, "helms3", "xchart", idx), ["1.1.0", "1.0.0"]);
  const { problems } = (await (await fetch(`${repoUrl("helms3")}/problems.json`)).json()) as {
    problems: { file: string; kind: string }[];
  };
  assert.deepEqual(
    problems.map((p) => `${p.file} ${p.kind}`),
    ["charts/index.yaml missing-chart"],
  );
});

test("fake-gcs-server with a bearer token: 401 with WWW-Authenticate without it, the index and charts (ETag, 304) with it", async () => {
  const res = await fetch(`${repoUrl("gcs")}/index.yaml`);
  assert.equal(res.status, 401);
  assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer realm=/);
  assert.equal(
    (await fetch(`${repoUrl("gcs")}/index.yaml`, { headers: { authorization: "Bearer nope" } })).status,
    401,
  );
  const idx = await index("gcs", { authorization: "Bearer t0ken-for-helm" });
  assert.deepEqual(
    idx.entries.demo?.map((e) => e.version),
    ["0.2.0", "0.1.0"],
  );
  const chart = await fetch(`${repoUrl("gcs")}/demo-0.2.0.tgz`, {
    headers: { authorization: "Bearer t0ken-for-helm" },
  });
  assert.equal(chart.status, 200);
  assert.equal(chart.headers.get("content-type"), "application/gzip");
  assert.equal(chart.headers.get("etag"), `"${idx.entries.demo?.[0]?.digest ?? ""}"`);
  assert.equal(sha256(Buffer.from(await chart.arrayBuffer())), idx.entries.demo?.[0]?.digest);
  const again = await fetch(`${repoUrl("gcs")}/demo-0.2.0.tgz`, {
    headers: { authorization: "Bearer t0ken-for-helm", "if-none-match": chart.headers.get("etag") ?? "" },
  });
  assert.equal(again.status, 304, "If-None-Match with the ETag");
});

test("Azurite with basic auth: 401 without credentials; helm repo add --username/--password, search, pull, template", async (t) => {
  const res = await fetch(`${repoUrl("azure")}/demo-0.1.0.tgz`);
  assert.equal(res.status, 401);
  assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm=/);
  const helm = await helmCli(t);
  const basic = `Basic ${Buffer.from("helm-user:helm-pass").toString("base64")}`;
  const idx = await index("azure", { authorization: basic });
  const auth = ["--username", "helm-user", "--password", "helm-pass"];
  assert.deepEqual(await helmRoundTrip(helm, "azure", "demo", idx, auth), ["0.2.0", "0.1.0"]);
});

test("a Bucket without spec.helmRepository answers 404 on /helm", async () => {
  assert.equal((await fetch(`${repoUrl("plain")}/index.yaml`)).status, 404);
  assert.equal((await fetch(`${repoUrl("nosuch")}/index.yaml`)).status, 404);
});

test("a chart folder is served as a package whose bytes are identical across two reconciles and whose created time is kept", async () => {
  const before = await view("s3");
  const first = Buffer.from(await (await fetch(`${repoUrl("s3")}/folderchart-3.0.0.tgz`)).arrayBuffer());
  await minio.putObjects("helm-gen", [
    ["repo/README.md", "changed, so the next reconcile publishes a new state\n"],
  ]);
  const res = await fetch(`${server.url}/api/buckets/${NS}/s3/reconcile`, { method: "POST" });
  assert.equal(res.status, 200);
  const afterView = await waitReady("s3", before.status.artifact?.revision);
  assert.notEqual(afterView.status.artifact?.digest, before.status.artifact?.digest, "a new artifact");
  const idx = await index("s3");
  const second = Buffer.from(await (await fetch(`${repoUrl("s3")}/folderchart-3.0.0.tgz`)).arrayBuffer());
  assert.ok(first.length > 0);
  assert.deepEqual(second, first);
  assert.equal(idx.entries.folderchart?.[0]?.digest, sha256(first));
  assert.equal(
    idx.entries.folderchart?.[0]?.created,
    before.status.artifact?.lastUpdateTime,
    "an unchanged chart keeps its created time",
  );
});
