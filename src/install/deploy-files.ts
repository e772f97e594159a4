// The generated files under deploy/, by path: kustomize bases and the Helm chart's CRD.
import { stringify } from "yaml";
import { bucketCrdYaml } from "../api/crd.js";
import { installObjects } from "./manifests.js";

const HEADER = "# Generated from src/install by `npm run gen:deploy`; do not edit.\n";
export const CRD_FILE = "deploy/crds/source.toolkit.fluxcd.io_buckets.yaml";

/** Path (relative to the repository) → content of every generated deploy file. */
export function generatedDeployFiles(): Record<string, string> {
  const objects = installObjects();
  const ofKind = (...kinds: string[]): string =>
    HEADER +
    objects
      .filter((o) => kinds.includes(String(o.kind)))
      .map((o) => stringify(o, { aliasDuplicateObjects: false, lineWidth: 0 }))
      .join("---\n");
  const crd = bucketCrdYaml();
  return {
    [CRD_FILE]: crd,
    "deploy/chart/bucketops/crds/source.toolkit.fluxcd.io_buckets.yaml": crd,
    "deploy/namespace.yaml": ofKind("Namespace"),
    "deploy/rbac.yaml": ofKind("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
    "deploy/deployment.yaml": ofKind("Deployment"),
    "deploy/service.yaml": ofKind("Service"),
  };
}
