// `bucketops install --export`: the install manifests, for `kubectl apply -f -` or review. This module only declares
// the flags; actions/install.ts renders the manifests and is imported when the command runs.
import type { Command } from "commander";
import { DEFAULT_INSTALL } from "../../install/defaults.js";

/** The parsed flags of `install`. */
export interface InstallFlags {
  export?: boolean;
  namespace: string;
  image: string;
  watchLabelSelector?: string;
  hookSecret: string[];
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
    .action(async (flags: InstallFlags) => {
      const { installAction } = await import("../actions/install.js");
      installAction(flags);
    });
}
