// `bucketops reconcile source bucket NAME [--timeout]`: ask for a reconcile, wait for it, print the new revision.
import type { Command } from "commander";
import { CliError, ExitCode } from "../../exit-codes.js";
import { durationOption } from "../../flags.js";
import type { ReconcileOutcome } from "./backend.js";
import { withRuntimeFlags, type RuntimeFlags } from "./runtime.js";
import { backendFor, say, sourceOf } from "./verb-support.js";

/** The parsed flags of a verb that waits for a reconcile. */
export interface WaitFlags extends RuntimeFlags {
  timeout: number;
}

/** Registers `reconcile source bucket`. */
export function registerReconcileSourceBucket(program: Command): void {
  withRuntimeFlags(sourceOf(program, "reconcile", "trigger a reconcile").command("bucket <name>"))
    .description("reconcile a Bucket now, wait for it and print its revision (exit 1 if it is not Ready)")
    .addOption(durationOption("--timeout <duration>", "how long to wait", "5m"))
    .action(async (name: string, flags: WaitFlags) => {
      const backend = await backendFor(flags);
      say(`► annotating Bucket ${name} in ${flags.namespace} namespace`);
      say("◎ waiting for Bucket reconciliation");
      reportReconciled(await backend.reconcile(flags.namespace, name, flags.timeout));
    });
}

/** Prints the revision of a reconcile that ended Ready; throws CliError (exit 1) for one that did not. */
export function reportReconciled(outcome: ReconcileOutcome): void {
  const { namespace, name } = outcome.object.metadata;
  if (!outcome.ready)
    throw new CliError(`Bucket ${namespace}/${name} is not Ready: ${outcome.message}`, ExitCode.Failed);
  say("✔ Bucket reconciliation completed");
  const revision = outcome.object.status?.artifact?.revision ?? "(none)";
  process.stdout.write(`✔ fetched revision ${revision}\n`);
}
