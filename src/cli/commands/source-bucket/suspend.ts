// `bucketops suspend source bucket NAME` and `resume source bucket NAME`: spec.suspend, like flux; resume then
// waits for the reconcile it asks for.
import type { Command } from "commander";
import { durationOption } from "../../flags.js";
import { reportReconciled, type WaitFlags } from "./reconcile.js";
import { withRuntimeFlags, type RuntimeFlags } from "./runtime.js";
import { backendFor, say, sourceOf } from "./verb-support.js";

/** Registers `suspend source bucket` and `resume source bucket`. */
export function registerSuspendSourceBucket(program: Command): void {
  withRuntimeFlags(sourceOf(program, "suspend", "suspend reconciling resources").command("bucket <name>"))
    .description("stop reconciling a Bucket (its last artifact stays served)")
    .action(async (name: string, flags: RuntimeFlags) => {
      const backend = await backendFor(flags);
      say(`► suspending Bucket ${name} in ${flags.namespace} namespace`);
      await backend.suspend(flags.namespace, name);
      say("✔ Bucket suspended");
    });

  withRuntimeFlags(sourceOf(program, "resume", "resume suspended resources").command("bucket <name>"))
    .description("resume a suspended Bucket, reconcile it and wait (exit 1 if it is not Ready)")
    .addOption(durationOption("--timeout <duration>", "how long to wait", "5m"))
    .action(async (name: string, flags: WaitFlags) => {
      const backend = await backendFor(flags);
      say(`► resuming Bucket ${name} in ${flags.namespace} namespace`);
      say("◎ waiting for Bucket reconciliation");
      reportReconciled(await backend.resume(flags.namespace, name, flags.timeout));
    });
}
