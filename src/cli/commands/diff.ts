// `bucketops diff <bucket.yaml | url> --from <ref> --to <ref>`: what changed between two states of a prefix. This
// module only declares the flags; actions/diff.ts does the work and is imported when the command runs.
import { InvalidArgumentError, type Command } from "commander";
import { withTargetFlags, type BucketTargetFlags } from "../target-flags.js";

/** The parsed flags of `diff`. */
export interface DiffFlags extends BucketTargetFlags {
  from: string;
  to: string;
  stat?: boolean;
  output: "text" | "json";
}

/** Registers `diff`. */
export function registerDiff(program: Command): void {
  withTargetFlags(
    program
      .command("diff <source>")
      .description(
        "show what changed between two states of a versioned bucket's prefix: files added, removed and changed, with unified diffs of text files; <source> is a Bucket YAML file or a URL",
      ),
  )
    .requiredOption(
      "--from <ref>",
      'the older state: an RFC 3339 time, a revision (or a prefix of one) or "latest"',
    )
    .option("--to <ref>", "the newer state, as --from", "latest")
    .option("--stat", "counts only (no file contents are read)")
    .option("-o, --output <format>", "text or json", outputFlag, "text" as const)
    .action(async (source: string, flags: DiffFlags) => {
      const { diffAction } = await import("../actions/diff.js");
      await diffAction(source, flags);
    });
}

function outputFlag(value: string): "text" | "json" {
  if (value === "text" || value === "json") return value;
  throw new InvalidArgumentError("must be text or json");
}
