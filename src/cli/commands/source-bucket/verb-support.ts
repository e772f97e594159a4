// What the flux-style verbs share: finding or adding the parent commands (`get`, `reconcile`… may exist already
// for the older verbs), the runtime's backend, and progress lines on stderr.
import type { Command } from "commander";
import { openBackend, type BucketBackend } from "./backend.js";
import { chooseRuntime, type RuntimeFlags } from "./runtime.js";

/** The subcommand `name` of `parent`, added with `description` (and `aliases`) when it does not exist yet. */
export function subcommand(
  parent: Command,
  name: string,
  description: string,
  aliases: string[] = [],
): Command {
  const found = parent.commands.find((c) => c.name() === name);
  if (found) {
    for (const alias of aliases) if (!found.aliases().includes(alias)) found.alias(alias);
    return found;
  }
  const command = parent.command(name).description(description);
  for (const alias of aliases) command.alias(alias);
  return command;
}

/** `<verb> source bucket`: the `source` (alias `sources`) level under a verb. */
export function sourceOf(program: Command, verb: string, verbDescription: string): Command {
  return subcommand(subcommand(program, verb, verbDescription), "source", "Flux sources", ["sources"]);
}

/** The backend of the runtime the flags choose (see chooseRuntime). */
export function backendFor(flags: RuntimeFlags): Promise<BucketBackend> {
  return openBackend(chooseRuntime(flags));
}

/** A progress line on stderr, like flux's "► …" / "✔ …". */
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The namespace a listing asks for: undefined with -A. */
export function listNamespace(flags: RuntimeFlags): string | undefined {
  return flags.allNamespaces ? undefined : flags.namespace;
}
