// Which runtime a flux-style verb talks to, and the flags naming it. Kept free of heavy imports: the backends load
// only once a verb runs.
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";

/** Flux's default namespace for sources. */
export const DEFAULT_NAMESPACE = "flux-system";
/** Where `bucketops run` listens by default. */
export const DEFAULT_SERVER_URL = "http://127.0.0.1:9090";

/** The parsed flags of withRuntimeFlags. */
export interface RuntimeFlags {
  server?: string;
  token?: string;
  kubeconfig?: string;
  context?: string;
  namespace: string;
  allNamespaces?: boolean;
}

/** The runtime chosen: a standalone server (its URL and API token) or a cluster (kubeconfig and context). */
export type Runtime =
  | { kind: "server"; url: string; token?: string }
  | { kind: "cluster"; kubeconfig?: string; context?: string };

/**
 * Adds --server, --token, --kubeconfig, --context, -n/--namespace (default flux-system) and, when `allNamespaces`,
 * -A/--all-namespaces.
 */
export function withRuntimeFlags(command: Command, options: { allNamespaces?: boolean } = {}): Command {
  command
    .option("--server <url>", "a standalone bucketops server (bucketops run); default: see README, CLI")
    .option("--token <token>", "API token for a server's write routes (default: $BUCKETOPS_TOKEN)")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    .option("--context <name>", "kubeconfig context (default: its current context)")
    .option("-n, --namespace <ns>", "the namespace", DEFAULT_NAMESPACE);
  if (options.allNamespaces) command.option("-A, --all-namespaces", "every namespace");
  return command;
}

/**
 * The runtime: a server when --server (or $BUCKETOPS_SERVER) is given; else a cluster when --kubeconfig or
 * --context is given, $KUBECONFIG is set or ~/.kube/config exists; else the local server at DEFAULT_SERVER_URL.
 */
export function chooseRuntime(
  flags: Pick<RuntimeFlags, "server" | "token" | "kubeconfig" | "context">,
  env: NodeJS.ProcessEnv = process.env,
  home: string = os.homedir(),
): Runtime {
  const token = flags.token ?? (env.BUCKETOPS_TOKEN || undefined);
  const server = flags.server ?? (env.BUCKETOPS_SERVER || undefined);
  if (server !== undefined) return { kind: "server", url: server, ...(token ? { token } : {}) };
  const hasKubeconfig =
    flags.kubeconfig !== undefined ||
    flags.context !== undefined ||
    (env.KUBECONFIG ?? "") !== "" ||
    existsSync(path.join(home, ".kube", "config"));
  if (hasKubeconfig) return { kind: "cluster", kubeconfig: flags.kubeconfig, context: flags.context };
  return { kind: "server", url: DEFAULT_SERVER_URL, ...(token ? { token } : {}) };
}
