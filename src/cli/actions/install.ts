// The work of `bucketops install`, loaded only when the command runs (see commands/install.ts for its flags).
import { parseHookSecret } from "../../hooks/config.js";
import { installYaml } from "../../install/manifests.js";
import type { InstallFlags } from "../commands/install.js";
import { CliError, ExitCode } from "../exit-codes.js";

/** Prints the install manifests. Throws CliError (Usage) without --export or for a bad --hook-secret. */
export function installAction(flags: InstallFlags): void {
  if (!flags.export) {
    throw new CliError(
      "pass --export to print the manifests, e.g. bucketops install --export | kubectl apply -f -",
      ExitCode.Usage,
    );
  }
  process.stdout.write(
    installYaml({
      namespace: flags.namespace,
      image: flags.image,
      watchLabelSelector: flags.watchLabelSelector,
      hookSecrets: flags.hookSecret.map(checkedHookSecret),
    }),
  );
}

/** The value as given, once it parses as the controller will parse it (so a typo fails here, not in the pod). */
function checkedHookSecret(value: string): string {
  try {
    parseHookSecret(value);
    return value;
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), ExitCode.Usage);
  }
}
