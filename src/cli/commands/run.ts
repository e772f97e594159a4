// `bucketops run`: the standalone runtime. This module only declares the flags; actions/run.ts does the work.
import type { Command } from "commander";
import { withReconcileFlags, type ReconcileFlags } from "../flags.js";
import { withHookFlags, type HookFlags } from "../hook-flags.js";
import type { LogFormatFlags } from "../log-format.js";

/** The parsed flags of `run`. */
export interface RunFlags extends ReconcileFlags, HookFlags, LogFormatFlags {
  config: string;
  storage: string;
  listen: string;
  storageAdvAddr?: string;
  logLevel: string;
  watch: boolean;
  apiToken?: string;
  apiTokenFile?: string;
}

/** Registers `run`. */
export function registerRun(program: Command): void {
  withHookFlags(withReconcileFlags(program.command("run")))
    .description(
      "reconcile every Bucket in a folder of YAML and serve their artifacts, an API and a dashboard",
    )
    .option("-c, --config <dir>", "folder of Bucket (and Secret) YAML documents", "buckets")
    .option("-s, --storage <dir>", "storage root for artifacts, content cache and state", ".bucketops")
    .option("-l, --listen <addr>", "HTTP listen address for artifacts, API and dashboard", ":9090")
    .option(
      "--storage-adv-addr <addr>",
      "host[:port] or URL written into artifact URLs (default: the listen address)",
    )
    .option("--log-level <level>", "debug, info, warn or error", "info")
    .option("--no-watch", "do not watch the folder for edits")
    .option(
      "--api-token <token>",
      "bearer token the API's write routes (reconcile, suspend, pin…) require; without one they are open on a loopback listen address and refused on any other",
    )
    .option("--api-token-file <file>", "read --api-token from a file (keeps it out of the process list)")
    .action(async (_flags: RunFlags, command: Command) => {
      const { runAction } = await import("../actions/run.js");
      await runAction(command.optsWithGlobals<RunFlags>());
    });
}
