// `bucketops reconcile bucket <name>`: reconcile now on a running server and report the result. This module only
// declares the flags; actions/reconcile.ts does the work and is imported when the command runs.
import type { Command } from "commander";
import { parseFormat, type OutputFormat } from "../output-format.js";
import { DEFAULT_SERVER } from "./get.js";

/** The parsed flags of `reconcile bucket`. */
export interface ReconcileBucketFlags {
  server: string;
  namespace: string;
  output: OutputFormat;
}

/** Registers `reconcile` and `reconcile bucket`. */
export function registerReconcile(program: Command): void {
  const cmd = program.command("reconcile").description("trigger a reconcile on a running bucketops server");
  cmd
    .command("bucket <name>")
    .description("reconcile one Bucket now and wait for the result (exit 1 if it is not Ready)")
    .option("--server <url>", "bucketops server", DEFAULT_SERVER)
    .option("-n, --namespace <ns>", "the Bucket's namespace", "default")
    .option("-o, --output <format>", "table (text), json or yaml", parseFormat, "table" as OutputFormat)
    .action(async (name: string, flags: ReconcileBucketFlags) => {
      const { reconcileBucketAction } = await import("../actions/reconcile.js");
      await reconcileBucketAction(name, flags);
    });
}
