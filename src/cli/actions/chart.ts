// The work of `bucketops chart push | delete | reindex`, imported only when one of them runs (commands/chart*.ts
// declare the flags): resolving the bucket, the conditional index updates and what is printed.
import { SpecError } from "../../api/errors.js";
import { normalizeSpec } from "../../api/normalize.js";
import { CredentialsError } from "../../credentials/secret.js";
import { resolveConnection } from "../../credentials/resolve.js";
import { DEFAULT_TUNING } from "../../engine/reconcile.js";
import { ChartError } from "../../helm/chart-errors.js";
import { createProvider } from "../../providers/index.js";
import type { BucketProvider, BucketWriter } from "../../providers/types.js";
import { deleteChart } from "../../publish/chart-delete.js";
import { ChartExistsError, pushChart } from "../../publish/chart-push.js";
import { reindexCharts } from "../../publish/chart-reindex.js";
import type { ChartUrlStyle } from "../../publish/chart-repo.js";
import { loadChart } from "../../publish/chart-source.js";
import type { UpdateResult } from "../../publish/conditional-update.js";
import type { ChartPushFlags, ChartTargetFlags, ChartUrlFlags } from "../commands/chart-target.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { resolveTarget } from "../target.js";

/** `chart push`: the archive (a folder is packaged first), then its entry in index.yaml. */
export async function chartPush(input: string, bucket: string, flags: ChartPushFlags): Promise<void> {
  const chart = await loadChart(input).catch((error: unknown) => {
    throw chartCliError(error);
  });
  try {
    const result = await withChartBucket(bucket, flags, (store, prefix) =>
      pushChart({
        store,
        prefix,
        chart,
        force: flags.force === true,
        urls: urlStyle(flags),
      }).catch((error: unknown) => {
        if (error instanceof ChartExistsError) throw new CliError(error.message, ExitCode.Failed);
        throw error;
      }),
    );
    const { entry } = result;
    process.stdout.write(
      flags.json
        ? `${JSON.stringify(
            {
              chart: entry.name,
              version: entry.version,
              key: result.key,
              digest: `sha256:${entry.digest ?? ""}`,
              size: chart.size,
              archive: result.archive,
              url: entry.urls[0],
              index: { key: result.indexKey, ...result.index },
            },
            null,
            2,
          )}\n`
        : `pushed ${entry.name} ${entry.version} → ${result.key} (sha256:${entry.digest ?? ""}, ${chart.size} bytes${result.archive === "present" ? ", already there" : ""}); ${indexLine(result.indexKey, result.index)}\n`,
    );
  } finally {
    await chart.cleanup();
  }
}

/** `chart delete`: the entry out of index.yaml, then the archive. */
export async function chartDelete(
  name: string,
  version: string,
  bucket: string,
  flags: ChartTargetFlags,
): Promise<void> {
  const result = await withChartBucket(bucket, flags, (store, prefix) =>
    deleteChart({ store, prefix, name, version }),
  );
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(
          {
            chart: name,
            version,
            removedFromIndex: result.removed !== undefined,
            deleted: result.deletedKey,
            index: { key: result.indexKey, ...result.index },
          },
          null,
          2,
        )}\n`
      : `deleted ${name} ${version}: ${
          result.removed ? indexLine(result.indexKey, result.index) : `not in ${result.indexKey}`
        }; then ${result.deletedKey ?? ""} deleted\n`,
  );
}

/** `chart reindex`: index.yaml rebuilt from the archives; exits 1 when some archive is not a chart. */
export async function chartReindex(bucket: string, flags: ChartTargetFlags & ChartUrlFlags): Promise<void> {
  const result = await withChartBucket(bucket, flags, (store, prefix) =>
    reindexCharts({ store, prefix, urls: urlStyle(flags) }),
  );
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          charts: result.charts,
          skipped: result.skipped,
          ...(result.replacedUnreadable ? { replacedUnreadable: result.replacedUnreadable } : {}),
          index: { key: result.indexKey, ...result.index },
        },
        null,
        2,
      )}\n`,
    );
  } else {
    if (result.replacedUnreadable)
      process.stderr.write(`note: replaced an index that did not parse (${result.replacedUnreadable})\n`);
    process.stdout.write(`${result.charts} chart versions; ${indexLine(result.indexKey, result.index)}\n`);
  }
  if (result.skipped.length > 0)
    throw new CliError(
      `left out of the index, not charts: ${result.skipped.map((s) => s.reason).join("; ")}`,
      ExitCode.Failed,
    );
}

/** The URL style the flags ask for. */
export function urlStyle(flags: ChartUrlFlags): ChartUrlStyle {
  return flags.urlBase === undefined ? { relative: true } : { base: flags.urlBase };
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
