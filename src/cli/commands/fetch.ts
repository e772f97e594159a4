// `bucketops fetch`: one-shot fetch of a Bucket (YAML file or URL) into a directory or a tar.gz.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { initialStatus } from "../../api/status.js";
import { extractTarGz } from "../../artifact/extract.js";
import { reconcile } from "../../engine/reconcile.js";
import { loadFiles } from "../../standalone/config-folder.js";
import { StateStore } from "../../standalone/state-store.js";
import { ArtifactStore } from "../../storage/artifact-store.js";
import { CliError, ExitCode } from "../exit-codes.js";
import {
  limitsFromFlags,
  positiveDurationFlag,
  positiveInt,
  withLimitFlags,
  type LimitFlags,
} from "../flags.js";
import { createLogger } from "../logger.js";
import { createProgress } from "../progress.js";

interface FetchFlags extends LimitFlags {
  output: string;
  name?: string;
  endpoint?: string;
  region?: string;
  insecure?: boolean;
  ignore?: string;
  cacheDir?: string;
  concurrency: number;
  /** Milliseconds; replaces the Bucket's spec.timeout. */
  timeout?: number;
  force?: boolean;
  json?: boolean;
  logLevel: string;
}

export interface Target {
  ref: { namespace: string; name: string };
  spec: unknown;
  baseDir: string;
  secrets: Map<string, Readonly<Record<string, string>>>;
}

export function registerFetch(program: Command): void {
  withLimitFlags(program.command("fetch <source>"))
    .description(
      "fetch a Bucket once: <source> is a Bucket YAML file (Secrets may sit in it) or a URL such as s3://bucket/prefix",
    )
    .requiredOption(
      "-o, --output <path>",
      "a directory to extract into, or a file ending in .tar.gz to write the artifact to",
    )
    .option("--name <name>", "which Bucket of the YAML file, when it holds several")
    .option("--endpoint <host:port>", "S3-compatible endpoint for a URL source")
    .option("--region <region>", "region for a URL source")
    .option("--insecure", "plain HTTP to the endpoint")
    .option("--ignore <patterns>", "extra ignore rules (gitignore syntax, newline-separated)")
    .option(
      "--cache-dir <dir>",
      "content cache, so repeated fetches download only changes (default: ~/.cache/bucketops)",
    )
    .option("--concurrency <n>", "parallel downloads", positiveInt, 32)
    .option(
      "--timeout <duration>",
      "time allowed for the whole fetch, e.g. 5m (default: the Bucket's spec.timeout, else 60s)",
      positiveDurationFlag,
    )
    .option("--force", "replace a non-empty output directory")
    .option("--json", "print the result as JSON")
    .option("--log-level <level>", "debug, info, warn or error", "warn")
    .action(async (source: string, flags: FetchFlags) => {
      const target = await resolveTarget(source, flags);
      const cacheDir = path.resolve(flags.cacheDir ?? defaultCacheDir());
      const store = new ArtifactStore({
        root: cacheDir,
        baseUrl: `file://${cacheDir}`,
        retentionRecords: 1,
        retentionTtlMs: 0,
      });
      const states = new StateStore(cacheDir);
      const saved = await states.load(target.ref.namespace, target.ref.name);
      const progress = createProgress();
      const result = await reconcile(
        {
          ref: target.ref,
          generation: 1,
          spec: withTimeout(target.spec, flags.timeout),
          baseDir: target.baseDir,
          status: saved?.status ?? initialStatus(),
        },
        {
          store,
          readSecret: (ns, name) => Promise.resolve(target.secrets.get(`${ns}/${name}`)),
          cacheRoot: path.join(cacheDir, "cache"),
          logger: createLogger(flags.logLevel),
          concurrency: flags.concurrency,
          limits: limitsFromFlags(flags),
          onProgress: (e) => {
            progress.tick(e);
          },
        },
      );
      progress.stop();
      await states.save(target.ref.namespace, target.ref.name, {
        generation: 1,
        specHash: "",
        status: result.status,
      });
      const artifact = result.status.artifact;
      if (result.error || !artifact) {
        const why = result.error
          ? `${result.error.reason}: ${result.error.message}`
          : "the Bucket is suspended";
        throw new CliError(
          `fetch failed: ${why}`,
          result.error?.policy === "stall" ? ExitCode.Usage : ExitCode.Failed,
        );
      }
      await writeOutput(store.absolute(artifact.path), path.resolve(flags.output), flags.force === true);
      const s = result.stats;
      if (flags.json) {
        process.stdout.write(
          JSON.stringify(
            {
              revision: artifact.revision,
              digest: artifact.digest,
              size: artifact.size,
              output: flags.output,
              stats: s,
            },
            null,
            2,
          ) + "\n",
        );
      } else {
        process.stdout.write(
          `revision: ${artifact.revision}\ndigest:   ${artifact.digest}\n` +
            `${s.objects} objects (${s.downloaded} downloaded, ${s.cacheHits} from cache, ${s.ignored} ignored) → ${flags.output} in ${(s.durationMs / 1000).toFixed(2)} s\n`,
        );
      }
    });
}

/** The flags resolveTarget reads: what `fetch` and `push` share to name a bucket. */
export type TargetFlags = Pick<FetchFlags, "name" | "endpoint" | "region" | "insecure" | "ignore">;

/**
 * Resolves <source> (a URL, or a Bucket YAML file with its Secrets) to one Bucket's spec. Throws CliError (Usage)
 * for an unreadable file or no / several Buckets.
 */
export async function resolveTarget(source: string, flags: TargetFlags): Promise<Target> {
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

async function writeOutput(artifactFile: string, output: string, force: boolean): Promise<void> {
  if (/\.(tar\.gz|tgz)$/.test(output)) {
    await mkdir(path.dirname(output), { recursive: true });
    await copyFile(artifactFile, output);
    return;
  }
  const existing = await readdir(output).catch(() => []);
  if (existing.length > 0) {
    if (!force)
      throw new CliError(
        `output directory ${output} is not empty; pass --force to replace its contents`,
        ExitCode.Usage,
      );
    await rm(output, { recursive: true, force: true });
  }
  await extractTarGz(createReadStream(artifactFile), output);
}

/** The spec with `timeout` replaced by --timeout (as a Go duration in ms), when given. */
function withTimeout(spec: unknown, timeoutMs: number | undefined): unknown {
  if (timeoutMs === undefined || typeof spec !== "object" || spec === null) return spec;
  return { ...spec, timeout: `${timeoutMs}ms` };
}

/** The content cache of the one-shot commands: $XDG_CACHE_HOME/bucketops, else ~/.cache/bucketops. */
export function defaultCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "bucketops");
}
