// Installs deploy/'s Bucket CRD on a test API server as users do (kubectl apply: client-node's typed models would
// drop the x-kubernetes-* keys) and waits until it serves Buckets.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CRD_FILE } from "../../src/install/deploy-files.js";
import { KUBECTL_BIN, type KubeServer } from "./kube.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Applies the Bucket CRD (and `extraFiles`, e.g. Flux's ExternalArtifact CRD) and waits for Established. */
export async function installBucketCrd(kube: KubeServer, ...extraFiles: string[]): Promise<void> {
  const kubectl = (...args: string[]): Promise<unknown> =>
    promisify(execFile)(KUBECTL_BIN, ["--kubeconfig", kube.kubeconfigPath, ...args]);
  await kubectl("apply", "-f", path.join(repoRoot, CRD_FILE), ...extraFiles.flatMap((f) => ["-f", f]));
  await kubectl("wait", "--for=condition=Established", "crd/buckets.source.toolkit.fluxcd.io");
}
