// `bucketops pin <bucket> --to <time | revision>` and `bucketops unpin <bucket>`: deploy a past state of a
// versioned prefix (spec.asOf) and return to the latest. --export prints the Bucket YAML with asOf; otherwise the
// pin is applied on a running `bucketops run` (--server, the default) or to a Bucket object in a cluster. This
// module only declares the flags; actions/pin.ts does the work and is imported when the command runs.
import type { Command } from "commander";
import { parseFormat, type OutputFormat } from "../output-format.js";
import type { BucketTargetFlags } from "../target-flags.js";
import { DEFAULT_SERVER } from "./get.js";

/** The parsed flags of `unpin` (and `pin`): where to apply. */
export interface ApplyFlags {
  server: string;
  namespace: string;
  kubeconfig?: string;
  context?: string;
  cluster?: boolean;
  cacheDir?: string;
  output: OutputFormat;
}

/** The parsed flags of `pin`. */
export interface PinFlags extends ApplyFlags, BucketTargetFlags {
  to: string;
  export?: boolean;
}

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
      const { pinAction } = await import("../actions/pin.js");
      await pinAction(bucket, flags);
    });

  withApplyFlags(
    program
      .command("unpin <bucket>")
      .description(
        "follow the latest state again: remove the pin of the Bucket named <bucket> on a running server (--server), or its spec.asOf in a cluster (--kubeconfig, --context, --cluster)",
      ),
  ).action(async (bucket: string, flags: ApplyFlags) => {
    const { unpinAction } = await import("../actions/pin.js");
    await unpinAction(bucket, flags);
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
