// `bucketops pin <bucket> --to <time | revision>` and `bucketops unpin <bucket>`: deploy a past state of a
// versioned prefix (spec.asOf) and return to the latest. --export prints the Bucket YAML with asOf; otherwise the
// pin is applied on a running `bucketops run` (--server, the default) or to a Bucket object in a cluster.
import path from "node:path";
import type { Command } from "commander";
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
import { cliError, withTargetBucket, type BucketTargetFlags } from "../bucket-target.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { parseFormat, serialize, type OutputFormat } from "../output.js";
import { callServer } from "../server-client.js";
import { defaultCacheDir } from "./fetch.js";
import { DEFAULT_SERVER } from "./get.js";

interface ApplyFlags {
  server: string;
  namespace: string;
  kubeconfig?: string;
  context?: string;
  cluster?: boolean;
  cacheDir?: string;
  output: OutputFormat;
}

interface PinFlags extends ApplyFlags, BucketTargetFlags {
  to: string;
  export?: boolean;
}

/** What the server answers a pin or unpin: the pin now in force and the reconcile that followed. */
export type PinAnswer = Pick<ReconcileResult, "outcome" | "stats" | "status"> & {
  pin?: BucketPin;
  error?: { reason: string; message: string };
};

/** Registers `pin` and `unpin`. */
export function registerPin(program: Command): void {
  withApplyFlags(
    program
      .command("pin <bucket>")
      .description(
        "deploy a past state of a versioned Bucket (spec.asOf): with --export print the Bucket YAML file <bucket> with asOf set; else pin the Bucket named <bucket> on a running server (--server) or in a cluster (--kubeconfig, --context, --cluster)",
      )
      .option("--name <name>", "with --export: which Bucket of the YAML file, when it holds several")
      .option(
        "--cache-dir <dir>",
        "content cache for resolving a revision (default: ~/.cache/bucketops, shared with fetch)",
      ),
  )
    .requiredOption(
      "--to <ref>",
      "an RFC 3339 time, or a revision (or a unique prefix of one) of the history",
    )
    .option("--export", "print the Bucket with spec.asOf set (<bucket> is a YAML file); change nothing")
    .action(async (bucket: string, flags: PinFlags) => {
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
    });

  withApplyFlags(
    program
      .command("unpin <bucket>")
      .description(
        "follow the latest state again: remove the pin of the Bucket named <bucket> on a running server (--server), or its spec.asOf in a cluster (--kubeconfig, --context, --cluster)",
      ),
  ).action(async (bucket: string, flags: ApplyFlags) => {
    if (isCluster(flags)) {
      const target = clusterTarget(bucket, flags);
      const kc = await cluster(() => loadCluster(target));
      await cluster(() => patchAsOf(kc, target, undefined));
      process.stdout.write(`Bucket ${target.namespace}/${target.name}: spec.asOf removed\n`);
      return;
    }
    const answer = await callServer<PinAnswer>(flags.server, "DELETE", pinPath(flags.namespace, bucket));
    report(answer, `${flags.namespace}/${bucket}`, flags.output);
  });
}

function withApplyFlags(command: Command): Command {
  return command
    .option("--server <url>", "bucketops server (standalone)", DEFAULT_SERVER)
    .option("-n, --namespace <ns>", "the Bucket's namespace", "default")
    .option("--kubeconfig <path>", "apply in this cluster (a kubeconfig file)")
    .option("--context <name>", "apply in the cluster of this kubeconfig context")
    .option(
      "--cluster",
      "apply in the cluster of the current kubeconfig context ($KUBECONFIG, ~/.kube/config)",
    )
    .option(
      "-o, --output <format>",
      "table (text), json or yaml: the server's answer",
      parseFormat,
      "table" as OutputFormat,
    );
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
