// The work of `bucketops reconcile bucket`, loaded only when the command runs (see commands/reconcile.ts).
import type { ReconcileResult } from "../../engine/reconcile.js";
import type { ReconcileBucketFlags } from "../commands/reconcile.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { serialize } from "../output.js";
import { callServer } from "../server-client.js";

type Answer = Pick<ReconcileResult, "outcome" | "stats" | "status"> & {
  error?: { reason: string; message: string };
};

/** Reconciles one Bucket on the server and prints the result. Throws CliError (Failed) when it is not Ready. */
export async function reconcileBucketAction(name: string, flags: ReconcileBucketFlags): Promise<void> {
  const path = `/api/buckets/${encodeURIComponent(flags.namespace)}/${encodeURIComponent(name)}/reconcile`;
  const answer = await callServer<Answer>(flags.server, "POST", path);
  if (flags.output !== "table") process.stdout.write(serialize(answer, flags.output));
  else {
    const a = answer.status.artifact;
    const s = answer.stats;
    process.stdout.write(
      `${flags.namespace}/${name}: ${answer.outcome}` +
        (a ? `\n  revision: ${a.revision}\n  digest:   ${a.digest}\n  url:      ${a.url}` : "") +
        `\n  objects: ${s.objects}, downloaded: ${s.downloaded}, from cache: ${s.cacheHits}, ${s.durationMs} ms\n`,
    );
  }
  if (answer.error) throw new CliError(`${answer.error.reason}: ${answer.error.message}`, ExitCode.Failed);
}
