// `bucketops diff <bucket.yaml | url> --from <ref> --to <ref>`: what changed between two states of a prefix.
import { InvalidArgumentError, type Command } from "commander";
import { diffJson } from "../../engine/time-travel.js";
import { withTargetBucket, withTargetFlags, type BucketTargetFlags } from "../bucket-target.js";
import { countsLine, renderDiff } from "../diff-render.js";

interface DiffFlags extends BucketTargetFlags {
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
      const diff = await withTargetBucket(source, flags, (bucket, cacheDir) =>
        diffJson(bucket, cacheDir, { from: flags.from, to: flags.to, stat: flags.stat === true }),
      );
      if (flags.output === "json") process.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
      else if (flags.stat) process.stdout.write(`${countsLine(diff)}\n`);
      else process.stdout.write(renderDiff(diff, useColour()));
    });
}

function outputFlag(value: string): "text" | "json" {
  if (value === "text" || value === "json") return value;
  throw new InvalidArgumentError("must be text or json");
}

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org). */
function useColour(): boolean {
  return process.stdout.isTTY && !process.env.NO_COLOR;
}
