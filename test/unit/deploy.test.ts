import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { generatedDeployFiles } from "../../src/install/deploy-files.js";
import { clusterRole, installYaml } from "../../src/install/manifests.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

test("deploy/ holds what src/install generates (run `npm run gen:deploy` if this fails)", async () => {
  for (const [file, content] of Object.entries(generatedDeployFiles())) {
    assert.equal(await readFile(path.join(root, file), "utf8"), content, `${file} is stale`);
  }
});

test("install --export output is valid multi-document YAML with every kind in apply order", () => {
  const kinds = parseAllDocuments(installYaml()).map((d) => (d.toJS() as { kind: string }).kind);
  assert.deepEqual(kinds, [
    "Namespace",
    "CustomResourceDefinition",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Deployment",
    "Service",
  ]);
});

test("RBAC is least privilege: Secrets get-only, no wildcards", () => {
  const rules = (clusterRole() as { rules: { resources: string[]; verbs: string[] }[] }).rules;
  const secrets = rules.find((r) => r.resources.includes("secrets"));
  assert.deepEqual(secrets?.verbs, ["get"]);
  for (const rule of rules) {
    assert.ok(!rule.verbs.includes("*") && !rule.resources.includes("*"), JSON.stringify(rule));
  }
});
