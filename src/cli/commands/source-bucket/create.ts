// `bucketops create source bucket NAME --bucket-name … --endpoint … [--export]`: build a v1 Bucket from flags
// (checked against the schema), print it with --export, else apply it in a cluster and wait for it to be Ready.
// A standalone server reads its Buckets from files: there the YAML is printed with a hint where to save it.
import type { Command } from "commander";
import { CliError, ExitCode } from "../../exit-codes.js";
import { durationOption } from "../../flags.js";
import { BUCKET_API_VERSION, type BucketObjectJson } from "./objects.js";
import { reportReconciled } from "./reconcile.js";
import { chooseRuntime, withRuntimeFlags, type RuntimeFlags } from "./runtime.js";
import { backendFor, say, sourceOf } from "./verb-support.js";

/** The flags of `create source bucket`. */
export interface CreateFlags extends RuntimeFlags {
  bucketName?: string;
  endpoint?: string;
  provider: string;
  region?: string;
  prefix?: string;
  interval: string;
  timeout?: string;
  secretRef?: string;
  insecure?: boolean;
  ignore?: string;
  label: string[];
  export?: boolean;
  waitTimeout: number;
}

/** Registers `create source bucket`. */
export function registerCreateSourceBucket(program: Command): void {
  withRuntimeFlags(sourceOf(program, "create", "create or update resources").command("bucket <name>"))
    .description("create or update a Bucket (--export: only print its YAML)")
    .option("--bucket-name <name>", "the bucket to fetch from")
    .option("--endpoint <host[:port]>", "the bucket's endpoint (S3-compatible, GCS or Azure)")
    .option("--provider <provider>", "generic, aws, gcp or azure", "generic")
    .option("--region <region>", "the bucket's region")
    .option("--prefix <prefix>", "only objects under this prefix")
    .option("--interval <duration>", "how often to reconcile", "1m")
    .option("--timeout <duration>", "timeout of each bucket operation (spec.timeout)")
    .option("--secret-ref <name>", "Secret with the bucket's credentials")
    .option("--insecure", "plain HTTP to the endpoint")
    .option("--ignore <patterns>", "gitignore-style patterns of objects to leave out")
    .option("--label <key=value>", "a label (repeatable)", (v: string, all: string[]) => [...all, v], [])
    .option("--export", "print the Bucket YAML instead of creating it")
    .addOption(durationOption("--wait-timeout <duration>", "how long to wait for Ready", "5m"))
    .action(async (name: string, flags: CreateFlags) => {
      const object = await bucketFromFlags(name, flags);
      const { stringify } = await import("yaml");
      const yaml = `---\n${stringify(object)}`;
      if (flags.export) {
        process.stdout.write(yaml);
        return;
      }
      if (chooseRuntime(flags).kind === "server") {
        process.stdout.write(yaml);
        say(
          `a standalone server reads its Buckets from its config folder (bucketops run --config): save this YAML there, e.g. bucketops create source bucket ${name} … --export > buckets/${name}.yaml`,
        );
        return;
      }
      const backend = await backendFor(flags);
      say(`► applying Bucket ${name} in ${flags.namespace} namespace`);
      await backend.apply(object);
      say("◎ waiting for Bucket reconciliation");
      reportReconciled(await backend.reconcile(flags.namespace, name, flags.waitTimeout));
    });
}

/**
 * The v1 Bucket the flags describe. Throws CliError (exit 2) for missing or invalid fields, with the schema's
 * "spec.<field>: …" message.
 */
export async function bucketFromFlags(name: string, flags: CreateFlags): Promise<BucketObjectJson> {
  if (flags.bucketName === undefined) throw new CliError("--bucket-name is required", ExitCode.Usage);
  if (flags.endpoint === undefined && flags.provider === "generic")
    throw new CliError("--endpoint is required for --provider generic", ExitCode.Usage);
  const spec: Record<string, unknown> = {
    interval: flags.interval,
    provider: flags.provider,
    bucketName: flags.bucketName,
    ...(flags.endpoint !== undefined ? { endpoint: flags.endpoint } : {}),
    ...(flags.region !== undefined ? { region: flags.region } : {}),
    ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
    ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}),
    ...(flags.secretRef !== undefined ? { secretRef: { name: flags.secretRef } } : {}),
    ...(flags.insecure ? { insecure: true } : {}),
    ...(flags.ignore !== undefined ? { ignore: flags.ignore } : {}),
  };
  const { normalizeSpec } = await import("../../../api/normalize.js");
  const { SpecError } = await import("../../../api/errors.js");
  try {
    normalizeSpec(spec);
  } catch (error) {
    if (error instanceof SpecError) throw new CliError(error.message, ExitCode.Usage);
    throw error;
  }
  return {
    apiVersion: BUCKET_API_VERSION,
    kind: "Bucket",
    metadata: {
      name,
      namespace: flags.namespace,
      ...(flags.label.length > 0 ? { labels: parseLabels(flags.label) } : {}),
    },
    spec,
  };
}

function parseLabels(labels: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of labels) {
    const eq = label.indexOf("=");
    if (eq < 1) throw new CliError(`--label ${label}: must be key=value`, ExitCode.Usage);
    out[label.slice(0, eq)] = label.slice(eq + 1);
  }
  return out;
}
