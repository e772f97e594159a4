// The flux-style verbs on Buckets, on both runtimes (see runtime.ts for which one a command talks to).
import type { Command } from "commander";
import { registerCreateSourceBucket } from "./create.js";
import { registerDeleteSourceBucket } from "./delete.js";
import { registerEvents } from "./events.js";
import { registerExportSourceBucket } from "./export.js";
import { registerGetSourceBucket } from "./get.js";
import { registerReconcileSourceBucket } from "./reconcile.js";
import { registerSuspendSourceBucket } from "./suspend.js";

/**
 * Registers create/get/reconcile/suspend/resume/delete/export `source bucket` and `events`; `get` and `reconcile`
 * keep their older subcommands (`get buckets`, `reconcile bucket`) when registered before.
 */
export function registerSourceBucketVerbs(program: Command): void {
  registerCreateSourceBucket(program);
  registerGetSourceBucket(program);
  registerReconcileSourceBucket(program);
  registerSuspendSourceBucket(program);
  registerDeleteSourceBucket(program);
  registerExportSourceBucket(program);
  registerEvents(program);
}
