// The work of `bucketops push`, loaded only when the command runs (see commands/push.ts for its flags).
import { readFile } from "node:fs/promises";
import { SpecError } from "../../api/errors.js";
import { normalizeSpec } from "../../api/normalize.js";
import { resolveConnection } from "../../credentials/resolve.js";
import { DEFAULT_TUNING } from "../../engine/reconcile.js";
import { createProvider } from "../../providers/index.js";
import { ProviderError } from "../../providers/types.js";
import { FolderError } from "../../publish/folder-walk.js";
import { prefixFolder } from "../../publish/index-object.js";
import { push, type PushResult } from "../../publish/push.js";
import type { PushPlan } from "../../publish/push-plan.js";
import { loadPrivateKey, SignatureKeyError } from "../../publish/signature.js";
import type { PushFlags } from "../commands/push.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { noCredentialsMessage } from "../no-credentials.js";
import { resolveTarget } from "../target.js";
import { createUploadProgress } from "../upload-progress.js";

/**
 * Uploads <dir> under the prefix of <bucket>; `version` names the tool in the index object. Throws CliError: Usage
 * for a bad folder, key or spec, Failed when the upload fails.
 */
export async function pushAction(
  dir: string,
  bucket: string,
  flags: PushFlags,
  version: string,
): Promise<void> {
  const signingKey = flags.sign === undefined ? undefined : await readSigningKey(flags.sign);
  const target = await resolveTarget(bucket, flags);
  const spec = usage(() => normalizeSpec(target.spec, target.baseDir));
  const connection = await resolveConnection(spec, target.ref.namespace, (ns, name) =>
    Promise.resolve(target.secrets.get(`${ns}/${name}`)),
  );
  const provider = await createProvider(connection, DEFAULT_TUNING);
  const progress = createUploadProgress();
  let result: PushResult;
  try {
    result = await push({
      dir,
      provider,
      writer: provider,
      prefix: spec.prefix,
      ...(spec.ignore !== undefined ? { ignore: spec.ignore } : {}),
      prune: flags.prune === true,
      dryRun: flags.dryRun === true,
      ...(signingKey ? { signingKey } : {}),
      tool: `bucketops/${version}`,
      concurrency: flags.concurrency,
      onPlan: (plan) => {
        if (!flags.dryRun) progress.start(uploadsOf(plan).length, uploadBytes(plan));
      },
      onEvent: (event) => {
        if (event.type === "upload") progress.uploaded(event.bytes);
      },
    });
  } catch (error) {
    if (error instanceof FolderError) throw new CliError(error.message, ExitCode.Usage);
    const noCredentials =
      error instanceof ProviderError && error.kind === "Unauthorized"
        ? noCredentialsMessage(spec)
        : undefined;
    throw new CliError(
      `push failed: ${noCredentials ?? (error instanceof Error ? error.message : String(error))}`,
      ExitCode.Failed,
    );
  } finally {
    progress.stop();
    provider.close();
  }
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(summaryJson(result, spec.prefix), null, 2)}\n`
      : report(result, spec.prefix),
  );
}

async function readSigningKey(file: string): Promise<ReturnType<typeof loadPrivateKey>> {
  const pem = await readFile(file).catch(() => {
    throw new CliError(`--sign ${file}: cannot read the file`, ExitCode.Usage);
  });
  try {
    return loadPrivateKey(pem, `--sign ${file}`);
  } catch (error) {
    if (error instanceof SignatureKeyError) throw new CliError(error.message, ExitCode.Usage);
    throw error;
  }
}

function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof SpecError) throw new CliError(error.message, ExitCode.Usage);
    throw error;
  }
}

function uploadsOf(plan: PushPlan): PushPlan["added"] {
  return [...plan.added, ...plan.changed];
}

function uploadBytes(plan: PushPlan): number {
  return uploadsOf(plan).reduce((sum, f) => sum + f.size, 0);
}

/** The dry-run plan (one line a key) or the one-line summary of what was written. */
function report(result: PushResult, prefix: string): string {
  const { plan, indexKey } = result;
  const folder = prefixFolder(prefix);
  const lines: string[] = [];
  if (result.dryRun) {
    for (const f of plan.added) lines.push(`+ ${folder}${f.key}`);
    for (const f of plan.changed) lines.push(`~ ${folder}${f.key}`);
    for (const key of plan.deleted) lines.push(`- ${folder}${key}`);
    const kept = plan.stale.length - plan.deleted.length;
    lines.push(
      `dry run: ${plan.added.length} to add, ${plan.changed.length} to change, ${plan.deleted.length} to delete, ${plan.unchanged} unchanged` +
        (kept > 0 ? `, ${kept} not in the folder kept (--prune deletes them)` : "") +
        `; index ${indexKey} ${plan.index === "current" ? "current" : "would be written"}; nothing written`,
    );
  } else {
    lines.push(
      `uploaded ${result.uploaded} (${result.bytes} bytes), deleted ${result.deleted}, ${plan.unchanged} unchanged; index ${indexKey} ${result.indexWritten ? "written" : "current"}`,
    );
  }
  if (result.indexProblem) lines.unshift(`note: the bucket's index was not usable (${result.indexProblem})`);
  return `${lines.join("\n")}\n`;
}

/** The result for scripts: object keys in full, as the text plan prints them. */
function summaryJson(result: PushResult, prefix: string): Record<string, unknown> {
  const { plan } = result;
  const folder = prefixFolder(prefix);
  return {
    dryRun: result.dryRun,
    added: plan.added.map((f) => `${folder}${f.key}`),
    changed: plan.changed.map((f) => `${folder}${f.key}`),
    deleted: plan.deleted.map((key) => `${folder}${key}`),
    unchanged: plan.unchanged,
    uploaded: result.uploaded,
    bytes: result.bytes,
    deletedCount: result.deleted,
    index: { key: result.indexKey, action: plan.index, written: result.indexWritten },
  };
}
