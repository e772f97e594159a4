// `bucketops reconcile bucket <name>`: reconcile now on a running server and report the result.
import type { Command } from "commander";
import type { ReconcileResult } from "../../engine/reconcile.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { parseFormat, serialize, type OutputFormat } from "../output.js";
import { callServer } from "../server-client.js";
import { DEFAULT_SERVER } from "./get.js";

type Answer = Pick<ReconcileResult, "outcome" | "stats" | "status"> & {
  error?: { reason: string; message: string };
};

export function registerReconcile(program: Command): void {
  const cmd = program.command("reconcile").description("trigger a reconcile on a running bucketops server");
  cmd
    .command("bucket <name>")
    .description("reconcile one Bucket now and wait for the result (exit 1 if it is not Ready)")
    .option("--server <url>", "bucketops server", DEFAULT_SERVER)
    .option("-n, --namespace <ns>", "the Bucket's namespace", "default")
    .option("-o, --output <format>", "table (text), json or yaml", parseFormat, "table" as OutputFormat)
    .action(async (name: string, flags: { server: string; namespace: string; output: OutputFormat }) => {
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
      if (answer.error)
        throw new CliError(`${answer.error.reason}: ${answer.error.message}`, ExitCode.Failed);
    });
}
