// Smoke test of the real Kubernetes test servers (etcd + kube-apiserver on 127.0.0.1): the client and kubectl work.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { ApiException, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { KUBECTL_BIN, startKube, type KubeServer } from "../support/kube.js";

let kube: KubeServer;

before(async () => {
  const started = Date.now();
  kube = await startKube();
  console.log(`kube-apiserver ready at ${kube.server} in ${Date.now() - started} ms`);
});

after(async () => {
  await kube?.stop();
});

function client(kubeconfigPath: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc.makeApiClient(CoreV1Api);
}

test("only loopback: the kubeconfig points at 127.0.0.1", () => {
  assert.match(kube.server, /^https:\/\/127\.0\.0\.1:\d+$/);
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfigPath);
  assert.equal(kc.getCurrentCluster()?.server, kube.server);
});

test("client-node creates and reads back a Namespace and a ConfigMap", async () => {
  const core = client(kube.kubeconfigPath);
  await core.createNamespace({
    body: { metadata: { name: "smoke", labels: { "bucketops.test/smoke": "yes" } } },
  });
  const ns = await core.readNamespace({ name: "smoke" });
  assert.equal(ns.metadata?.labels?.["bucketops.test/smoke"], "yes");

  await core.createNamespacedConfigMap({
    namespace: "smoke",
    body: { metadata: { name: "settings" }, data: { greeting: "hello" } },
  });
  const cm = await core.readNamespacedConfigMap({ namespace: "smoke", name: "settings" });
  assert.equal(cm.data?.greeting, "hello");
  assert.ok(cm.metadata?.uid, "the server assigned a uid");
});

test("kubectl lists the namespaces", async () => {
  // Its own namespace: the test does not rely on what an earlier test created.
  await client(kube.kubeconfigPath).createNamespace({ body: { metadata: { name: "listed-by-kubectl" } } });
  const { stdout } = await promisify(execFile)(
    KUBECTL_BIN,
    ["--kubeconfig", kube.kubeconfigPath, "get", "ns"],
    {
      env: { PATH: process.env.PATH ?? "", HOME: kube.dir, NO_PROXY: "*" },
    },
  );
  const lines = stdout.trim().split("\n");
  assert.match(lines[0] ?? "", /^NAME\s+STATUS\s+AGE$/);
  const names = lines.slice(1).map((line) => line.split(/\s+/)[0]);
  for (const name of ["default", "kube-system", "listed-by-kubectl"])
    assert.ok(names.includes(name), `${name} in ${stdout}`);
});

test("the second identity authenticates but has no permissions until bound", async () => {
  const core = client(kube.controller.kubeconfigPath);
  await assert.rejects(core.listNamespace(), (error: unknown) => {
    assert.ok(error instanceof ApiException, String(error));
    assert.equal(error.code, 403);
    const status = JSON.parse(String(error.body)) as { reason?: string; message?: string };
    assert.equal(status.reason, "Forbidden");
    assert.match(status.message ?? "", /User "bucketops-controller" cannot list resource "namespaces"/);
    return true;
  });
});
