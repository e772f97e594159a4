// What the chart subcommands share: the flags naming a bucket and the URL style, opening it, and CLI errors.
import { InvalidArgumentError, Option, type Command } from "commander";
import { SpecError } from "../../api/errors.js";
import { normalizeSpec } from "../../api/normalize.js";
import { CredentialsError } from "../../credentials/secret.js";
import { resolveConnection } from "../../credentials/resolve.js";
import { DEFAULT_TUNING } from "../../engine/reconcile.js";
import { ChartError } from "../../helm/chart-errors.js";
import { createProvider } from "../../providers/index.js";
import type { BucketProvider, BucketWriter } from "../../providers/types.js";
import type { ChartUrlStyle } from "../../publish/chart-repo.js";
import type { UpdateResult } from "../../publish/conditional-update.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { resolveTarget, type TargetFlags } from "./fetch.js";

/** The flags every chart subcommand takes: which bucket (as push and fetch name it), and --json. */
export interface ChartTargetFlags extends TargetFlags {
  json?: boolean;
}

/** The URL style flags of push and reindex. */
export interface ChartUrlFlags {
  relativeUrls?: boolean;
  urlBase?: string;
}

/** Adds the flags naming a bucket (as push has them) and --json. */
export function withChartTargetFlags(command: Command): Command {
  return command
    .option("--name <name>", "which Bucket of the YAML file, when it holds several")
    .option("--endpoint <host:port>", "S3-compatible endpoint for a URL target")
    .option("--region <region>", "region for a URL target")
    .option("--insecure", "plain HTTP to the endpoint")
    .option("--json", "print the result as JSON");
}

/** Adds --relative-urls (the default) and --url-base, which exclude each other. */
export function withUrlFlags(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--relative-urls",
        "index entries name archives by their path under the prefix, e.g. app-1.0.0.tgz (the default)",
      ).conflicts("urlBase"),
    )
    .addOption(
      new Option(
        "--url-base <url>",
        "index entries name archives as <url>/<path>, e.g. https://charts.example.com or s3://bucket/prefix (helm-s3's form)",
      ).argParser(urlBaseFlag),
    );
}

/** The URL style the flags ask for. */
export function urlStyle(flags: ChartUrlFlags): ChartUrlStyle {
  return flags.urlBase === undefined ? { relative: true } : { base: flags.urlBase };
}

function urlBaseFlag(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(value))
    throw new InvalidArgumentError("an absolute URL such as https://host/path or s3://bucket/prefix");
  return value;
}

/**
 * Resolves <bucket> (a Bucket YAML file or a URL) as push does, builds its provider, runs `fn` with it and the
 * prefix, and closes it. Errors become CliErrors: a bad spec, Secret or chart is a usage error (exit 2); anything
 * else fails (exit 1).
 */
export async function withChartBucket<T>(
  bucket: string,
  flags: ChartTargetFlags,
  fn: (store: BucketProvider & BucketWriter, prefix: string) => Promise<T>,
): Promise<T> {
  try {
    const target = await resolveTarget(bucket, flags);
    const spec = normalizeSpec(target.spec, target.baseDir);
    const connection = await resolveConnection(spec, target.ref.namespace, (ns, name) =>
      Promise.resolve(target.secrets.get(`${ns}/${name}`)),
    );
    const provider = await createProvider(connection, DEFAULT_TUNING);
    try {
      return await fn(provider, spec.prefix);
    } finally {
      provider.close();
    }
  } catch (error) {
    throw chartCliError(error);
  }
}

/** The CliError for what a chart command throws (see withChartBucket). */
export function chartCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof SpecError || error instanceof CredentialsError || error instanceof ChartError)
    return new CliError(error.message, ExitCode.Usage);
  return new CliError(error instanceof Error ? error.message : String(error), ExitCode.Failed);
}

/** "index x written (3 attempts: 2 conflicting writes retried)", or "… already current". */
export function indexLine(key: string, update: Omit<UpdateResult<unknown>, "value" | "info">): string {
  const retried = update.conflicts + update.rereads;
  const detail =
    retried === 0
      ? ""
      : ` (${update.attempts} attempts: ${update.conflicts} conflicting write${update.conflicts === 1 ? "" : "s"} retried${update.rereads > 0 ? `, ${update.rereads} reads repeated` : ""})`;
  return `index ${key} ${update.written ? "written" : "already current"}${detail}`;
}
