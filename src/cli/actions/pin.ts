// The work of `bucketops pin` and `unpin`, loaded only when the command runs (see commands/pin.ts for the flags).
import path from "node:path";
import { stringify } from "yaml";
import { withBucket } from "../../engine/open-bucket.js";
import type { ReconcileResult } from "../../engine/reconcile.js";
import { bucketCacheDir, loadHistory, resolvePin } from "../../engine/time-travel.js";
import {
  loadCluster,
  patchAsOf,
  readClusterBucket,
  ClusterBucketError,
  type ClusterTarget,
} from "../../kube/pin.js";
import type { BucketPin } from "../../standalone/state-store.js";
import { loadFiles } from "../../standalone/config-folder.js";
import { cliError, withTargetBucket } from "../bucket-target.js";
import type { ApplyFlags, PinFlags } from "../commands/pin.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { serialize, type OutputFormat } from "../output.js";
import { callServer } from "../server-client.js";
import { defaultCacheDir } from "../target.js";

/** What the server answers a pin or unpin: the pin now in force and the reconcile that followed. */
export type PinAnswer = Pick<ReconcileResult, "outcome" | "stats" | "status"> & {
  pin?: BucketPin;
  error?: { reason: string; message: string };
};

/** Pins <bucket>: prints the pinned YAML (--export), patches the cluster's Bucket or asks the server. */
export async function pinAction(bucket: string, flags: PinFlags): Promise<void> {
  if (flags.export) {
    process.stdout.write(await exportPinned(bucket, flags));
    return;
  }
  if (isCluster(flags)) {
    const target = clusterTarget(bucket, flags);
    const kc = await cluster(() => loadCluster(target));
    const asOf = await cluster(() => resolveClusterPin(kc, target, flags));
    await cluster(() => patchAsOf(kc, target, asOf));
    process.stdout.write(`Bucket ${target.namespace}/${target.name}: spec.asOf set to ${asOf}\n`);
    return;
  }
  const answer = await callServer<PinAnswer>(flags.server, "POST", pinPath(flags.namespace, bucket), {
    to: flags.to,
  });
  report(answer, `${flags.namespace}/${bucket}`, flags.output);
}

/** Unpins <bucket> in the cluster or on the server. */
export async function unpinAction(bucket: string, flags: ApplyFlags): Promise<void> {
  if (isCluster(flags)) {
    const target = clusterTarget(bucket, flags);
    const kc = await cluster(() => loadCluster(target));
    await cluster(() => patchAsOf(kc, target, undefined));
    process.stdout.write(`Bucket ${target.namespace}/${target.name}: spec.asOf removed\n`);
    return;
  }
  const answer = await callServer<PinAnswer>(flags.server, "DELETE", pinPath(flags.namespace, bucket));
  report(answer, `${flags.namespace}/${bucket}`, flags.output);
}

function isCluster(flags: ApplyFlags): boolean {
  return flags.cluster === true || flags.kubeconfig !== undefined || flags.context !== undefined;
}

function pinPath(namespace: string, name: string): string {
  return `/api/buckets/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/pin`;
}

function clusterTarget(name: string, flags: ApplyFlags): ClusterTarget {
  return {
    namespace: flags.namespace,
    name,
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
  };
}

/** A time as given; a revision looked up in the history of the cluster's Bucket (its spec and Secrets). */
async function resolveClusterPin(
  kc: ReturnType<typeof loadCluster>,
  target: ClusterTarget,
  flags: PinFlags,
): Promise<string> {
  return resolvePin(flags.to, async (ref) => {
    const { bucket, readSecret } = await readClusterBucket(kc, target);
    const cacheDir = bucketCacheDir(
      path.join(path.resolve(flags.cacheDir ?? defaultCacheDir()), "cache"),
      target,
    );
    const source = { spec: bucket.spec, baseDir: process.cwd(), namespace: target.namespace, readSecret };
    return withBucket(source, async (open) => (await loadHistory(open, cacheDir)).resolve(ref));
  });
}

/** The Bucket document of the YAML file with spec.asOf set, as YAML (its Secrets are not printed). */
async function exportPinned(file: string, flags: PinFlags): Promise<string> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file))
    throw new CliError(`pin --export takes a Bucket YAML file, not a URL (${file})`, ExitCode.Usage);
  const asOf = await withTargetBucket(file, flags, (bucket, cacheDir) =>
    resolvePin(flags.to, async (ref) => (await loadHistory(bucket, cacheDir)).resolve(ref)),
  );
  const contents = await loadFiles([file]);
  const found = [...contents.buckets.values()].find(
    (b) => flags.name === undefined || b.object.metadata.name === flags.name,
  );
  if (!found) throw new CliError(`no Bucket in ${file}`, ExitCode.Usage);
  const { apiVersion, metadata, spec } = found.object;
  return stringify({ apiVersion, kind: "Bucket", metadata, spec: { ...(spec as object), asOf } });
}

function report(answer: PinAnswer, bucket: string, output: OutputFormat): void {
  if (output !== "table") process.stdout.write(serialize(answer, output));
  else {
    const a = answer.status.artifact;
    process.stdout.write(
      `${bucket}: ${answer.pin ? `pinned to ${answer.pin.asOf}` : "following the latest"} (${answer.outcome})` +
        (a ? `\n  revision: ${a.revision}\n  digest:   ${a.digest}` : "") +
        "\n",
    );
  }
  if (answer.error) throw new CliError(`${answer.error.reason}: ${answer.error.message}`, ExitCode.Failed);
}

/** Runs a cluster step; its errors become CliErrors (a missing Bucket or context is a usage error). */
async function cluster<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ClusterBucketError) throw new CliError(error.message, ExitCode.Failed);
    throw cliError(error);
  }
}
