// --hook-secret, shared by `run` and `controller`: which bucket-event hooks are enabled and their Secrets.
import { InvalidArgumentError, Option, type Command } from "commander";
import { parseHookSecret, type HookSecretRef } from "../hooks/config.js";

export interface HookFlags {
  hookSecret: HookSecretRef[];
}

/** Adds the repeatable `--hook-secret <kind>=<namespace>/<secretName>` (kinds: s3, gcs, azure, generic). */
export function withHookFlags(command: Command): Command {
  return command.addOption(
    new Option(
      "--hook-secret <kind=namespace/name>",
      "enable POST /hooks/<kind> (s3, gcs, azure, generic), authenticated by this Secret's token or hmacKey; repeatable",
    )
      .argParser(collectHookSecret)
      .default([], "none"),
  );
}

function collectHookSecret(value: string, previous: HookSecretRef[]): HookSecretRef[] {
  try {
    const ref = parseHookSecret(value);
    if (previous.some((p) => p.kind === ref.kind))
      throw new Error(`the ${ref.kind} hook is given twice; give each kind one Secret`);
    return [...previous, ref];
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}
