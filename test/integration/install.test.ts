// The install paths against a real kube-apiserver: kustomize (kubectl apply -k), the Helm chart (helm install),
// and `bucketops install --export`; the chart renders the same RBAC and flags as the generated manifests.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { installObjects } from "../../src/install/manifests.js";
import { runCli } from "../support/cli.js";
import { KUBECTL_BIN, startKube, type KubeServer } from "../support/kube.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const HELM_BIN = path.join(repoRoot, ".cache/bin/helm");
const run = promisify(execFile);
let kube: KubeServer;

type Obj = { kind: string; metadata: { name: string }; rules?: unknown; spec?: Record<string, unknown> };

before(async () => {
  kube = await startKube();
});
after(async () => {
  await kube?.stop();
});

const kubectl = async (...args: string[]): Promise<string> =>
  (await run(KUBECTL_BIN, ["--kubeconfig", kube.kubeconfigPath, ...args], { cwd: repoRoot })).stdout;

function containerArgs(obj: Obj | undefined): string[] {
  const spec = obj?.spec as { template: { spec: { containers: { args: string[] }[] } } } | undefined;
  return spec?.template.spec.containers[0]?.args ?? [];
}

test("kubectl apply -k deploy/ installs the CRD, RBAC, Deployment and Service", async () => {
  const out = await kubectl("apply", "-k", "deploy/");
  for (const expected of [
    "namespace/flux-system",
    "customresourcedefinition.apiextensions.k8s.io/buckets.source.toolkit.fluxcd.io",
    "serviceaccount/bucketops",
    "clusterrole.rbac.authorization.k8s.io/bucketops",
    "role.rbac.authorization.k8s.io/bucketops-leader-election",
    "deployment.apps/bucketops",
    "service/bucketops",
  ]) {
    assert.match(out, new RegExp(`${expected.replace(/[./]/g, "\\$&")} created`));
  }
  const deployment = JSON.parse(
    await kubectl("get", "deployment", "bucketops", "-n", "flux-system", "-o", "json"),
  ) as Obj;
  assert.deepEqual(
    containerArgs(deployment),
    containerArgs(installObjects().find((o) => o.kind === "Deployment") as Obj),
  );
});

test("the Helm chart renders the same RBAC and flags, and installs on the API server", async () => {
  const { stdout } = await run(
    HELM_BIN,
    ["template", "bucketops", "deploy/chart/bucketops", "-n", "flux-system", "--include-crds"],
    { cwd: repoRoot },
  );
  const rendered = parseAllDocuments(stdout)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
  const generated = installObjects() as Obj[];
  const byKind = (objs: Obj[], kind: string): Obj | undefined => objs.find((o) => o.kind === kind);
  for (const kind of ["ClusterRole", "Role"]) {
    assert.deepEqual(byKind(rendered, kind)?.rules, byKind(generated, kind)?.rules, `${kind} rules`);
  }
  const helmArgs = containerArgs(byKind(rendered, "Deployment"));
  for (const arg of containerArgs(byKind(generated, "Deployment")))
    assert.ok(helmArgs.includes(arg), `chart passes ${arg}`);
  assert.deepEqual(
    byKind(rendered, "CustomResourceDefinition"),
    byKind(generated, "CustomResourceDefinition"),
  );
  assert.deepEqual(
    rendered.map((o) => o.kind).sort(),
    generated
      .filter((o) => o.kind !== "Namespace")
      .map((o) => o.kind)
      .sort(),
  );

  const installed = await run(
    HELM_BIN,
    [
      "install",
      "bucketops",
      "deploy/chart/bucketops",
      "-n",
      "helm-test",
      "--create-namespace",
      "--kubeconfig",
      kube.kubeconfigPath,
    ],
    { cwd: repoRoot },
  );
  assert.match(installed.stdout, /STATUS: deployed/);
  assert.match(await kubectl("get", "deployment", "-n", "helm-test"), /bucketops/);
});

test("bucketops install --export is accepted by the API server (server-side dry run)", async () => {
  const exported = await runCli([
    "install",
    "--export",
    "--namespace",
    "bucketops-system",
    "--watch-label-selector",
    "sharding.fluxcd.io/key=bucketops",
  ]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stdout, /--watch-label-selector=sharding\.fluxcd\.io\/key=bucketops/);
  const file = path.join(kube.dir, "export.yaml");
  await import("node:fs/promises").then((fs) => fs.writeFile(file, exported.stdout));
  // The namespace must exist for a dry run of namespaced objects; create it for real first.
  await kubectl("create", "namespace", "bucketops-system");
  const out = await kubectl("apply", "--dry-run=server", "-f", file);
  assert.match(out, /deployment\.apps\/bucketops created \(server dry run\)/);
  const noExport = await runCli(["install"]);
  assert.equal(noExport.code, 2);
  assert.match(noExport.stderr, /pass --export/);
});

test("bucket-event hooks: the chart's hookSecrets and install --hook-secret pass the same --hook-secret flags; a malformed one is refused with exit 2", async () => {
  const refs = ["s3=flux-system/bucket-hooks", "generic=flux-system/ci-hook"];
  const { stdout } = await run(
    HELM_BIN,
    [
      "template",
      "bucketops",
      "deploy/chart/bucketops",
      "-n",
      "flux-system",
      "--set",
      `hookSecrets={${refs.join(",")}}`,
    ],
    { cwd: repoRoot },
  );
  const deployment = (text: string): Obj | undefined =>
    parseAllDocuments(text)
      .map((d) => d.toJS() as Obj)
      .find((o) => o?.kind === "Deployment");
  const fromChart = containerArgs(deployment(stdout)).filter((a) => a.startsWith("--hook-secret"));
  const exported = await runCli(["install", "--export", ...refs.flatMap((r) => ["--hook-secret", r])]);
  assert.equal(exported.code, 0, exported.stderr);
  const fromInstall = containerArgs(deployment(exported.stdout)).filter((a) => a.startsWith("--hook-secret"));
  assert.deepEqual(
    fromChart,
    refs.map((r) => `--hook-secret=${r}`),
  );
  assert.deepEqual(fromInstall, fromChart);
  const bad = await runCli(["install", "--export", "--hook-secret", "github=ns/x"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /hook kind "github" is unknown/);
});
