// `bucketops get sources bucket [NAME] [-A] [-o table|wide|json|yaml]`: Buckets as flux lists them, or as
// Kubernetes objects (a List for several) that `kubectl apply -f` takes.
import type { Command } from "commander";
import { CliError, ExitCode } from "../../exit-codes.js";
import { parseGetFormat, type GetFormat } from "./get-format.js";
import { withRuntimeFlags, type RuntimeFlags } from "./runtime.js";
import { backendFor, listNamespace, say, sourceOf } from "./verb-support.js";

interface GetFlags extends RuntimeFlags {
  output: GetFormat;
}

/** Registers `get sources bucket`. */
export function registerGetSourceBucket(program: Command): void {
  withRuntimeFlags(sourceOf(program, "get", "show resources").command("bucket [name]").alias("buckets"), {
    allNamespaces: true,
  })
    .description("list Buckets (or one) with their revision, suspension and readiness")
    .option("-o, --output <format>", "table, wide, json or yaml", parseGetFormat, "table" as GetFormat)
    .action(async (name: string | undefined, flags: GetFlags) => {
      const backend = await backendFor(flags);
      const items =
        name !== undefined
          ? [await backend.get(flags.namespace, name)]
          : await backend.list(listNamespace(flags));
      const [{ serialize }, { objectOrList }, { bucketTable }] = await Promise.all([
        import("../../output.js"),
        import("./objects.js"),
        import("./render.js"),
      ]);
      if (flags.output === "json" || flags.output === "yaml") {
        process.stdout.write(serialize(objectOrList(items, name !== undefined), flags.output));
        return;
      }
      if (items.length === 0) {
        say(
          flags.allNamespaces
            ? "✗ no Bucket objects found"
            : `✗ no Bucket objects found in the ${flags.namespace} namespace (every namespace: -A)`,
        );
        return;
      }
      process.stdout.write(
        bucketTable(items, { allNamespaces: flags.allNamespaces === true, wide: flags.output === "wide" }),
      );
    });
}

/** A CliError for a verb given both a name and --all, or neither. */
export function nameOrAll(name: string | undefined, all: boolean | undefined): CliError | undefined {
  if (name !== undefined && all) return new CliError("give a Bucket name or --all, not both", ExitCode.Usage);
  if (name === undefined && !all) return new CliError("give a Bucket name or --all", ExitCode.Usage);
  return undefined;
}
