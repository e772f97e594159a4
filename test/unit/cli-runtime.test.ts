// Which runtime a flux-style verb talks to: --server, then a kubeconfig (flags, $KUBECONFIG, ~/.kube/config), then
// the local server; and the token from --token or $BUCKETOPS_TOKEN.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { chooseRuntime, DEFAULT_SERVER_URL } from "../../src/cli/commands/source-bucket/runtime.js";
import { makeTempDir, removeDir } from "../support/temp.js";

test("chooseRuntime: --server or $BUCKETOPS_SERVER wins; then --kubeconfig/--context, $KUBECONFIG or ~/.kube/config pick the cluster; else the local server", async (t) => {
  const home = await makeTempDir("runtime-home");
  t.after(() => removeDir(home));
  assert.deepEqual(chooseRuntime({}, {}, home), { kind: "server", url: DEFAULT_SERVER_URL });
  assert.deepEqual(chooseRuntime({}, { BUCKETOPS_TOKEN: "t" }, home), {
    kind: "server",
    url: DEFAULT_SERVER_URL,
    token: "t",
  });
  assert.deepEqual(chooseRuntime({}, { KUBECONFIG: "/k" }, home), {
    kind: "cluster",
    kubeconfig: undefined,
    context: undefined,
  });
  assert.deepEqual(chooseRuntime({ context: "prod" }, {}, home), {
    kind: "cluster",
    kubeconfig: undefined,
    context: "prod",
  });
  assert.deepEqual(chooseRuntime({ server: "http://s:1", token: "x" }, { KUBECONFIG: "/k" }, home), {
    kind: "server",
    url: "http://s:1",
    token: "x",
  });
  assert.deepEqual(chooseRuntime({}, { BUCKETOPS_SERVER: "http://e:2", KUBECONFIG: "/k" }, home), {
    kind: "server",
    url: "http://e:2",
  });
  await mkdir(path.join(home, ".kube"));
  await writeFile(path.join(home, ".kube", "config"), "apiVersion: v1\n");
  assert.equal(chooseRuntime({}, {}, home).kind, "cluster", "~/.kube/config exists");
});
