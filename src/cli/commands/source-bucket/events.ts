// `bucketops events [--for Bucket/NAME] [-A]`: a Bucket's events, as `flux events` shows them: core/v1 Events
// in a cluster, the recent events a standalone server keeps in memory.
import type { Command } from "commander";
import { CliError, ExitCode } from "../../exit-codes.js";
import { withRuntimeFlags, type RuntimeFlags } from "./runtime.js";
import { backendFor, listNamespace, say, subcommand } from "./verb-support.js";

interface EventsFlags extends RuntimeFlags {
  for?: string;
  output: string;
}

/** Registers `events`. */
export function registerEvents(program: Command): void {
  withRuntimeFlags(subcommand(program, "events", "show the events of Buckets"), { allNamespaces: true })
    .option("--for <Bucket/name>", "only the events of this Bucket")
    .option("-o, --output <format>", "table, json or yaml", "table")
    .action(async (flags: EventsFlags) => {
      const name = flags.for === undefined ? undefined : bucketName(flags.for);
      if (!["table", "json", "yaml"].includes(flags.output))
        throw new CliError(`-o ${flags.output}: use table, json or yaml`, ExitCode.Usage);
      const backend = await backendFor(flags);
      const namespace = name === undefined ? listNamespace(flags) : flags.namespace;
      const events = await backend.events(namespace, name);
      const [{ serialize }, { eventTable }] = await Promise.all([
        import("../../output.js"),
        import("./render.js"),
      ]);
      if (flags.output === "json" || flags.output === "yaml") {
        process.stdout.write(serialize({ items: events }, flags.output));
        return;
      }
      if (events.length === 0) {
        say("no events found");
        return;
      }
      process.stdout.write(eventTable(events, { allNamespaces: namespace === undefined }));
    });
}

function bucketName(ref: string): string {
  const match = /^(?:bucket\/)?([^/]+)$/i.exec(ref);
  if (!match?.[1]) throw new CliError(`--for ${ref}: must be Bucket/<name>`, ExitCode.Usage);
  return match[1];
}
