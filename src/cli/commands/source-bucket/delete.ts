// `bucketops delete source bucket NAME [--silent]`: delete a Bucket object (a standalone server refuses: its
// Buckets are YAML files; the message names the file).
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { CliError, ExitCode } from "../../exit-codes.js";
import { withRuntimeFlags, type RuntimeFlags } from "./runtime.js";
import { backendFor, say, sourceOf } from "./verb-support.js";

/** Registers `delete source bucket`. */
export function registerDeleteSourceBucket(program: Command): void {
  withRuntimeFlags(sourceOf(program, "delete", "delete resources").command("bucket <name>"))
    .description("delete a Bucket (asks first on a terminal; --silent: do not ask)")
    .option("-s, --silent", "delete without asking")
    .action(async (name: string, flags: RuntimeFlags & { silent?: boolean }) => {
      const backend = await backendFor(flags);
      await backend.checkDeletable(flags.namespace, name); // said before asking
      if (!flags.silent) await confirm(`Are you sure you want to delete Bucket ${flags.namespace}/${name}`);
      say(`► deleting Bucket ${name} in ${flags.namespace} namespace`);
      await backend.delete(flags.namespace, name);
      say("✔ Bucket deleted");
    });
}

async function confirm(question: string): Promise<void> {
  if (!process.stdin.isTTY)
    throw new CliError(
      `${question}? no terminal to ask on: pass --silent to delete without asking`,
      ExitCode.Usage,
    );
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question}? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("not deleted", ExitCode.Failed);
  } finally {
    rl.close();
  }
}
