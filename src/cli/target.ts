// Resolving <source> (a URL, or a Bucket YAML file with its Secrets) to one Bucket, for the one-shot commands.
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { loadFiles } from "../standalone/config-folder.js";
import { CliError, ExitCode } from "./exit-codes.js";
import type { TargetFlags } from "./target-flags.js";

/** One Bucket of a URL or a YAML file: its reference, raw spec, the folder relative paths resolve in, its Secrets. */
export interface Target {
  ref: { namespace: string; name: string };
  spec: unknown;
  baseDir: string;
  secrets: Map<string, Readonly<Record<string, string>>>;
}

/**
 * Resolves <source> (a URL, or a Bucket YAML file with its Secrets) to one Bucket's spec. Throws CliError (Usage)
 * for an unreadable file or no / several Buckets.
 */
export async function resolveTarget(source: string, flags: TargetFlags): Promise<Target> {
  const target = await resolveSource(source, flags);
  return flags.credentialsFile === undefined ? target : withCredentialsFile(target, flags.credentialsFile);
}

async function resolveSource(source: string, flags: TargetFlags): Promise<Target> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    const spec: Record<string, unknown> = { url: source, interval: "1m" };
    if (flags.endpoint !== undefined) spec.endpoint = flags.endpoint;
    if (flags.region !== undefined) spec.region = flags.region;
    if (flags.insecure) spec.insecure = true;
    if (flags.ignore !== undefined) spec.ignore = flags.ignore;
    const name = `url-${createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 12)}`;
    return { ref: { namespace: "fetch", name }, spec, baseDir: process.cwd(), secrets: new Map() };
  }
  // loadFiles does not throw: a missing, unreadable, oversized or unparseable file comes back as a problem.
  const contents = await loadFiles([source]);
  if (contents.problems.length > 0) {
    throw new CliError(contents.problems.map((p) => `${p.file}: ${p.message}`).join("\n"), ExitCode.Usage);
  }
  const buckets = [...contents.buckets.values()].filter(
    (b) => flags.name === undefined || b.object.metadata.name === flags.name,
  );
  if (buckets.length !== 1) {
    const names = [...contents.buckets.keys()].join(", ") || "none";
    throw new CliError(
      buckets.length === 0
        ? `no Bucket${flags.name ? ` named ${flags.name}` : ""} in ${source} (found: ${names})`
        : `${source} holds several Buckets (${names}); pick one with --name`,
      ExitCode.Usage,
    );
  }
  const bucket = buckets[0];
  if (!bucket) throw new CliError(`no Bucket in ${source}`, ExitCode.Usage);
  let spec = bucket.object.spec;
  if (flags.ignore !== undefined && typeof spec === "object" && spec !== null)
    spec = { ...spec, ignore: flags.ignore };
  return { ref: bucket.object.metadata, spec, baseDir: path.dirname(bucket.file), secrets: contents.secrets };
}

/**
 * The target with its spec.secretRef set to the one Secret of `file` (a Secret YAML document, with the keys a
 * Bucket's Secret takes). Throws CliError (Usage) for an unreadable file or not exactly one Secret in it.
 */
async function withCredentialsFile(target: Target, file: string): Promise<Target> {
  const contents = await loadFiles([file]);
  if (contents.problems.length > 0) {
    throw new CliError(
      contents.problems.map((p) => `--credentials-file ${p.file}: ${p.message}`).join("\n"),
      ExitCode.Usage,
    );
  }
  const secrets = [...contents.secrets.entries()];
  const [only] = secrets;
  if (secrets.length !== 1 || !only)
    throw new CliError(
      `--credentials-file ${file}: expected one Secret document, found ${secrets.length}`,
      ExitCode.Usage,
    );
  const [key, data] = only;
  const name = key.slice(key.indexOf("/") + 1);
  const spec = typeof target.spec === "object" && target.spec !== null ? target.spec : {};
  return {
    ...target,
    spec: { ...spec, secretRef: { name } },
    secrets: new Map([...target.secrets, [`${target.ref.namespace}/${name}`, data]]),
  };
}

/** The content cache of the one-shot commands: $XDG_CACHE_HOME/bucketops, else ~/.cache/bucketops. */
export function defaultCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "bucketops");
}
