// `bucketops install --export`: the install manifests, for `kubectl apply -f -` or review.
import type { Command } from "commander";
import { DEFAULT_INSTALL, installYaml } from "../../install/manifests.js";
import { parseHookSecret } from "../../hooks/config.js";
import { CliError, ExitCode } from "../exit-codes.js";

interface InstallFlags {
  export?: boolean;
  namespace: string;
  image: string;
  watchLabelSelector?: string;
  hookSecret: string[];
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

/** Registers `install`. */
export function registerInstall(program: Command): void {
  program
    .command("install")
    .description(
      "print the manifests that install the bucketops controller (namespace, CRD, RBAC, Deployment, Service)",
    )
    .option("--export", "print the manifests to stdout (this version only exports; apply them with kubectl)")
    .option("-n, --namespace <ns>", "namespace to install into", DEFAULT_INSTALL.namespace)
    .option("--image <image>", "controller image", DEFAULT_INSTALL.image)
    .option("--watch-label-selector <selector>", "only reconcile Buckets with these labels (sharding)")
    .option(
      "--hook-secret <kind=namespace/name>",
      "enable the controller's POST /hooks/<kind> with this Secret (as `controller --hook-secret`); repeatable",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .action((flags: InstallFlags) => {
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
    });
}
