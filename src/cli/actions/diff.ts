// The work of `bucketops diff`, loaded only when the command runs (see commands/diff.ts for its flags).
import { diffJson } from "../../engine/time-travel.js";
import { withTargetBucket } from "../bucket-target.js";
import type { DiffFlags } from "../commands/diff.js";
import { countsLine, renderDiff } from "../diff-render.js";

/** Prints the diff of two states of <source>'s prefix. Throws CliError as withTargetBucket does. */
export async function diffAction(source: string, flags: DiffFlags): Promise<void> {
  const diff = await withTargetBucket(source, flags, (bucket, cacheDir) =>
    diffJson(bucket, cacheDir, { from: flags.from, to: flags.to, stat: flags.stat === true }),
  );
  if (flags.output === "json") process.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
  else if (flags.stat) process.stdout.write(`${countsLine(diff)}\n`);
  else process.stdout.write(renderDiff(diff, useColour()));
}

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org). */
function useColour(): boolean {
  return process.stdout.isTTY && !process.env.NO_COLOR;
}
