// `bucketops controller`: the Kubernetes controller (in a cluster, or against any kubeconfig). This module only
// declares the flags; actions/controller.ts does the work and is imported when the command runs.
import { InvalidArgumentError, Option, type Command } from "commander";
import { durationOption, withReconcileFlags, type ReconcileFlags } from "../flags.js";
import { withHookFlags, type HookFlags } from "../hook-flags.js";
import type { LogFormatFlags } from "../log-format.js";

/** The parsed flags of `controller`. */
export interface ControllerFlags extends ReconcileFlags, HookFlags, LogFormatFlags {
  kubeconfig?: string;
  storagePath: string;
  storageAddr: string;
  storageAdvAddr?: string;
  watchLabelSelector?: string;
  watchNamespace?: string;
  listPageSize: number;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaderElectionLeaseDuration: number;
  leaderElectionRenewDeadline: number;
  leaderElectionRetryPeriod: number;
  logLevel: string;
  dashboardWrites: boolean;
  apiTokenFile?: string;
}

/** Registers `controller`. */
export function registerController(program: Command): void {
  withHookFlags(withReconcileFlags(program.command("controller")))
    .description("run the Kubernetes controller for source.toolkit.fluxcd.io Buckets")
    .option(
      "--kubeconfig <path>",
      "kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)",
    )
    .option("--storage-path <dir>", "storage root for artifacts and the content cache", "/data")
    .option(
      "--storage-addr <addr>",
      "listen address of the artifact server (also /metrics, /healthz, /readyz)",
      ":9090",
    )
    .option(
      "--storage-adv-addr <addr>",
      "host[:port] or URL written into artifact URLs, e.g. bucketops.flux-system.svc.cluster.local.",
    )
    .option(
      "--watch-label-selector <selector>",
      "only Buckets with these labels (sharding: sharding.fluxcd.io/key=shard1)",
    )
    .option("--watch-namespace <ns>", "only Buckets in this namespace (default: all namespaces)")
    .addOption(
      new Option("--list-page-size <n>", "Buckets per page of the initial and re-lists")
        .default(500)
        .argParser(positiveInt),
    )
    .option("--no-leader-elect", "reconcile without holding the leader Lease (a single replica only)")
    .option(
      "--leader-election-namespace <ns>",
      "namespace of the leader Lease",
      process.env.RUNTIME_NAMESPACE ?? "flux-system",
    )
    .option("--leader-election-id <name>", "name of the leader Lease", "bucketops-leader-election")
    .addOption(
      durationOption(
        "--leader-election-lease-duration <duration>",
        "how long a lease lasts without renewal",
        "15s",
      ),
    )
    .addOption(
      durationOption(
        "--leader-election-renew-deadline <duration>",
        "how long the leader retries renewing before it steps down",
        "10s",
      ),
    )
    .addOption(
      durationOption("--leader-election-retry-period <duration>", "pause between lease attempts", "2s"),
    )
    .option("--log-level <level>", "debug, info, warn or error", "info")
    .option("--dashboard-writes", "allow the dashboard API's reconcile, suspend and resume (off: 403)", false)
    .option(
      "--api-token-file <file>",
      "bearer token file the dashboard's writes require (needed with --dashboard-writes beyond loopback)",
    )
    .action(async (_flags: ControllerFlags, command: Command) => {
      const { controllerAction } = await import("../actions/controller.js");
      await controllerAction(command.optsWithGlobals<ControllerFlags>());
    });
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer");
  return n;
}
