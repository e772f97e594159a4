// `bucketops export source bucket [NAME | --all]`: Bucket YAML without status or server-set fields, as
// `flux export` prints it (each document after a "---" line).
import type { Command } from "commander";
import { nameOrAll } from "./get.js";
import { withRuntimeFlags, type RuntimeFlags } from "./runtime.js";
import { backendFor, listNamespace, sourceOf } from "./verb-support.js";

/** Registers `export source bucket`. */
export function registerExportSourceBucket(program: Command): void {
  withRuntimeFlags(sourceOf(program, "export", "print resources as clean YAML").command("bucket [name]"), {
    allNamespaces: true,
  })
    .description("print a Bucket (or --all of a namespace) as YAML to apply elsewhere")
    .option("--all", "every Bucket of the namespace (-A: of every namespace)")
    .action(async (name: string | undefined, flags: RuntimeFlags & { all?: boolean }) => {
      const wrong = nameOrAll(name, flags.all);
      if (wrong) throw wrong;
      const backend = await backendFor(flags);
      const items =
        name !== undefined
          ? [await backend.get(flags.namespace, name)]
          : await backend.list(listNamespace(flags));
      const [{ stringify }, { exportObject }] = await Promise.all([import("yaml"), import("./objects.js")]);
      process.stdout.write(items.map((o) => `---\n${stringify(exportObject(o))}`).join(""));
    });
}
