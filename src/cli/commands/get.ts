// `bucketops get buckets`: the Buckets of a running server.
import type { Command } from "commander";
import type { BucketView } from "../../standalone/runner.js";
import { age, parseFormat, serialize, table, type OutputFormat } from "../output.js";
import { callServer } from "../server-client.js";

export const DEFAULT_SERVER = "http://127.0.0.1:9090";

export function registerGet(program: Command): void {
  const get = program.command("get").description("show resources of a running bucketops server");
  get
    .command("buckets")
    .alias("bucket")
    .description("list Buckets with their readiness and revision")
    .option("--server <url>", "bucketops server", DEFAULT_SERVER)
    .option("-n, --namespace <ns>", "only this namespace")
    .option("-o, --output <format>", "table, json or yaml", parseFormat, "table" as OutputFormat)
    .action(async (flags: { server: string; namespace?: string; output: OutputFormat }) => {
      const body = await callServer<{ items: BucketView[] }>(flags.server, "GET", "/api/buckets");
      const items = body.items.filter(
        (b) => flags.namespace === undefined || b.namespace === flags.namespace,
      );
      if (flags.output !== "table") {
        process.stdout.write(serialize(items, flags.output));
        return;
      }
      const rows = items.map((b) => {
        const ready = b.status.conditions.find((c) => c.type === "Ready");
        return [
          b.namespace,
          b.name,
          b.suspended ? "Suspended" : (ready?.status ?? "Unknown"),
          b.status.artifact?.revision.slice(0, 19) ?? "-",
          age(b.status.artifact?.lastUpdateTime),
          ready?.message ?? "",
        ];
      });
      process.stdout.write(table(["NAMESPACE", "NAME", "READY", "REVISION", "UPDATED", "STATUS"], rows));
    });
}
